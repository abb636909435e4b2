package audit

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

const minute = 60_000 // a minute in ms

func TestStarts(t *testing.T) {
	for _, tc := range []struct {
		name string
		spec Spec
		ts   int64
		want []int64
	}{
		{"sliding, inside", Spec{Size: 10 * minute, Slide: 5 * minute}, 7 * minute, []int64{0, 5 * minute}},
		{"sliding, on a boundary", Spec{Size: 10 * minute, Slide: 5 * minute}, 10 * minute, []int64{5 * minute, 10 * minute}},
		{"tumbling", Spec{Size: 10 * minute, Slide: 10 * minute}, 19*minute + 59_999, []int64{10 * minute}},
		{"before the epoch", Spec{Size: 10 * minute, Slide: 5 * minute}, -1, []int64{-10 * minute, -5 * minute}},
		{"with an offset", Spec{Size: 10 * minute, Slide: 5 * minute, Start: 2 * minute}, 2 * minute, []int64{-3 * minute, 2 * minute}},
		{"size not a multiple of slide", Spec{Size: 10 * minute, Slide: 4 * minute}, 9 * minute, []int64{0, 4 * minute, 8 * minute}},
		{"size not a multiple of slide, fewer", Spec{Size: 10 * minute, Slide: 4 * minute}, 11 * minute, []int64{4 * minute, 8 * minute}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.spec.starts(tc.ts); !slices.Equal(got, tc.want) {
				t.Errorf("starts(%d) = %v, want %v", tc.ts, got, tc.want)
			}
		})
	}
}

func TestBatchAdd(t *testing.T) {
	spec := Spec{Size: 10 * minute, Slide: 5 * minute}
	bad := errors.New("not Avro")
	sale := func(fate uint8) Sale {
		return Sale{Partition: 0, Offset: 7, Region: "EU", Time: 7 * minute, Cents: 1199, Fate: fate | fRead}
	}
	late := func(wm, n int64) Sale {
		s := sale(fWindowed | fLate)
		s.LateWatermark, s.LateWindows = wm, n
		return s
	}
	invalid := func(fate uint8) Sale { s := sale(fate); s.Err = bad; return s }
	for _, tc := range []struct {
		name    string
		sale    Sale
		counts  Counts
		rows    map[Key]Agg
		problem string
	}{
		{"windowed", sale(fWindowed), Counts{Sales: 1, Aggregated: 1},
			map[Key]Agg{{"EU", 0}: {1199, 1}, {"EU", 5 * minute}: {1199, 1}}, ""},
		{"in flight", sale(fInFlight), Counts{Sales: 1, InFlight: 1}, map[Key]Agg{}, ""},
		{"dead-lettered", invalid(fDead), Counts{Sales: 1, Dead: 1}, map[Key]Agg{}, ""},
		{"late from one window", late(10*minute, 1), Counts{Sales: 1, Aggregated: 1, PartlyLate: 1},
			map[Key]Agg{{"EU", 5 * minute}: {1199, 1}}, ""},
		{"late from all windows", late(15*minute, 2), Counts{Sales: 1, Late: 1}, map[Key]Agg{}, ""},
		{"late record with the wrong count", late(15*minute, 1), Counts{Sales: 1, Late: 1}, map[Key]Agg{},
			"its late record says 1 windows had closed, but watermark"},
		{"lost", sale(0), Counts{Sales: 1, Unaccounted: 1}, map[Key]Agg{}, "neither forwarded"},
		{"invalid and not dead-lettered", invalid(0), Counts{Sales: 1, Unaccounted: 1}, map[Key]Agg{}, "is not on the dead-letter topic"},
		{"invalid but forwarded", invalid(fWindowed), Counts{Sales: 1, Unaccounted: 1}, map[Key]Agg{}, "not a valid sale"},
		{"valid but dead-lettered", sale(fDead), Counts{Sales: 1, Unaccounted: 1}, map[Key]Agg{}, "valid sale but was dead-lettered"},
		{"forwarded twice", sale(fWindowed | fTwice), Counts{Sales: 1, Aggregated: 1},
			map[Key]Agg{{"EU", 0}: {1199, 1}, {"EU", 5 * minute}: {1199, 1}}, "more than once"},
		{"late but in flight", sale(fInFlight | fLate), Counts{Sales: 1, Unaccounted: 1}, map[Key]Agg{}, "not windowed yet"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := NewBatch(spec)
			b.Add(tc.sale)
			if b.Counts() != tc.counts {
				t.Errorf("counts %+v, want %+v", b.Counts(), tc.counts)
			}
			if len(b.rows) != len(tc.rows) {
				t.Errorf("rows %v, want %v", b.rows, tc.rows)
			}
			for k, w := range tc.rows {
				if b.rows[k] != w {
					t.Errorf("row %s = %v, want %v", k, b.rows[k], w)
				}
			}
			ps, n := b.Problems()
			switch {
			case tc.problem == "" && n > 0:
				t.Errorf("problems %v, want none", ps)
			case tc.problem != "" && (n != 1 || !strings.Contains(ps[0], tc.problem)):
				t.Errorf("problems %v, want one saying %q", ps, tc.problem)
			}
		})
	}
}

