package window

import (
	"errors"
	"slices"
)

// undoLog records, once Checkpoint has been called, what each row that
// changed since the last Checkpoint held at that Checkpoint, so that
// Rollback can return to it. It holds one entry per row changed, created
// or dropped since the Checkpoint: it is bounded by the micro-batch, not
// by the table.
type undoLog[K comparable, A any] struct {
	on                            bool
	wm, maxEvent, wmEvent, closed int64
	saved                         []int32 // rows flagged fSaved
	rows                          []undoRow[K, A]
}

// undoRow is a row as it was at the Checkpoint: absent (existed false)
// or holding agg.
type undoRow[K comparable, A any] struct {
	key     K
	start   int64
	agg     A
	existed bool
}

// Checkpoint makes the table's current state the one Rollback returns
// to. From the first Checkpoint on, the table records what each row that
// changes held at the last Checkpoint, at the cost of one entry per row
// changed, added or dropped in between: call it at the end of each
// micro-batch that commits. Checkpoint costs time in proportion to the
// rows changed since the previous one, not to the rows held.
func (t *Table[K, V, A]) Checkpoint() {
	u := &t.undo
	for _, r := range u.saved {
		t.rows[r].off(fSaved)
	}
	u.saved = shrink(u.saved)
	clear(u.rows) // let go of the keys
	u.rows = shrink(u.rows)
	u.on = true
	u.wm, u.maxEvent, u.wmEvent, u.closed = t.wm, t.maxEvent, t.wmEvent, t.closed
	t.touchIf |= fSaved
}

// shrink empties s, and lets go of its array if it is much larger than
// its last use, so that one large micro-batch does not hold memory for
// good.
func shrink[T any](s []T) []T {
	if cap(s) > 1024 && len(s) < cap(s)/4 {
		return nil
	}
	return s[:0]
}

// save records row r as it is now, before its first change since the
// Checkpoint.
func (t *Table[K, V, A]) save(r int32, existed bool) {
	rw := &t.rows[r]
	rw.on(fSaved)
	u := &t.undo
	u.saved = append(u.saved, r)
	u.rows = append(u.rows, undoRow[K, A]{key: t.keys[rw.id()], start: rw.start, agg: rw.agg, existed: existed})
}

// errNoCheckpoint is Rollback's error without a Checkpoint.
var errNoCheckpoint = errors.New("window: Rollback without a Checkpoint")

// Rollback returns the table to its state at the last Checkpoint: its
// rows and aggregates, watermark and event times. Afterwards it behaves
// as a table given Restore of a Snapshot taken at that Checkpoint would:
// Changes reports only what changes after the Rollback, Update mode has
// no row left to emit, and Complete mode emits only after the next Add.
// Rollback costs time in proportion to the rows changed since the
// Checkpoint, plus one pass over the rows held; it fails only if
// Checkpoint was never called, leaving the table unchanged.
func (t *Table[K, V, A]) Rollback() error {
	u := &t.undo
	if !u.on {
		return errNoCheckpoint
	}
	u.on = false // the rows put back below are not to be recorded
	t.dropAdded()
	for _, e := range u.rows {
		if !e.existed {
			continue
		}
		r := t.lookup(e.key, e.start)
		if r < 0 {
			r = t.newRow(t.intern(e.key), e.start)
		}
		t.rows[r].agg = e.agg
	}
	t.wm, t.maxEvent, t.wmEvent, t.closed = u.wm, u.maxEvent, u.wmEvent, u.closed
	t.pending = false
	for _, b := range t.buckets {
		for r := b.head; r >= 0; r = t.rows[r].next {
			t.rows[r].setFlags(fLogged)
		}
	}
	t.dirty, t.changed = t.dirty[:0], t.changed[:0]
	clear(t.gone)
	t.gone = t.gone[:0]
	t.Checkpoint()
	return nil
}

// dropAdded drops the rows added since the Checkpoint (recorded as not
// having existed) that are still held: it unlinks them from their
// buckets, one pass over each bucket concerned, and frees them without
// reporting them to Changes.
func (t *Table[K, V, A]) dropAdded() {
	var starts []int64
	for _, e := range t.undo.rows {
		if e.existed {
			continue
		}
		if r := t.lookup(e.key, e.start); r >= 0 {
			t.rows[r].on(fMark)
			starts = append(starts, e.start)
		}
	}
	if len(starts) == 0 {
		return
	}
	slices.Sort(starts)
	starts = slices.Compact(starts)
	for i := range t.buckets {
		b := &t.buckets[i]
		if _, ok := slices.BinarySearch(starts, b.start); !ok {
			continue
		}
		var drop []int32
		prev := int32(-1)
		for r := b.head; r >= 0; r = t.rows[r].next {
			if t.rows[r].flags()&fMark == 0 {
				prev = r
				continue
			}
			drop = append(drop, r)
			if prev < 0 {
				b.head = t.rows[r].next
			} else {
				t.rows[prev].next = t.rows[r].next
			}
		}
		for _, r := range drop {
			t.rows[r].setFlags(0) // unreported: Changes is not to hear of it
			t.freeRow(r)
		}
	}
	t.buckets = slices.DeleteFunc(t.buckets, func(b bucket) bool { return b.head < 0 })
}
