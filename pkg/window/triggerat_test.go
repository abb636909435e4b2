package window

import (
	"math"
	"testing"
	"time"
)

// TestTriggerAt checks that the watermark follows the event time given,
// not the table's own events, never goes backwards, and survives a
// Snapshot and Restore even when no event of the table's own put it there.
func TestTriggerAt(t *testing.T) {
	const min = int64(time.Minute / time.Millisecond)
	cfg := Config{Size: 10 * time.Minute, Delay: 10 * time.Minute, Mode: Append}
	for _, tt := range []struct {
		name   string
		own    []int64 // events added before the trigger
		at     []int64 // event times given to successive TriggerAt calls
		wantWM int64
	}{
		{"quiet table follows the query", nil, []int64{60 * min}, 50 * min},
		{"own events do not drive it", []int64{100 * min}, []int64{60 * min}, 50 * min},
		{"never backwards", nil, []int64{60 * min, 30 * min}, 50 * min},
		{"MinInt64 leaves it", nil, []int64{60 * min, math.MinInt64}, 50 * min},
		{"no event time yet", []int64{5 * min}, []int64{math.MinInt64}, math.MinInt64},
	} {
		t.Run(tt.name, func(t *testing.T) {
			tab := mustNew[string](t, cfg)
			for _, ts := range tt.own {
				tab.Add("k", ts, 1)
			}
			for _, at := range tt.at {
				tab.TriggerAt(at, nil)
			}
			if got := tab.Watermark(); got != tt.wantWM {
				t.Fatalf("watermark %d, want %d", got, tt.wantWM)
			}
			re := mustNew[string](t, cfg)
			if err := re.Restore(tab.Snapshot()); err != nil {
				t.Fatalf("restore: %v", err)
			}
			if re.Watermark() != tt.wantWM {
				t.Errorf("restored watermark %d, want %d", re.Watermark(), tt.wantWM)
			}
		})
	}
}

// TestTriggerAtClosesQuietWindows checks that a window of a table that
// takes no more events is emitted, once, when the query's event time
// passes its end plus the delay.
func TestTriggerAtClosesQuietWindows(t *testing.T) {
	const min = int64(time.Minute / time.Millisecond)
	tab := mustNew[string](t, Config{Size: 10 * time.Minute, Delay: 10 * time.Minute, Mode: Append})
	tab.Add("a", 3*min, 7)
	var got []Row[string, Sum]
	emit := func(r Row[string, Sum]) { got = append(got, r) }
	tab.TriggerAt(3*min, emit)
	tab.TriggerAt(19*min, emit)
	if len(got) != 0 {
		t.Fatalf("emitted %v before the watermark passed 10m", got)
	}
	tab.TriggerAt(20*min, emit)
	tab.TriggerAt(45*min, emit)
	if len(got) != 1 || got[0].Start != 0 || got[0].Agg != (Sum{Total: 7, Count: 1}) {
		t.Fatalf("emitted %v, want the window [0, 10m) once with 7", got)
	}
}

// TestNoteInput checks that in Complete mode a table that took no event
// still emits every row at a Trigger after NoteInput, and only then.
func TestNoteInput(t *testing.T) {
	tab := mustNew[string](t, Config{Size: 10 * time.Minute, Mode: Complete})
	tab.Add("a", 1, 7)
	n := 0
	count := func(Row[string, Sum]) { n++ }
	tab.Trigger(count)
	tab.Trigger(count)
	if n != 1 {
		t.Fatalf("emitted %d rows over two triggers, want 1 (the second had no input)", n)
	}
	tab.NoteInput()
	tab.TriggerAt(math.MinInt64, count)
	if n != 2 {
		t.Fatalf("emitted %d rows, want the row again after NoteInput", n)
	}
}
