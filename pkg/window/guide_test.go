package window

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

// hm returns 2024-01-01 hh:mm UTC in Unix milliseconds.
func hm(hh, mm int) int64 { return time.Date(2024, 1, 1, hh, mm, 0, 0, time.UTC).UnixMilli() }

type word struct {
	ts   int64
	word string
}

// countRow is a row of a word count, as the guide prints it.
func countRow(h1, m1 int, w string, n int64) Row[string, Sum] {
	return Row[string, Sum]{Key: w, Start: hm(h1, m1), End: hm(h1, m1) + 10*60_000, Agg: Sum{Total: n, Count: n}}
}

func fmtRows(rs []Row[string, Sum]) string {
	var b strings.Builder
	for _, r := range rs {
		fmt.Fprintf(&b, "  %s-%s %s %d\n", time.UnixMilli(r.Start).UTC().Format("15:04"),
			time.UnixMilli(r.End).UTC().Format("15:04"), r.Key, r.Agg.Count)
	}
	return b.String()
}

// guideBatches is the stream of the "Handling Late Data and Watermarking"
// example of Spark's Structured Streaming programming guide: word counts
// over 10-minute windows sliding every 5 minutes, a 10-minute watermark,
// a trigger every 5 minutes. The guide groups the events into triggers as
// below; its text pins (12:09, cat) to the trigger whose watermark is 12:04,
// the one after (12:14, dog). The fifth trigger, (12:26, owl), is not in the
// guide: it carries the example on until the watermark closes the next window.
var guideBatches = [][]word{
	{{hm(12, 7), "dog"}, {hm(12, 8), "owl"}},
	{{hm(12, 14), "dog"}},
	{{hm(12, 9), "cat"}, {hm(12, 15), "cat"}, {hm(12, 8), "dog"}, {hm(12, 13), "owl"}, {hm(12, 21), "owl"}},
	{{hm(12, 4), "donkey"}, {hm(12, 17), "owl"}},
	{{hm(12, 26), "owl"}},
}

// guideWatermarks are the watermarks after each trigger: max event time
// minus 10 minutes (the guide: 12:04 after (12:14, dog), 12:11 after (12:21, owl)).
var guideWatermarks = []int64{hm(11, 58), hm(12, 4), hm(12, 11), hm(12, 11), hm(12, 16)}

func runGuide(t *testing.T, mode Mode, want [][]Row[string, Sum]) {
	t.Helper()
	tab, err := New[string](Config{Size: 10 * time.Minute, Slide: 5 * time.Minute, Delay: 10 * time.Minute, Mode: mode}, AddSum)
	if err != nil {
		t.Fatal(err)
	}
	for i, batch := range guideBatches {
		for _, w := range batch {
			late := w.word == "donkey"
			if got := tab.Add(w.word, w.ts, 1); got == late {
				t.Errorf("trigger %d: Add(%s at %s) = %v, want %v", i+1, w.word, time.UnixMilli(w.ts).UTC().Format("15:04"), got, !late)
			}
		}
		var got []Row[string, Sum]
		tab.Trigger(func(r Row[string, Sum]) { got = append(got, r) })
		if !slices.Equal(got, want[i]) {
			t.Errorf("trigger %d emitted\n%swant\n%s", i+1, fmtRows(got), fmtRows(want[i]))
		}
		if tab.Watermark() != guideWatermarks[i] {
			t.Errorf("trigger %d: watermark %s, want %s", i+1,
				time.UnixMilli(tab.Watermark()).UTC().Format("15:04"), time.UnixMilli(guideWatermarks[i]).UTC().Format("15:04"))
		}
	}
}