func TestBatchSumsExactly(t *testing.T) {
	b := NewBatch(Spec{Size: 10 * minute, Slide: 5 * minute})
	for i, c := range []int64{1199, 1, 99999999, -250} {
		b.Add(Sale{Offset: int64(i), Region: "EU", Time: 6 * minute, Cents: c, Fate: fWindowed})
	}
	b.Add(Sale{Offset: 9, Region: "Asia", Time: 6 * minute, Cents: 5, Fate: fWindowed})
	want := map[Key]Agg{
		{"EU", 0}: {100000949, 4}, {"EU", 5 * minute}: {100000949, 4},
		{"Asia", 0}: {5, 1}, {"Asia", 5 * minute}: {5, 1},
	}
	if len(b.rows) != len(want) {
		t.Fatalf("rows %v, want %v", b.rows, want)
	}
	for k, w := range want {
		if b.rows[k] != w {
			t.Errorf("row %s = %v, want %v", k, b.rows[k], w)
		}
	}
}

func TestCompare(t *testing.T) {
	spec := Spec{Size: 10 * minute, Slide: 5 * minute}
	b := NewBatch(spec)
	b.rows = map[Key]Agg{{"EU", 0}: {100, 1}, {"EU", 5 * minute}: {100, 1}, {"Asia", 0}: {7, 2}}
	row := func(c, n int64, start int64) Found { return Found{Agg: Agg{c, n}, End: start + spec.Size} }
	always := func(Key) bool { return true }
	for _, tc := range []struct {
		name    string
		found   map[Key]Found
		closed  func(Key) bool
		want    []string
		checked int
		pending int
	}{
		{"equal", map[Key]Found{{"EU", 0}: row(100, 1, 0), {"EU", 5 * minute}: row(100, 1, 5*minute), {"Asia", 0}: row(7, 2, 0)},
			always, nil, 3, 0},
		{"one cent off", map[Key]Found{{"EU", 0}: row(101, 1, 0), {"EU", 5 * minute}: row(100, 1, 5*minute), {"Asia", 0}: row(7, 2, 0)},
			always, []string{"differs  EU@1970-01-01T00:00:00Z: expected sales 1.00 orders 1, found sales 1.01 orders 1"}, 3, 0},
		{"missing and extra", map[Key]Found{{"EU", 0}: row(100, 1, 0), {"EU", 5 * minute}: row(100, 1, 5*minute), {"Africa", 0}: row(3, 1, 0)},
			always, []string{
				"extra    Africa@1970-01-01T00:00:00Z: expected no row, found sales 0.03 orders 1",
				"missing  Asia@1970-01-01T00:00:00Z: expected sales 0.07 orders 2, found no row",
			}, 4, 0},
		{"wrong window end", map[Key]Found{{"EU", 0}: {Agg: Agg{100, 1}, End: 5 * minute}, {"EU", 5 * minute}: row(100, 1, 5*minute), {"Asia", 0}: row(7, 2, 0)},
			always, []string{"malformed EU@1970-01-01T00:00:00Z: window end 1970-01-01T00:05:00Z, want 1970-01-01T00:10:00Z"}, 3, 0},
		{"append: open windows are not due", map[Key]Found{{"EU", 0}: row(100, 1, 0), {"Asia", 0}: row(7, 2, 0)},
			func(k Key) bool { return k.Start == 0 }, nil, 2, 1},
		{"append: a row before its window closed", map[Key]Found{{"EU", 0}: row(100, 1, 0), {"EU", 5 * minute}: row(100, 1, 5*minute), {"Asia", 0}: row(7, 2, 0)},
			func(k Key) bool { return k.Start == 0 }, []string{"extra    EU@1970-01-01T00:05:00Z: expected no row, found sales 1.00 orders 1 (written before the watermark closed its window, in append mode)"}, 3, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			diffs, checked, pending := b.Compare(tc.found, tc.closed)
			var got []string
			for _, d := range diffs {
				got = append(got, d.String())
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("differences\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
			if checked != tc.checked || pending != tc.pending {
				t.Errorf("checked %d pending %d, want %d and %d", checked, pending, tc.checked, tc.pending)
			}
		})
	}
}

func TestLedger(t *testing.T) {
	l := newLedger(map[int32]int64{0: 0, 1: 5}, map[int32]int64{0: 3, 1: 8, 2: 0})
	for _, tc := range []struct {
		p    int32
		off  int64
		f    uint8
		ok   bool
		want uint8
	}{
		{0, 0, fWindowed, true, fWindowed},
		{0, 0, fLate, true, fWindowed | fLate},
		{0, 0, fLate, true, fWindowed | fLate | fTwice},
		{0, 1, fDead, true, fDead},
		{0, 1, fWindowed, true, fDead | fWindowed | fTwice},
		{0, 3, fDead, false, 0}, // past the committed offset
		{1, 4, fDead, false, 0}, // before the log start
		{1, 5, fInFlight, true, fInFlight},
		{2, 0, fDead, false, 0}, // nothing committed
	} {
		if ok := l.mark(tc.p, tc.off, tc.f); ok != tc.ok {
			t.Errorf("mark(%d, %d) = %v, want %v", tc.p, tc.off, ok, tc.ok)
		}
		if s := l.slot(tc.p, tc.off); tc.ok && *s != tc.want {
			t.Errorf("flags of %d/%d = %b, want %b", tc.p, tc.off, *s, tc.want)
		}
	}
	*l.slot(0, 1) |= fRead
	unread, n := l.unread(10)
	if n != 2 || len(unread) != 2 || !strings.Contains(unread[0], "partition 0 offset 0") || !strings.Contains(unread[1], "partition 1 offset 5") {
		t.Errorf("unread %v (%d), want partition 0 offset 0 and partition 1 offset 5", unread, n)
	}
}
