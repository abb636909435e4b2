package window

// index maps (key id, window start) to a row number: an open-addressing
// hash table with linear probing and backward-shift deletion, so lookups
// neither allocate nor go through an interface. A slot holds the row and
// the high 32 bits of the hash (its tag), 8 bytes, not the key and start:
// a lookup confirms a tag that matches against the row itself (Table.find),
// which the caller reads next anyway.
type index struct {
	slots []slot
	shift uint // 64 - log2(len(slots)); at least 32
	n     int
}

type slot struct {
	tag uint32 // high 32 bits of the hash of (key, start)
	ref int32  // row number + 1; 0 marks an empty slot
}

const minIndexBits = 6

func newIndex() index {
	return index{slots: make([]slot, 1<<minIndexBits), shift: 64 - minIndexBits}
}

// tagOf hashes (key, start) and returns the hash's high 32 bits.
func tagOf(key int32, start int64) uint32 {
	h := (uint64(start) ^ uint64(uint32(key))*0x9E3779B97F4A7C15) * 0xBF58476D1CE4E5B9
	return uint32(h >> 32)
}

// home returns the slot where probing for tag starts: the hash's top bits.
func (x *index) home(tag uint32) int { return int(tag >> (x.shift - 32)) }

// lookup returns the row of key in the window that starts at start, or -1
// (as find, for a key not interned yet too).
func (t *Table[K, V, A]) lookup(key K, start int64) int32 {
	id, ok := t.ids[key]
	if !ok {
		return -1
	}
	return t.find(id, start)
}

// find returns the row of (key, start), or -1.
func (t *Table[K, V, A]) find(key int32, start int64) int32 {
	if i := t.findSlot(key, start); i >= 0 {
		return t.idx.slots[i].ref - 1
	}
	return -1
}

// findSlot returns the slot of (key, start) in the index, or -1.
func (t *Table[K, V, A]) findSlot(key int32, start int64) int {
	x := &t.idx
	tag := tagOf(key, start)
	mask := len(x.slots) - 1
	for i := x.home(tag); ; i = (i + 1) & mask {
		s := x.slots[i]
		if s.ref == 0 {
			return -1
		}
		if s.tag == tag {
			if rw := &t.rows[s.ref-1]; rw.start == start && rw.id() == key {
				return i
			}
		}
	}
}

// insert records row for (key, start), which must not be present.
func (x *index) insert(key int32, start int64, row int32) {
	if 2*(x.n+1) > len(x.slots) {
		x.grow()
	}
	x.put(slot{tag: tagOf(key, start), ref: row + 1})
	x.n++
}

func (x *index) put(e slot) {
	mask := len(x.slots) - 1
	i := x.home(e.tag)
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

// remove deletes (key, start) if present.
func (t *Table[K, V, A]) remove(key int32, start int64) {
	if i := t.findSlot(key, start); i >= 0 {
		t.idx.removeAt(i)
	}
}

// removeAt empties slot i, shifting later entries of its probe run back
// so that no tombstones are needed.
func (x *index) removeAt(i int) {
	mask := len(x.slots) - 1
	for j := i; ; {
		j = (j + 1) & mask
		e := x.slots[j]
		if e.ref == 0 {
			break
		}
		// e may move into the hole at i unless its home lies cyclically in (i, j].
		h := x.home(e.tag)
		if (i < j && i < h && h <= j) || (j < i && (i < h || h <= j)) {
			continue
		}
		x.slots[i] = e
		i = j
	}
	x.slots[i] = slot{}
	x.n--
}
