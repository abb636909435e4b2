package window

import (
	"cmp"
	"fmt"
	"math"
	"slices"
)

// State is everything a Table holds, for checkpoints: Restore of a
// Snapshot taken after a Trigger gives a Table whose later output is the
// same as the original's.
type State[K comparable, A any] struct {
	Watermark    int64 // Table.Watermark
	MaxEventTime int64 // Table.MaxEventTime
	// EventTime is the largest event time the watermark has followed:
	// MaxEventTime, or a larger one given to TriggerAt. It only bounds
	// the Watermark Restore accepts; 0 or math.MinInt64 mean MaxEventTime.
	EventTime int64
	Rows      []Row[K, A] // every row held, ordered by window start, then key
}

// Snapshot returns the table's full state, rows ordered by window start,
// then key (the order Trigger emits in). Aggregates are copied by value.
//
// Taken after Trigger, it is exact. Taken between an Add and the next
// Trigger it still holds every aggregate and the largest event time, but
// not which rows that Trigger would emit in Update mode, nor, in Complete
// mode, that it would emit at all: a table restored from it emits those
// rows only when they take another value.
func (t *Table[K, V, A]) Snapshot() State[K, A] {
	s := State[K, A]{Watermark: t.wm, MaxEventTime: t.maxEvent, EventTime: t.wmEvent, Rows: make([]Row[K, A], 0, t.live)}
	var rs []int32
	for _, b := range t.buckets {
		rs = t.gather(rs[:0], b)
		t.sortRows(rs)
		for _, r := range rs {
			s.Rows = append(s.Rows, t.rowAt(r))
		}
	}
	return s
}

// Restore replaces all of the table's state with s, which must come from
// Snapshot of a Table with the same window Size, Slide and Start (and, in
// Update and Append mode, hold no window the watermark has closed). Rows
// may be in any order. Afterwards the table behaves as the one
// snapshotted, and Changes reports only what changes after the Restore.
// On error the table is unchanged.
func (t *Table[K, V, A]) Restore(s State[K, A]) error {
	n := t.empty()
	if err := n.setTimes(s.Watermark, s.MaxEventTime, s.EventTime); err != nil {
		return err
	}
	for i, r := range s.Rows {
		if err := n.restoreRow(r); err != nil {
			return fmt.Errorf("restore window state: row %d (key %v, window [%d, %d)): %w", i, r.Key, r.Start, r.End, err)
		}
	}
	t.replace(n)
	return nil
}

// empty returns an empty table of t's configuration, to restore into.
func (t *Table[K, V, A]) empty() *Table[K, V, A] {
	n := &Table[K, V, A]{sp: t.sp, add: t.add, compare: t.compare, touchIf: t.touchIf &^ fSaved}
	n.reset()
	return n
}

// setTimes checks the times of a state to restore (as State's fields) and
// sets them on t, an empty table.
func (t *Table[K, V, A]) setTimes(watermark, maxEventTime, eventTime int64) error {
	if maxEventTime != math.MinInt64 && (maxEventTime < EarliestTime || maxEventTime > LatestTime) {
		return fmt.Errorf("restore window state: max event time %d is outside the supported range [%d, %d]",
			maxEventTime, EarliestTime, LatestTime)
	}
	followed := max(maxEventTime, eventTime)
	if eventTime == 0 {
		followed = maxEventTime
	}
	if lim := t.sp.watermarkFor(followed); watermark > lim {
		return fmt.Errorf("restore window state: watermark %d is ahead of event time %d minus delay %dms; the state was written with another delay or is corrupt",
			watermark, followed, t.sp.delay)
	}
	t.wm, t.maxEvent, t.wmEvent = watermark, maxEventTime, followed
	if t.sp.mode != Complete {
		t.closed = t.wm
	}
	return nil
}

// replace makes n, restored, t's state; with the undo log on, the
// restored state is the one a Rollback returns to.
func (t *Table[K, V, A]) replace(n *Table[K, V, A]) {
	if t.undo.on {
		n.Checkpoint()
	}
	*t = *n
}

func (t *Table[K, V, A]) restoreRow(r Row[K, A]) error {
	switch {
	case r.End-r.Start != t.sp.size:
		return fmt.Errorf("window length %dms differs from the configured Size %dms; restore with the configuration that wrote the state",
			r.End-r.Start, t.sp.size)
	case r.Start < EarliestTime-t.sp.size:
		return fmt.Errorf("window starts before the earliest supported time %d", EarliestTime)
	case r.Start > t.maxEvent:
		return fmt.Errorf("window starts after the largest event time %d, so no event put it there", t.maxEvent)
	case t.sp.lastStart(r.Start) != r.Start:
		return fmt.Errorf("window start is not aligned to Slide %dms and Start %dms; restore with the configuration that wrote the state",
			t.sp.slide, t.sp.start)
	case r.End <= t.closed:
		return fmt.Errorf("window is closed by watermark %d yet still held; the state is corrupt", t.closed)
	}
	id := t.intern(r.Key)
	if t.find(id, r.Start) >= 0 {
		return fmt.Errorf("duplicate row")
	}
	i := t.newRow(id, r.Start)
	t.rows[i].agg = r.Agg
	t.rows[i].setFlags(fLogged)
	return nil
}

// Changes calls fn for every row upserted or dropped since the previous
// Changes call (or New, or Restore), ordered by window start, then key: an
// upsert carries the row as it is now; a drop (deleted true) carries the
// key and window with a zero aggregate. A row dropped before any Changes
// call reported it is not reported at all. Applying every call's rows, in
// order, to a map keyed by (Key, Start) — set on upsert, delete on drop —
// reproduces Snapshot().Rows.
func (t *Table[K, V, A]) Changes(fn func(r Row[K, A], deleted bool)) {
	ups := t.ups[:0]
	for _, r := range t.changed {
		rw := &t.rows[r]
		if f := rw.flags(); f&fChanged != 0 {
			rw.setFlags(f&^fChanged | fLogged)
			ups = append(ups, r)
		}
	}
	t.changed = t.changed[:0]
	t.sortRows(ups)
	slices.SortFunc(t.gone, func(a, b Row[K, A]) int {
		if c := cmp.Compare(a.Start, b.Start); c != 0 {
			return c
		}
		return t.compare(a.Key, b.Key)
	})
	i, j := 0, 0
	for i < len(ups) || j < len(t.gone) {
		if j < len(t.gone) && (i == len(ups) || t.goneFirst(t.gone[j], ups[i])) {
			fn(t.gone[j], true)
			j++
			continue
		}
		fn(t.rowAt(ups[i]), false)
		i++
	}
	clear(t.gone)
	t.gone = t.gone[:0]
	t.ups = ups[:0]
}

// goneFirst reports whether dropped row g sorts at or before row r.
func (t *Table[K, V, A]) goneFirst(g Row[K, A], r int32) bool {
	rw := &t.rows[r]
	if g.Start != rw.start {
		return g.Start < rw.start
	}
	return t.compare(g.Key, t.keys[rw.id()]) <= 0
}
