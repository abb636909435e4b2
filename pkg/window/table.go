package window

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"slices"
)

// Row is one result: the aggregate of one key over one window [Start, End).
type Row[K comparable, A any] struct {
	Key   K
	Start int64 // window start, Unix milliseconds, inclusive
	End   int64 // window end, Unix milliseconds, exclusive
	Agg   A
}

// Table is keyed state over sliding event-time windows with a watermark.
// Values of type V are folded by an add function into aggregates of type
// A, one per (key, window); the window logic knows nothing of A, so min,
// max or average aggregates need no change here.
//
// A Table holds at most 2^31-1 rows. It is not safe for concurrent use.
// Callbacks passed to Trigger and Changes must not call the Table.
type Table[K comparable, V any, A any] struct {
	sp      spec
	add     func(*A, V)
	compare func(a, b K) int
	touchIf uint8 // row flags that Add must see set to skip touch

	wm       int64
	maxEvent int64
	wmEvent  int64 // largest event time the watermark has followed
	closed   int64 // windows ending at or before this take no values
	pending  bool  // Add was called since the last Trigger

	ids      map[K]int32 // key -> key id
	keys     []K         // key id -> key
	keyRows  []int32     // key id -> rows held
	freeKeys []int32

	rows    []row[A]
	free    int32 // head of the free-row list, -1 if empty
	live    int
	idx     index    // (key id, start) -> row
	buckets []bucket // rows grouped by window start, ascending

	dirty   []int32     // rows updated since the last Trigger (Update mode)
	changed []int32     // rows upserted since the last Changes; may hold stale entries
	gone    []Row[K, A] // rows reported by Changes and dropped since
	scratch []int32
	ups     []int32

	undo undoLog[K, A] // since the last Checkpoint (undo.go)
}

type row[A any] struct {
	start int64
	next  int32  // next row of the same bucket, or of the free list
	kf    uint32 // key id in the low 27 bits, flags in the high 5: 32 bytes a row for Sum, not 40
	agg   A
}

const (
	flagShift        = 27
	idMask    uint32 = 1<<flagShift - 1
	// maxKeys is the most keys a table holds at once.
	maxKeys = 1 << flagShift
)

func newRowOf[A any](start int64, id int32) row[A] { return row[A]{start: start, kf: uint32(id)} }

// id returns the row's key id.
func (r *row[A]) id() int32 { return int32(r.kf & idMask) }

// flags returns the row's flags.
func (r *row[A]) flags() uint8 { return uint8(r.kf >> flagShift) }

// setFlags sets the row's flags to f.
func (r *row[A]) setFlags(f uint8) { r.kf = r.kf&idMask | uint32(f)<<flagShift }

// on sets flags f; off clears them.
func (r *row[A]) on(f uint8)  { r.kf |= uint32(f) << flagShift }
func (r *row[A]) off(f uint8) { r.kf &^= uint32(f) << flagShift }

const (
	fDirty   uint8 = 1 << iota // updated since the last Trigger (Update mode only)
	fChanged                   // upserted since the last Changes
	fLogged                    // known to Changes' consumer, so its removal must be reported
	fMark                      // scratch mark while compacting the changed list or rolling back
	fSaved                     // recorded in the undo log since the last Checkpoint
)

type bucket struct {
	start int64
	head  int32
}

// New returns an empty Table for cfg that folds values with add. A new
// row's aggregate starts as the zero A before add sees the row's first
// value. Rows of the same window start come out in key order: by value
// for keys whose underlying type is a string, integer, float or bool, by
// fmt's %#v text otherwise, or as set by OrderKeys.
func New[K comparable, V any, A any](cfg Config, add func(*A, V), opts ...Option[K]) (*Table[K, V, A], error) {
	sp, err := cfg.spec()
	if err != nil {
		return nil, fmt.Errorf("new window table: %w", err)
	}
	if add == nil {
		return nil, errors.New("new window table: add function is nil")
	}
	var o options[K]
	for _, opt := range opts {
		opt(&o)
	}
	if o.compare == nil {
		o.compare = defaultCompare[K]()
	}
	t := &Table[K, V, A]{sp: sp, add: add, compare: o.compare, touchIf: fChanged}
	if sp.mode == Update {
		t.touchIf |= fDirty
	}
	t.reset()
	return t, nil
}

