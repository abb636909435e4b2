package window

// index maps (key id, window start) to a row number: an open-addressing
// hash table with linear probing and backward-shift deletion, so lookups
// neither allocate nor go through an interface.
type index struct {
	slots []slot
	shift uint // 64 - log2(len(slots))
	n     int
}

type slot struct {
	start int64
	key   int32
	ref   int32 // row number + 1; 0 marks an empty slot
}

const minIndexBits = 6

func newIndex() index {
	return index{slots: make([]slot, 1<<minIndexBits), shift: 64 - minIndexBits}
}

func (x *index) home(key int32, start int64) int {
	h := (uint64(start) ^ uint64(uint32(key))*0x9E3779B97F4A7C15) * 0xBF58476D1CE4E5B9
	return int(h >> x.shift)
}

// find returns the row of (key, start), or -1.
func (x *index) find(key int32, start int64) int32 {
	mask := len(x.slots) - 1
	for i := x.home(key, start); ; i = (i + 1) & mask {
		s := &x.slots[i]
		if s.ref == 0 {
			return -1
		}
		if s.start == start && s.key == key {
			return s.ref - 1
		}
	}
}

// insert records row for (key, start), which must not be present.
func (x *index) insert(key int32, start int64, row int32) {
	if 2*(x.n+1) > len(x.slots) {
		x.grow()
	}
	x.put(slot{start: start, key: key, ref: row + 1})
	x.n++
}

func (x *index) put(e slot) {
	mask := len(x.slots) - 1
	i := x.home(e.key, e.start)
	for x.slots[i].ref != 0 {
		i = (i + 1) & mask
	}
	x.slots[i] = e
}

func (x *index) grow() {
	old := x.slots
	x.slots = make([]slot, 2*len(old))
	x.shift--
	for _, e := range old {
		if e.ref != 0 {
			x.put(e)
		}
	}
}

// remove deletes (key, start) if present, shifting later entries of its
// probe run back so that no tombstones are needed.
func (x *index) remove(key int32, start int64) {
	mask := len(x.slots) - 1
	i := x.home(key, start)
	for {
		s := &x.slots[i]
		if s.ref == 0 {
			return
		}
		if s.start == start && s.key == key {
			break
		}
		i = (i + 1) & mask
	}
	for j := i; ; {
		j = (j + 1) & mask
		e := x.slots[j]
		if e.ref == 0 {
			break
		}
		// e may move into the hole at i unless its home lies cyclically in (i, j].
		h := x.home(e.key, e.start)
		if (i < j && i < h && h <= j) || (j < i && (i < h || h <= j)) {
			continue
		}
		x.slots[i] = e
		i = j
	}
	x.slots[i] = slot{}
	x.n--
}
