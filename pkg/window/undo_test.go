package window

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// TestRollbackIsRestoreOfCheckpoint checks, on random streams, that
// Rollback leaves a table that behaves exactly as one given Restore of a
// Snapshot taken at the last Checkpoint: same Add results, Trigger rows,
// Changes and Snapshot from then on.
func TestRollbackIsRestoreOfCheckpoint(t *testing.T) {
	forEachCase(t, 2000, 3, runRollbackCase)
}

func runRollbackCase(r *rand.Rand, cfg Config, ops []op) error {
	tab, err := New[string](cfg, AddSum)
	if err != nil {
		return err
	}
	if err := tab.Rollback(); err == nil {
		return fmt.Errorf("Rollback without a Checkpoint did not fail")
	}
	ref, _ := New[string](cfg, AddSum) // the table tab must behave as
	var checkpoint State[string, Sum]
	checkpointed := false
	var a, b []Row[string, Sum]
	var ca, cb []string
	changes := func(out *[]string) func(Row[string, Sum], bool) {
		return func(row Row[string, Sum], deleted bool) { *out = append(*out, fmt.Sprint(row, deleted)) }
	}
	for i, p := range ops {
		if !p.trigger {
			k1, d1 := tab.AddWindows(p.key, p.ts, p.v)
			k2, d2 := ref.AddWindows(p.key, p.ts, p.v)
			if k1 != k2 || d1 != d2 {
				return fmt.Errorf("op %d AddWindows(%q, %d) = %d, %d; the restored table %d, %d", i, p.key, p.ts, k1, d1, k2, d2)
			}
		} else {
			a, b = a[:0], b[:0]
			tab.Trigger(func(row Row[string, Sum]) { a = append(a, row) })
			ref.Trigger(func(row Row[string, Sum]) { b = append(b, row) })
			if !slices.Equal(a, b) {
				return fmt.Errorf("op %d: Trigger emitted\n%v\nthe restored table\n%v", i, a, b)
			}
		}
		if r.IntN(4) == 0 {
			ca, cb = ca[:0], cb[:0]
			tab.Changes(changes(&ca))
			ref.Changes(changes(&cb))
			if !slices.Equal(ca, cb) {
				return fmt.Errorf("op %d: Changes\n%v\nthe restored table\n%v", i, ca, cb)
			}
		}
		switch x := r.IntN(10); {
		case x < 2:
			tab.Checkpoint()
			checkpoint, checkpointed = tab.Snapshot(), true
		case x < 3 && checkpointed:
			if err := tab.Rollback(); err != nil {
				return fmt.Errorf("op %d: Rollback: %v", i, err)
			}
			ref, _ = New[string](cfg, AddSum)
			if err := ref.Restore(checkpoint); err != nil {
				return fmt.Errorf("op %d: Restore: %v", i, err)
			}
		}
		s1, s2 := tab.Snapshot(), ref.Snapshot()
		if !slices.Equal(s1.Rows, s2.Rows) || s1.Watermark != s2.Watermark || s1.MaxEventTime != s2.MaxEventTime || tab.Len() != ref.Len() {
			return fmt.Errorf("op %d: Snapshot\n%+v\nthe restored table\n%+v", i, s1, s2)
		}
	}
	return nil
}

// TestCheckpointCostsTheBatch checks that the undo log holds the rows a
// batch changed, not the table: after a Checkpoint, one Add records as
// many entries as windows it touched.
func TestCheckpointCostsTheBatch(t *testing.T) {
	tab := mustNew[string](t, Config{Size: 10 * time.Millisecond, Slide: 5 * time.Millisecond, Delay: 1000 * time.Hour, Mode: Update})
	for k := range 1000 {
		tab.Add(fmt.Sprint(k), 7, 1)
	}
	tab.Trigger(nil)
	tab.Checkpoint()
	tab.Add("3", 7, 1)
	tab.Add("3", 8, 1)
	if n := len(tab.undo.rows); n != 2 {
		t.Fatalf("undo log holds %d rows after two Adds to the same two windows, want 2", n)
	}
	if err := tab.Rollback(); err != nil {
		t.Fatal(err)
	}
	for _, r := range tab.Snapshot().Rows {
		if r.Agg.Count != 1 {
			t.Fatalf("after Rollback row %v, want count 1", r)
		}
	}
}

// TestRestoredStateIsTheRollbackPoint: with the undo log on (a Checkpoint
// was taken), a state put in by Restore or by a Loader is what a later
// Rollback returns to, not the state checkpointed before it.
func TestRestoredStateIsTheRollbackPoint(t *testing.T) {
	cfg := Config{Size: 10 * time.Minute, Slide: 5 * time.Minute, Delay: 10 * time.Minute, Mode: Update}
	const m = int64(time.Minute / time.Millisecond)
	src := mustNew[string](t, cfg)
	src.Add("Europe", 2*m, 5)
	src.Add("Asia", 7*m, 3)
	want := src.Snapshot()
	for _, tc := range []struct {
		name string
		put  func(tab *Table[string, int64, Sum]) error
	}{
		{"Restore", func(tab *Table[string, int64, Sum]) error { return tab.Restore(want) }},
		{"Loader", func(tab *Table[string, int64, Sum]) error {
			ld := tab.Load()
			for _, r := range want.Rows {
				if err := ld.Put(r.Key, r.Start, r.Agg); err != nil {
					return err
				}
			}
			return ld.Done(want.Watermark, want.MaxEventTime, want.EventTime)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tab := mustNew[string](t, cfg)
			tab.Add("Africa", 1*m, 1)
			tab.Checkpoint() // the undo log on, at a state other than want
			if err := tc.put(tab); err != nil {
				t.Fatal(err)
			}
			tab.Add("Europe", 8*m, 100)
			tab.Add("Oceania", 9*m, 7)
			if err := tab.Rollback(); err != nil {
				t.Fatal(err)
			}
			if got := tab.Snapshot(); !slices.Equal(got.Rows, want.Rows) || got.Watermark != want.Watermark || got.MaxEventTime != want.MaxEventTime {
				t.Errorf("rolled back to %+v, want the state put in %+v", got, want)
			}
		})
	}
}