// reset empties the table: no rows, no events, no watermark.
func (t *Table[K, V, A]) reset() {
	t.wm, t.maxEvent, t.wmEvent, t.closed = math.MinInt64, math.MinInt64, math.MinInt64, math.MinInt64
	t.pending = false
	t.ids = make(map[K]int32)
	t.keys, t.keyRows, t.freeKeys = nil, nil, nil
	t.rows, t.free, t.live = nil, -1, 0
	t.idx = newIndex()
	t.buckets = nil
	t.dirty, t.changed, t.gone = nil, nil, nil
}

// Add folds v into the aggregate of key in every window that holds event
// time ts and is still open, and reports whether any window took it. It
// returns false for a late event, one whose windows have all closed: in
// Update and Append mode, those whose end is at or before the current
// watermark. It also returns false, without recording ts, for a time
// outside [EarliestTime, LatestTime]. An event that is not late can still
// be older than the watermark; see the package doc and AddWindows.
func (t *Table[K, V, A]) Add(key K, ts int64, v V) bool {
	kept, _ := t.AddWindows(key, ts, v)
	return kept > 0
}

// AddWindows is Add reporting how many of the event's windows took the
// value (kept) and how many had already closed and did not (dropped).
// Both are 0 for a time outside [EarliestTime, LatestTime].
func (t *Table[K, V, A]) AddWindows(key K, ts int64, v V) (kept, dropped int) {
	t.pending = true
	if ts < EarliestTime || ts > LatestTime {
		return 0, 0
	}
	if ts > t.maxEvent {
		t.maxEvent = ts
	}
	s := t.sp.lastStart(ts)
	end := s + t.sp.size
	if end <= t.closed {
		return 0, int(t.sp.count(ts, s))
	}
	id := t.intern(key)
	for ; end > ts; s, end = s-t.sp.slide, end-t.sp.slide {
		if end <= t.closed {
			// Older windows end earlier still: all closed.
			dropped = int(t.sp.count(ts, s))
			break
		}
		r := t.find(id, s)
		if r < 0 {
			r = t.newRow(id, s)
		}
		rw := &t.rows[r]
		if rw.flags()&t.touchIf != t.touchIf {
			t.touch(r) // before the value: the undo log keeps the aggregate before it
		}
		t.add(&rw.agg, v)
		kept++
	}
	return kept, dropped
}

func (t *Table[K, V, A]) intern(key K) int32 {
	if id, ok := t.ids[key]; ok {
		return id
	}
	var id int32
	if n := len(t.freeKeys); n > 0 {
		id = t.freeKeys[n-1]
		t.freeKeys = t.freeKeys[:n-1]
		t.keys[id] = key
	} else {
		if len(t.keys) == maxKeys {
			panic("window: table holds 2^27 keys, its limit")
		}
		id = int32(len(t.keys))
		t.keys = append(t.keys, key)
		t.keyRows = append(t.keyRows, 0)
	}
	t.ids[key] = id
	return id
}

// newRow adds an empty row for (key id, start), which must not exist.
func (t *Table[K, V, A]) newRow(id int32, start int64) int32 {
	r := t.allocRow(id, start)
	b := t.bucketFor(start)
	t.rows[r].next = t.buckets[b].head
	t.buckets[b].head = r
	if t.undo.on {
		t.save(r, false)
	}
	return r
}

