package window

import (
	"cmp"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"
)

const ms = time.Millisecond

func mustNew[K comparable](t testing.TB, cfg Config, opts ...Option[K]) *Table[K, int64, Sum] {
	t.Helper()
	tab, err := New[K](cfg, AddSum, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return tab
}

func collect[K comparable](tab *Table[K, int64, Sum]) []Row[K, Sum] {
	var rs []Row[K, Sum]
	tab.Trigger(func(r Row[K, Sum]) { rs = append(rs, r) })
	return rs
}

// TestLateIsPerWindow pins Spark's rule: the watermark drops a value from a
// window whose end is at or before it, not from an event older than it.
func TestLateIsPerWindow(t *testing.T) {
	tests := []struct {
		name              string
		cfg               Config
		ts                int64
		kept, dropped     int
		wantAdd           bool
		wantWindowsOpened []int64 // starts of rows the event touched
	}{
		// Watermark 20 in every case (event at 20, delay 0).
		{"sliding, both windows open", Config{Size: 10 * ms, Slide: 5 * ms}, 20, 2, 0, true, []int64{15, 20}},
		{"sliding, older than watermark, newer window open", Config{Size: 10 * ms, Slide: 5 * ms}, 17, 1, 1, true, []int64{15}},
		{"sliding, all windows closed", Config{Size: 10 * ms, Slide: 5 * ms}, 12, 0, 2, false, nil},
		{"sliding, window ending at the watermark is closed", Config{Size: 10 * ms, Slide: 5 * ms}, 19, 1, 1, true, []int64{15}},
		{"tumbling, event at the watermark", Config{Size: 10 * ms}, 20, 1, 0, true, []int64{20}},
		{"tumbling, window ends at the watermark", Config{Size: 10 * ms}, 19, 0, 1, false, nil},
		{"complete keeps everything", Config{Size: 10 * ms, Slide: 5 * ms, Mode: Complete}, 3, 2, 0, true, []int64{-5, 0}},
	}
	for _, tt := range tests {
		tab := mustNew[string](t, tt.cfg)
		tab.Add("k", 20, 0)
		tab.Trigger(nil)
		if tab.Watermark() != 20 {
			t.Fatalf("%s: watermark %d, want 20", tt.name, tab.Watermark())
		}
		if k, d := tab.AddWindows("k", tt.ts, 1); k != tt.kept || d != tt.dropped {
			t.Errorf("%s: AddWindows(%d) = %d, %d; want %d, %d", tt.name, tt.ts, k, d, tt.kept, tt.dropped)
		}
		if got := tab.Add("k", tt.ts, 1); got != tt.wantAdd {
			t.Errorf("%s: Add(%d) = %v, want %v", tt.name, tt.ts, got, tt.wantAdd)
		}
		var touched []int64
		for _, r := range tab.Snapshot().Rows {
			if r.Agg.Total > 0 {
				touched = append(touched, r.Start)
			}
		}
		if !slices.Equal(touched, tt.wantWindowsOpened) {
			t.Errorf("%s: windows holding the event start at %v, want %v", tt.name, touched, tt.wantWindowsOpened)
		}
	}
}

func TestOutOfRangeTimes(t *testing.T) {
	tab := mustNew[string](t, Config{Size: 10 * ms, Mode: Update})
	for _, ts := range []int64{math.MinInt64, EarliestTime - 1, LatestTime + 1, math.MaxInt64} {
		if k, d := tab.AddWindows("k", ts, 1); k != 0 || d != 0 {
			t.Errorf("AddWindows(%d) = %d, %d; want 0, 0", ts, k, d)
		}
	}
	if tab.MaxEventTime() != math.MinInt64 || tab.Len() != 0 {
		t.Errorf("out-of-range times changed state: max %d, len %d", tab.MaxEventTime(), tab.Len())
	}
	tab.Trigger(nil)
	if tab.Watermark() != math.MinInt64 {
		t.Errorf("watermark %d after out-of-range times only", tab.Watermark())
	}
}

func TestWatermarkNeverMovesBack(t *testing.T) {
	tab := mustNew[string](t, Config{Size: 10 * ms, Delay: 5 * ms})
	if tab.Watermark() != math.MinInt64 || tab.MaxEventTime() != math.MinInt64 {
		t.Fatalf("new table: watermark %d, max %d", tab.Watermark(), tab.MaxEventTime())
	}
	steps := []struct{ ts, wm int64 }{{100, 95}, {50, 95}, {101, 96}, {-1000, 96}}
	for _, s := range steps {
		tab.Add("k", s.ts, 1)
		if got := tab.Watermark(); s.ts == 100 && got != math.MinInt64 {
			t.Errorf("watermark moved to %d before Trigger", got)
		}
		tab.Trigger(nil)
		if got := tab.Watermark(); got != s.wm {
			t.Errorf("after event %d: watermark %d, want %d", s.ts, got, s.wm)
		}
	}
}

type region string

type point struct{ X, Y int }

func TestKeyOrder(t *testing.T) {
	cfg := Config{Size: 10 * ms, Mode: Update}
	keysOf := func(rs []Row[region, Sum]) []region {
		var ks []region
		for _, r := range rs {
			ks = append(ks, r.Key)
		}
		return ks
	}
	rt := mustNew[region](t, cfg)
	for _, k := range []region{"Oceania", "Africa", "Unassigned", "Asia", "Europe"} {
		rt.Add(k, 15, 1)
		rt.Add(k, 5, 1)
	}
	got := collect(rt)
	if want := []region{"Africa", "Asia", "Europe", "Oceania", "Unassigned"}; !slices.Equal(keysOf(got[:5]), want) || !slices.Equal(keysOf(got[5:]), want) {
		t.Errorf("named string keys came out %v", keysOf(got))
	}
	if got[0].Start != 0 || got[5].Start != 10 {
		t.Errorf("rows not ordered by window start first: %v", got)
	}

	it := mustNew[int](t, cfg)
	for _, k := range []int{3, -7, 0, 12, -1} {
		it.Add(k, 0, 1)
	}
	var ints []int
	for _, r := range collect(it) {
		ints = append(ints, r.Key)
	}
	if want := []int{-7, -1, 0, 3, 12}; !slices.Equal(ints, want) {
		t.Errorf("int keys came out %v, want %v", ints, want)
	}

	byY := func(a, b point) int { return cmp.Or(cmp.Compare(a.Y, b.Y), cmp.Compare(a.X, b.X)) }
	for _, tc := range []struct {
		name string
		opts []Option[point]
		want []point
	}{
		{"default order of struct keys", nil, []point{{1, 9}, {2, 1}, {2, 3}}},
		{"OrderKeys", []Option[point]{OrderKeys(byY)}, []point{{2, 1}, {2, 3}, {1, 9}}},
	} {
		pt := mustNew[point](t, cfg, tc.opts...)
		for _, k := range []point{{2, 3}, {1, 9}, {2, 1}} {
			pt.Add(k, 0, 1)
		}
		var pts []point
		for _, r := range collect(pt) {
			pts = append(pts, r.Key)
		}
		if !slices.Equal(pts, tc.want) {
			t.Errorf("%s: keys came out %v, want %v", tc.name, pts, tc.want)
		}
	}
}

func TestDefaultCompare(t *testing.T) {
	type u8 uint8
	type f64 float64
	check := func(name string, c int, want int) {
		t.Helper()
		if c != want {
			t.Errorf("%s: compare = %d, want %d", name, c, want)
		}
	}
	check("int8", defaultCompare[int8]()(-3, 2), -1)
	check("int16", defaultCompare[int16]()(300, -300), 1)
	check("int32", defaultCompare[int32]()(5, 5), 0)
	check("int64", defaultCompare[int64]()(math.MinInt64, math.MaxInt64), -1)
	check("uint", defaultCompare[uint]()(7, 3), 1)
	check("named uint8", defaultCompare[u8]()(200, 100), 1)
	check("uint16", defaultCompare[uint16]()(1, 2), -1)
	check("uint32", defaultCompare[uint32]()(math.MaxUint32, 0), 1)
	check("uint64", defaultCompare[uint64]()(math.MaxUint64, 1), 1)
	check("uintptr", defaultCompare[uintptr]()(1, 2), -1)
	check("float32", defaultCompare[float32]()(-0.5, 0.25), -1)
	check("named float64", defaultCompare[f64]()(2.5, 2.25), 1)
	check("bool", defaultCompare[bool]()(false, true), -1)
	check("bool equal", defaultCompare[bool]()(true, true), 0)
	check("bool reversed", defaultCompare[bool]()(true, false), 1)
	check("array", defaultCompare[[2]string]()([2]string{"a", "b"}, [2]string{"a", "c"}), -1)
}

func TestRestoreRejectsBadState(t *testing.T) {
	cfg := Config{Size: 10 * ms, Slide: 5 * ms, Delay: 10 * ms, Mode: Update}
	good := func() State[string, Sum] {
		return State[string, Sum]{Watermark: 90, MaxEventTime: 100, Rows: []Row[string, Sum]{
			{Key: "a", Start: 95, End: 105, Agg: Sum{1, 1}},
			{Key: "a", Start: 100, End: 110, Agg: Sum{1, 1}},
		}}
	}
	tests := []struct {
		name string
		edit func(*State[string, Sum])
		want string
	}{
		{"wrong window length", func(s *State[string, Sum]) { s.Rows[0].End = 106 }, "Size"},
		{"misaligned start", func(s *State[string, Sum]) { s.Rows[0].Start, s.Rows[0].End = 96, 106 }, "aligned"},
		{"duplicate row", func(s *State[string, Sum]) { s.Rows[1] = s.Rows[0] }, "duplicate"},
		{"closed window", func(s *State[string, Sum]) { s.Rows[0].Start, s.Rows[0].End = 80, 90 }, "closed"},
		{"window after max event time", func(s *State[string, Sum]) { s.Rows[0].Start, s.Rows[0].End = 105, 115 }, "after the largest event time"},
		{"watermark ahead", func(s *State[string, Sum]) { s.Watermark = 95 }, "ahead"},
		{"watermark without events", func(s *State[string, Sum]) { s.MaxEventTime = math.MinInt64; s.Rows = nil }, "ahead"},
		{"max event time out of range", func(s *State[string, Sum]) { s.MaxEventTime = math.MaxInt64 }, "range"},
	}
	for _, tt := range tests {
		tab := mustNew[string](t, cfg)
		tab.Add("z", 50, 7)
		before := tab.Snapshot()
		s := good()
		if err := mustNew[string](t, cfg).Restore(s); err != nil {
			t.Fatalf("good state rejected: %v", err)
		}
		tt.edit(&s)
		err := tab.Restore(s)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: Restore error %v, want one mentioning %q", tt.name, err, tt.want)
		}
		if after := tab.Snapshot(); !slices.Equal(after.Rows, before.Rows) || after.Watermark != before.Watermark || after.MaxEventTime != before.MaxEventTime {
			t.Errorf("%s: failed Restore changed the table: %+v, was %+v", tt.name, after, before)
		}
	}
}

