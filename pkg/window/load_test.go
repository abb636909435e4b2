package window

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"
)

// change is one record of a changelog kept from Changes.
type change struct {
	row     Row[string, Sum]
	deleted bool
}

// TestLoadChangelog checks, on random streams, that loading the whole
// history of Changes (never compacted, tombstones included) with a Loader
// gives the table Restore of a Snapshot gives: same rows, and the same
// output for the rest of the stream.
func TestLoadChangelog(t *testing.T) {
	forEachCase(t, 2000, 4, runLoadCase)
}

func runLoadCase(r *rand.Rand, cfg Config, ops []op) error {
	tab, err := New[string](cfg, AddSum)
	if err != nil {
		return err
	}
	var log []change
	keep := func(row Row[string, Sum], deleted bool) { log = append(log, change{row, deleted}) }
	var a, b []Row[string, Sum]
	var loaded *Table[string, int64, Sum]
	for i, p := range ops {
		if !p.trigger {
			k1, _ := tab.AddWindows(p.key, p.ts, p.v)
			if loaded != nil {
				if k2, _ := loaded.AddWindows(p.key, p.ts, p.v); k1 != k2 {
					return fmt.Errorf("op %d: the loaded table kept %d windows, the original %d", i, k2, k1)
				}
			}
			continue
		}
		a, b = a[:0], b[:0]
		tab.Trigger(func(row Row[string, Sum]) { a = append(a, row) })
		tab.Changes(keep)
		if loaded != nil {
			loaded.Trigger(func(row Row[string, Sum]) { b = append(b, row) })
			loaded.Changes(discardChanges)
			if !slices.Equal(a, b) {
				return fmt.Errorf("op %d: the loaded table emitted\n%v\nthe original\n%v", i, b, a)
			}
		}
		if r.IntN(3) != 0 {
			continue
		}
		loaded, _ = New[string](cfg, AddSum)
		ld := loaded.Load()
		for _, c := range log {
			if c.deleted {
				ld.Delete(c.row.Key, c.row.Start)
				continue
			}
			if err := ld.Put(c.row.Key, c.row.Start, c.row.Agg); err != nil {
				return fmt.Errorf("op %d: Put %v: %v", i, c.row, err)
			}
		}
		if ld.Len() != tab.Len() {
			return fmt.Errorf("op %d: loaded %d rows, the table holds %d", i, ld.Len(), tab.Len())
		}
		if err := ld.Done(tab.Watermark(), tab.MaxEventTime(), tab.EventTime()); err != nil {
			return fmt.Errorf("op %d: Done: %v", i, err)
		}
		s1, s2 := tab.Snapshot(), loaded.Snapshot()
		if !slices.Equal(s1.Rows, s2.Rows) || s1.Watermark != s2.Watermark || s1.MaxEventTime != s2.MaxEventTime || s1.EventTime != s2.EventTime {
			return fmt.Errorf("op %d: loaded\n%+v\nthe table\n%+v", i, s2, s1)
		}
	}
	return nil
}

func discardChanges(Row[string, Sum], bool) {}

// TestLoadRefuses checks the states a Loader must not load, and that the
// table is unchanged after a failed Done.
func TestLoadRefuses(t *testing.T) {
	cfg := Config{Size: 10 * time.Minute, Slide: 5 * time.Minute, Delay: 10 * time.Minute, Mode: Update}
	const t0 = int64(1_672_617_600_000) // a multiple of 5 minutes
	const minute = int64(60_000)
	tests := []struct {
		name          string
		put           int64
		wm, max, evt  int64
		wantPut, want string
	}{
		{"misaligned", t0 + 1, math.MinInt64, t0, 0, "not aligned", ""},
		{"after the largest event", t0 + 5*minute, math.MinInt64, t0, 0, "", "starts after the largest event time"},
		{"closed", t0, t0 + 10*minute, t0 + 20*minute, 0, "", "closed by watermark"},
		{"watermark ahead", t0, t0, t0, 0, "", "ahead of event time"},
		{"max event out of range", t0, math.MinInt64, LatestTime + 1, 0, "", "outside the supported range"},
	}
	for _, tt := range tests {
		tab := mustNew[string](t, cfg)
		tab.Add("kept", t0+minute, 5)
		tab.Trigger(nil)
		before := tab.Snapshot()
		ld := tab.Load()
		err := ld.Put("k", tt.put, Sum{Total: 1, Count: 1})
		if tt.wantPut != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantPut) {
				t.Errorf("%s: Put error %v, want one mentioning %q", tt.name, err, tt.wantPut)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%s: Put: %v", tt.name, err)
		}
		err = ld.Done(tt.wm, tt.max, tt.evt)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: Done error %v, want one mentioning %q", tt.name, err, tt.want)
		}
		if after := tab.Snapshot(); !slices.Equal(after.Rows, before.Rows) || after.Watermark != before.Watermark {
			t.Errorf("%s: a failed load changed the table: %+v, was %+v", tt.name, after, before)
		}
	}
}