// allocRow adds an empty row for (key id, start), which must not exist,
// to the index and its key, but to no bucket.
func (t *Table[K, V, A]) allocRow(id int32, start int64) int32 {
	var r int32
	if t.free >= 0 {
		r = t.free
		t.free = t.rows[r].next
		t.rows[r] = newRowOf[A](start, id)
	} else {
		if len(t.rows) == math.MaxInt32 {
			panic("window: table holds 2^31-1 rows, its limit")
		}
		r = int32(len(t.rows))
		t.rows = append(t.rows, newRowOf[A](start, id))
	}
	t.idx.insert(id, start, r)
	t.keyRows[id]++
	t.live++
	return r
}

// bucketFor returns the position of the bucket for start, adding it if needed.
func (t *Table[K, V, A]) bucketFor(start int64) int {
	if n := len(t.buckets); n > 0 && t.buckets[n-1].start == start {
		return n - 1
	}
	i, ok := slices.BinarySearchFunc(t.buckets, start, func(b bucket, s int64) int { return cmp.Compare(b.start, s) })
	if !ok {
		t.buckets = slices.Insert(t.buckets, i, bucket{start: start, head: -1})
	}
	return i
}

// touch records that row r took a value.
func (t *Table[K, V, A]) touch(r int32) {
	rw := &t.rows[r]
	if t.undo.on && rw.flags()&fSaved == 0 {
		t.save(r, true)
	}
	if t.sp.mode == Update && rw.flags()&fDirty == 0 {
		rw.on(fDirty)
		t.dirty = append(t.dirty, r)
	}
	if rw.flags()&fChanged == 0 {
		rw.on(fChanged)
		t.changed = append(t.changed, r)
		if len(t.changed) > 2*t.live+64 {
			t.compactChanged()
		}
	}
}

// compactChanged drops stale and repeated entries from the changed list,
// so it stays bounded by the live rows even if Changes is never called.
func (t *Table[K, V, A]) compactChanged() {
	out := t.changed[:0]
	for _, r := range t.changed {
		rw := &t.rows[r]
		if f := rw.flags(); f&fChanged != 0 && f&fMark == 0 {
			rw.on(fMark)
			out = append(out, r)
		}
	}
	for _, r := range out {
		t.rows[r].off(fMark)
	}
	t.changed = out
}

// Trigger ends a micro-batch. It emits rows as the output mode says, then
// advances the watermark to the largest event time seen minus the delay
// (never backwards) and, in Update and Append mode, drops every window
// whose end is at or before the new watermark. One call stands for Spark's
// micro-batch with data followed by the no-data batch Spark runs when the
// watermark moved:
//
//   - Update: emits each row that took a value since the previous Trigger,
//     with its aggregate over all values so far; then drops closed windows
//     without emitting them.
//   - Complete: if Add was called since the previous Trigger, emits every
//     row; nothing is ever dropped.
//   - Append: emits the rows of the windows the new watermark closes, each
//     with its final aggregate, and drops them.
//
// Rows come out ordered by window start, then key. emit may be nil to
// discard them.
func (t *Table[K, V, A]) Trigger(emit func(Row[K, A])) {
	t.TriggerAt(t.maxEvent, emit)
}