func TestChangesReportsDrops(t *testing.T) {
	tab := mustNew[string](t, Config{Size: 10 * ms, Mode: Update})
	type change struct {
		key     string
		start   int64
		total   int64
		deleted bool
	}
	changes := func() []change {
		var cs []change
		tab.Changes(func(r Row[string, Sum], deleted bool) { cs = append(cs, change{r.Key, r.Start, r.Agg.Total, deleted}) })
		return cs
	}
	tab.Add("b", 1, 2)
	tab.Add("a", 1, 3)
	tab.Trigger(nil)
	if got, want := changes(), []change{{"a", 0, 3, false}, {"b", 0, 2, false}}; !slices.Equal(got, want) {
		t.Errorf("first Changes = %v, want %v", got, want)
	}
	tab.Add("a", 12, 4) // opens [10, 20)
	tab.Add("c", 25, 5) // watermark 25 closes [0, 10) and [10, 20)
	tab.Trigger(nil)
	want := []change{{"a", 0, 0, true}, {"b", 0, 0, true}, {"c", 20, 5, false}}
	if got := changes(); !slices.Equal(got, want) {
		t.Errorf("second Changes = %v, want %v (a at 10 was never reported, so its drop is not either)", got, want)
	}
	if got := changes(); got != nil {
		t.Errorf("Changes with nothing new = %v", got)
	}
}