// TestGuideUpdateMode reproduces the guide's update-mode figure: after each
// trigger the rows updated in it (the guide's highlighted rows); the
// window 12:00-12:10 is dropped once the watermark reaches 12:11, and
// (12:04, donkey) is then too late and ignored.
func TestGuideUpdateMode(t *testing.T) {
	runGuide(t, Update, [][]Row[string, Sum]{
		{countRow(12, 0, "dog", 1), countRow(12, 0, "owl", 1), countRow(12, 5, "dog", 1), countRow(12, 5, "owl", 1)},
		{countRow(12, 5, "dog", 2), countRow(12, 10, "dog", 1)},
		{
			countRow(12, 0, "cat", 1), countRow(12, 0, "dog", 2),
			countRow(12, 5, "cat", 1), countRow(12, 5, "dog", 3), countRow(12, 5, "owl", 2),
			countRow(12, 10, "cat", 1), countRow(12, 10, "owl", 1),
			countRow(12, 15, "cat", 1), countRow(12, 15, "owl", 1),
			countRow(12, 20, "owl", 1),
		},
		{countRow(12, 10, "owl", 2), countRow(12, 15, "owl", 2)},
		{countRow(12, 20, "owl", 2), countRow(12, 25, "owl", 1)},
	})
}

// TestGuideAppendMode reproduces the guide's append-mode figure: nothing
// comes out until the watermark passes 12:10, then the final counts of
// window 12:00-12:10. The guide's figure shows them at the 12:25 trigger:
// it predates no-data batches. With a no-data batch after the 12:20
// trigger (which every Trigger here includes, and which Spark since 2.4
// runs when no new data is waiting) they come out as soon as the watermark
// reaches 12:11, at the end of the 12:20 trigger, with the same counts.
func TestGuideAppendMode(t *testing.T) {
	runGuide(t, Append, [][]Row[string, Sum]{
		nil,
		nil,
		{countRow(12, 0, "cat", 1), countRow(12, 0, "dog", 2), countRow(12, 0, "owl", 1)},
		nil,
		{countRow(12, 5, "cat", 1), countRow(12, 5, "dog", 3), countRow(12, 5, "owl", 2)},
	})
}

// TestGuideCompleteMode reproduces the "Window Operations on Event Time"
// figure of the guide: 10-minute windows sliding every 5 minutes, complete
// mode, lines "cat dog" at 12:02 and "dog dog" at 12:03, "owl cat" at
// 12:07, "dog" at 12:11 and "owl" at 12:13, triggers at 12:05, 12:10 and
// 12:15; each trigger prints the whole result table.
func TestGuideCompleteMode(t *testing.T) {
	tab, err := New[string](Config{Size: 10 * time.Minute, Slide: 5 * time.Minute, Mode: Complete}, AddSum)
	if err != nil {
		t.Fatal(err)
	}
	batches := [][]word{
		{{hm(12, 2), "cat"}, {hm(12, 2), "dog"}, {hm(12, 3), "dog"}, {hm(12, 3), "dog"}},
		{{hm(12, 7), "owl"}, {hm(12, 7), "cat"}},
		{{hm(12, 11), "dog"}, {hm(12, 13), "owl"}},
	}
	want := [][]Row[string, Sum]{
		{countRow(11, 55, "cat", 1), countRow(11, 55, "dog", 3), countRow(12, 0, "cat", 1), countRow(12, 0, "dog", 3)},
		{
			countRow(11, 55, "cat", 1), countRow(11, 55, "dog", 3),
			countRow(12, 0, "cat", 2), countRow(12, 0, "dog", 3), countRow(12, 0, "owl", 1),
			countRow(12, 5, "cat", 1), countRow(12, 5, "owl", 1),
		},
		{
			countRow(11, 55, "cat", 1), countRow(11, 55, "dog", 3),
			countRow(12, 0, "cat", 2), countRow(12, 0, "dog", 3), countRow(12, 0, "owl", 1),
			countRow(12, 5, "cat", 1), countRow(12, 5, "dog", 1), countRow(12, 5, "owl", 2),
			countRow(12, 10, "dog", 1), countRow(12, 10, "owl", 1),
		},
	}
	for i, batch := range batches {
		for _, w := range batch {
			tab.Add(w.word, w.ts, 1)
		}
		var got []Row[string, Sum]
		tab.Trigger(func(r Row[string, Sum]) { got = append(got, r) })
		if !slices.Equal(got, want[i]) {
			t.Errorf("trigger %d emitted\n%swant\n%s", i+1, fmtRows(got), fmtRows(want[i]))
		}
	}
	// A trigger without new data runs no batch, so prints nothing.
	n := 0
	tab.Trigger(func(Row[string, Sum]) { n++ })
	if n != 0 {
		t.Errorf("trigger without data emitted %d rows, want 0", n)
	}
}