// TriggerAt is Trigger with the watermark following eventTime, the
// largest event time of the whole query, instead of the largest event
// time added to this table. It is for a query whose events are spread
// over several tables (one per partition, say): each table is given the
// query's event time, so that every table has the query's watermark,
// including one that took no event. The watermark becomes eventTime minus
// the delay, never going backwards; math.MinInt64 leaves it as it is.
// The events this micro-batch added were judged, as always, against the
// watermark of the previous Trigger.
func (t *Table[K, V, A]) TriggerAt(eventTime int64, emit func(Row[K, A])) {
	switch t.sp.mode {
	case Update:
		t.sortRows(t.dirty)
		for _, r := range t.dirty {
			t.rows[r].off(fDirty)
			if emit != nil {
				emit(t.rowAt(r))
			}
		}
		t.dirty = t.dirty[:0]
	case Complete:
		if t.pending && emit != nil {
			for _, b := range t.buckets {
				t.scratch = t.gather(t.scratch[:0], b)
				t.sortRows(t.scratch)
				for _, r := range t.scratch {
					emit(t.rowAt(r))
				}
			}
		}
	}
	t.pending = false
	if eventTime > t.wmEvent {
		t.wmEvent = eventTime
	}
	if wm := t.sp.watermarkFor(eventTime); wm > t.wm {
		t.wm = wm
	}
	if t.sp.mode == Complete {
		return
	}
	t.closed = t.wm
	if t.sp.mode != Append {
		emit = nil
	}
	n := 0
	for n < len(t.buckets) && t.buckets[n].start+t.sp.size <= t.wm {
		t.scratch = t.gather(t.scratch[:0], t.buckets[n])
		if emit != nil {
			t.sortRows(t.scratch)
			for _, r := range t.scratch {
				emit(t.rowAt(r))
			}
		}
		for _, r := range t.scratch {
			t.freeRow(r)
		}
		n++
	}
	t.buckets = slices.Delete(t.buckets, 0, n)
}

// gather appends the rows of bucket b to rs.
func (t *Table[K, V, A]) gather(rs []int32, b bucket) []int32 {
	for r := b.head; r >= 0; r = t.rows[r].next {
		rs = append(rs, r)
	}
	return rs
}

// sortRows orders rows by window start, then key.
func (t *Table[K, V, A]) sortRows(rs []int32) {
	slices.SortFunc(rs, func(a, b int32) int {
		ra, rb := &t.rows[a], &t.rows[b]
		if ra.start != rb.start {
			return cmp.Compare(ra.start, rb.start)
		}
		if ra.id() == rb.id() {
			return 0
		}
		return t.compare(t.keys[ra.id()], t.keys[rb.id()])
	})
}

func (t *Table[K, V, A]) rowAt(r int32) Row[K, A] {
	rw := &t.rows[r]
	return Row[K, A]{Key: t.keys[rw.id()], Start: rw.start, End: rw.start + t.sp.size, Agg: rw.agg}
}

// freeRow drops row r from the index and its key; the caller drops its bucket.
func (t *Table[K, V, A]) freeRow(r int32) {
	rw := &t.rows[r]
	if t.undo.on && rw.flags()&fSaved == 0 {
		t.save(r, true)
	}
	id := rw.id()
	t.remove(id, rw.start)
	if rw.flags()&fLogged != 0 {
		t.gone = append(t.gone, Row[K, A]{Key: t.keys[id], Start: rw.start, End: rw.start + t.sp.size})
	}
	if t.keyRows[id]--; t.keyRows[id] == 0 {
		delete(t.ids, t.keys[id])
		var zero K
		t.keys[id] = zero
		t.freeKeys = append(t.freeKeys, id)
	}
	*rw = row[A]{next: t.free}
	t.free = r
	t.live--
}

// Watermark returns the current watermark, in Unix milliseconds:
// math.MinInt64 until a Trigger follows an event.
func (t *Table[K, V, A]) Watermark() int64 { return t.wm }

// NoteInput records that the query took input in the current micro-batch
// though perhaps not this table (its events went to other tables): in
// Complete mode the next Trigger then emits every row, as Spark writes
// the whole result at every batch with data. Other modes ignore it.
func (t *Table[K, V, A]) NoteInput() { t.pending = true }

// EventTime returns the largest event time the watermark has followed:
// the largest given to Trigger (MaxEventTime) or TriggerAt,
// math.MinInt64 before any.
func (t *Table[K, V, A]) EventTime() int64 { return t.wmEvent }

// MaxEventTime returns the largest event time added, math.MinInt64 before
// any.
func (t *Table[K, V, A]) MaxEventTime() int64 { return t.maxEvent }

// Len returns the number of (key, window) rows held in state.
func (t *Table[K, V, A]) Len() int { return t.live }