// TestMemoryBounded streams events whose keys churn (each key lives for a
// few windows) and checks that every internal structure stays bounded by
// the open windows, with Changes never called.
func TestMemoryBounded(t *testing.T) {
	for _, mode := range []Mode{Update, Append} {
		tab := mustNew[int64](t, Config{Size: 10 * ms, Slide: 5 * ms, Delay: 20 * ms, Mode: mode})
		r := rand.New(rand.NewPCG(1, 1))
		peak := 0
		for i := range int64(300_000) {
			ts := i / 10
			key := ts/50*100 + r.Int64N(100) // 100 keys at a time, new ones every 50ms
			tab.Add(key, ts-r.Int64N(30), 1)
			if i%97 == 0 {
				tab.Trigger(nil)
			}
			peak = max(peak, tab.Len())
		}
		// Open windows span the delay plus a window: at most about
		// (20+10)/5+2 starts times 200 keys.
		const bound = 8 * 200
		if peak > bound {
			t.Errorf("%v: Len peaked at %d, want <= %d", mode, peak, bound)
		}
		sizes := map[string]int{
			"ids": len(tab.ids), "keys": len(tab.keys), "rows": len(tab.rows),
			"changed": len(tab.changed), "gone": len(tab.gone), "buckets": len(tab.buckets),
			"index": len(tab.idx.slots) / 4, "dirty": len(tab.dirty),
		}
		for name, n := range sizes {
			if n > 2*bound+64 {
				t.Errorf("%v: %s holds %d entries after a long stream, want <= %d", mode, name, n, 2*bound+64)
			}
		}
		if tab.compactChanged(); len(tab.changed) > tab.Len() {
			t.Errorf("%v: compacted changed list holds %d entries for %d rows", mode, len(tab.changed), tab.Len())
		}
		for k, id := range tab.ids {
			if tab.keyRows[id] <= 0 {
				t.Errorf("%v: key %d is known but holds no rows", mode, k)
				break
			}
		}
		if len(tab.ids)+len(tab.freeKeys) != len(tab.keys) {
			t.Errorf("%v: %d live keys + %d free ids != %d ids", mode, len(tab.ids), len(tab.freeKeys), len(tab.keys))
		}
	}
}

