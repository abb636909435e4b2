package window

import (
	"fmt"
)

// Loader rebuilds a Table's state from a changelog such as Changes
// reports (a compacted Kafka topic, say), one record at a time in the
// order they were written: the last Put of a (key, window start) wins and
// a Delete drops it. It builds straight into a table of its own, holding
// only the rows live so far, so that a load takes the memory of the
// rows it ends with and time in proportion to the records read, whatever
// the length of the changelog; Done checks the rows against the
// watermark and puts them into the Table. Until then the Table is
// unchanged.
type Loader[K comparable, V any, A any] struct {
	t, n *Table[K, V, A]
}

// Load returns a Loader of t's state.
func (t *Table[K, V, A]) Load() *Loader[K, V, A] {
	return &Loader[K, V, A]{t: t, n: t.empty()}
}

// Put sets the aggregate of key in the window that starts at start. It
// fails for a start that no window of the table's Config has, or one
// before EarliestTime.
func (l *Loader[K, V, A]) Put(key K, start int64, agg A) error {
	n := l.n
	switch {
	case start < EarliestTime-n.sp.size || start > LatestTime:
		return fmt.Errorf("window of key %v starts at %d, outside the supported times", key, start)
	case n.sp.lastStart(start) != start:
		return fmt.Errorf("window of key %v starts at %d, not aligned to Slide %dms and Start %dms; restore with the configuration that wrote the state",
			key, start, n.sp.slide, n.sp.start)
	}
	id := n.intern(key)
	r := n.find(id, start)
	if r < 0 {
		r = n.allocRow(id, start)
	}
	n.rows[r].agg = agg
	n.rows[r].setFlags(fLogged)
	return nil
}

// Delete drops the row of key in the window that starts at start, if
// held.
func (l *Loader[K, V, A]) Delete(key K, start int64) {
	n := l.n
	if r := n.lookup(key, start); r >= 0 {
		n.rows[r].setFlags(0) // not reported to Changes
		n.freeRow(r)
	}
}

// Len returns the rows loaded so far.
func (l *Loader[K, V, A]) Len() int { return l.n.live }

// Done ends the load with the state's watermark, largest event time and
// the largest event time the watermark followed (as in State), checks
// every row against them as Restore does, and puts the state into the
// Table, which then behaves as after Restore of the same rows. On error
// the Table is unchanged. The Loader is not to be used afterwards.
func (l *Loader[K, V, A]) Done(watermark, maxEventTime, eventTime int64) error {
	n := l.n
	if err := n.setTimes(watermark, maxEventTime, eventTime); err != nil {
		return err
	}
	for r := range n.rows {
		rw := &n.rows[r]
		if rw.flags()&fLogged == 0 {
			continue // free
		}
		switch {
		case rw.start > n.maxEvent:
			return fmt.Errorf("restore window state: window [%d, %d) of key %v starts after the largest event time %d, so no event put it there",
				rw.start, rw.start+n.sp.size, n.keys[rw.id()], n.maxEvent)
		case rw.start+n.sp.size <= n.closed:
			return fmt.Errorf("restore window state: window [%d, %d) of key %v is closed by watermark %d yet still held; the state is corrupt",
				rw.start, rw.start+n.sp.size, n.keys[rw.id()], n.closed)
		}
		b := n.bucketFor(rw.start)
		rw.next = n.buckets[b].head
		n.buckets[b].head = int32(r)
	}
	l.t.replace(n)
	l.n = nil
	return nil
}