func TestAddDoesNotAllocate(t *testing.T) {
	for _, mode := range []Mode{Update, Complete, Append} {
		tab := mustNew[string](t, Config{Size: 10 * time.Minute, Slide: 5 * time.Minute, Delay: 10 * time.Minute, Mode: mode})
		keys := []string{"Africa", "Asia", "Europe", "Oceania", "Americas"}
		ts := int64(0)
		var sink int64
		emit := func(r Row[string, Sum]) { sink += r.Agg.Total }
		batch := func() {
			for i := range 1000 {
				tab.Add(keys[i%len(keys)], ts, 1)
				tab.Add(keys[i%len(keys)], ts-30*60_000, 1) // late
				ts += 1000
			}
			tab.Trigger(emit)
			tab.Changes(func(Row[string, Sum], bool) {})
		}
		if mode == Complete {
			// Complete mode grows with time by design; measure Add alone.
			batch = func() {
				for i := range 1000 {
					tab.Add(keys[i%len(keys)], ts%(3_600_000), 1)
					ts += 1000
				}
			}
		}
		for range 20 {
			batch()
		}
		if n := testing.AllocsPerRun(20, batch); n != 0 {
			t.Errorf("%v: %v allocations per 1000-event batch in steady state, want 0", mode, n)
		}
	}
}

func TestIndex(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 3))
	// The index confirms a match against the row: give it rows.
	tab := mustNew[string](t, Config{Size: time.Minute})
	x := &tab.idx
	type k struct {
		key   int32
		start int64
	}
	m := map[k]int32{}
	for i := range 200_000 {
		// Few keys and starts, so probe runs collide and wrap around.
		e := k{int32(r.IntN(40)), int64(r.IntN(60)) * 300_000}
		if _, ok := m[e]; ok && r.IntN(2) == 0 {
			tab.remove(e.key, e.start)
			delete(m, e)
		} else if !ok {
			tab.rows = append(tab.rows, make([]row[Sum], i+1-len(tab.rows))...)
			tab.rows[i] = newRowOf[Sum](e.start, e.key)
			x.insert(e.key, e.start, int32(i))
			m[e] = int32(i)
		}
		if i%1000 == 0 {
			for e, want := range m {
				if got := tab.find(e.key, e.start); got != want {
					t.Fatalf("step %d: find(%v) = %d, want %d", i, e, got, want)
				}
			}
			if x.n != len(m) {
				t.Fatalf("step %d: index holds %d, want %d", i, x.n, len(m))
			}
		}
	}
	tab.remove(1000, 1) // absent: no effect
	if x.n != len(m) || tab.find(1000, 1) != -1 {
		t.Error("removing an absent entry changed the index")
	}
}
