package window

import (
	"cmp"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// oracle is a deliberately naive model of the semantics in the package
// doc: it keeps every event and recomputes all aggregates from scratch at
// each trigger. It shares no code with Table.
type oracle struct {
	size, slide, start, delay int64
	mode                      Mode

	wm, max  int64
	batch    int
	pending  bool
	contribs []contrib
	last     map[wkey]Sum // aggregates at the last trigger
}

type contrib struct {
	key   string
	start int64
	v     int64
	batch int
}

type wkey struct {
	key   string
	start int64
}

func newOracle(c Config) *oracle {
	slide := c.Slide
	if slide == 0 {
		slide = c.Size
	}
	return &oracle{
		size: c.Size.Milliseconds(), slide: slide.Milliseconds(), start: c.Start.Milliseconds(),
		delay: c.Delay.Milliseconds(), mode: c.Mode, wm: math.MinInt64, max: math.MinInt64,
	}
}

// windows lists the starts of ts's windows by trying every start near ts.
func (o *oracle) windows(ts int64) []int64 {
	k0 := (ts - o.start) / o.slide
	var out []int64
	for k := k0 - o.size/o.slide - 2; k <= k0+2; k++ {
		s := o.start + k*o.slide
		if s <= ts && ts < s+o.size {
			out = append(out, s)
		}
	}
	return out
}

func (o *oracle) add(key string, ts, v int64) (kept, dropped int) {
	o.pending = true
	if ts < EarliestTime || ts > LatestTime {
		return 0, 0
	}
	o.max = max(o.max, ts)
	for _, s := range o.windows(ts) {
		if o.mode != Complete && s+o.size <= o.wm {
			dropped++
			continue
		}
		kept++
		o.contribs = append(o.contribs, contrib{key, s, v, o.batch})
	}
	return kept, dropped
}

func (o *oracle) aggregates() map[wkey]Sum {
	m := map[wkey]Sum{}
	for _, c := range o.contribs {
		a := m[wkey{c.key, c.start}]
		AddSum(&a, c.v)
		m[wkey{c.key, c.start}] = a
	}
	return m
}

func (o *oracle) trigger() []Row[string, Sum] {
	aggs := o.aggregates()
	o.last = aggs
	var out []Row[string, Sum]
	emit := func(k wkey) {
		out = append(out, Row[string, Sum]{Key: k.key, Start: k.start, End: k.start + o.size, Agg: aggs[k]})
	}
	old := o.wm
	if o.max != math.MinInt64 && o.max-o.delay > o.wm {
		o.wm = o.max - o.delay
	}
	switch o.mode {
	case Update:
		seen := map[wkey]bool{}
		for _, c := range o.contribs {
			k := wkey{c.key, c.start}
			if c.batch == o.batch && !seen[k] {
				seen[k] = true
				emit(k)
			}
		}
	case Complete:
		if o.pending {
			for k := range aggs {
				emit(k)
			}
		}
	case Append:
		for k := range aggs {
			if end := k.start + o.size; end > old && end <= o.wm {
				emit(k)
			}
		}
	}
	o.batch++
	o.pending = false
	sortRows(out)
	return out
}

// held returns the rows the table should hold just after a trigger.
func (o *oracle) held() []Row[string, Sum] {
	var out []Row[string, Sum]
	for k, a := range o.last {
		if o.mode == Complete || k.start+o.size > o.wm {
			out = append(out, Row[string, Sum]{Key: k.key, Start: k.start, End: k.start + o.size, Agg: a})
		}
	}
	sortRows(out)
	return out
}

func sortRows(rs []Row[string, Sum]) {
	slices.SortFunc(rs, func(a, b Row[string, Sum]) int {
		return cmp.Or(cmp.Compare(a.Start, b.Start), cmp.Compare(a.Key, b.Key))
	})
}

// op is one step of a test stream: an event, or a trigger.
type op struct {
	trigger bool
	key     string
	ts, v   int64
}

// forEachCase checks cases random cases (a tenth as many with -short):
// case seed is the configuration and stream genCase draws from the PCG
// source (seed, stream), and check gets that source to draw more from.
// The first case check fails ends the test, naming its seed.
func forEachCase(t *testing.T, cases int, stream uint64, check func(r *rand.Rand, cfg Config, ops []op) error) {
	t.Helper()
	if testing.Short() {
		cases /= 10
	}
	for seed := range uint64(cases) {
		r := rand.New(rand.NewPCG(seed, stream))
		cfg, ops := genCase(r)
		if err := check(r, cfg, ops); err != nil {
			t.Fatalf("seed %d, config %+v: %v", seed, cfg, err)
		}
	}
}

// genCase draws a random configuration and stream: out-of-order and
// duplicate times, late events, bursts, gaps of days and negative times.
func genCase(r *rand.Rand) (Config, []op) {
	unit := []time.Duration{time.Millisecond, time.Millisecond, time.Second, time.Minute}[r.IntN(4)]
	slideN := int64(1 + r.IntN(7))
	slide := time.Duration(slideN) * unit
	size := slide * time.Duration(1+r.IntN(4))
	if r.IntN(3) == 0 {
		size += time.Duration(r.Int64N(slideN)) * unit // not a multiple of the slide
	}
	cfg := Config{
		Size:  size,
		Slide: slide,
		Start: time.Duration(r.Int64N(slideN)) * unit,
		Delay: time.Duration(r.Int64N(4*int64(size/unit)+1)) * unit,
		Mode:  Mode(r.IntN(3)),
	}
	if cfg.Slide == cfg.Size && r.IntN(2) == 0 {
		cfg.Slide = 0
	}
	ms := unit.Milliseconds()
	now := r.Int64N(2_000_000)*ms - 1_000_000*ms
	if r.IntN(4) == 0 {
		now = r.Int64N(1<<44) - 1<<43 // anywhere in ±280 years
	}
	keys := []string{"a", "b", "c", "Z", "ab", ""}[:1+r.IntN(6)]
	n := r.IntN(300)
	ops := make([]op, 0, n)
	spread := size.Milliseconds() * 3
	for range n {
		switch x := r.IntN(100); {
		case x < 12:
			ops = append(ops, op{trigger: true})
			continue
		case x < 14:
			now += 86_400_000 * (1 + r.Int64N(3)) // a gap of days
		case x < 16:
			now -= r.Int64N(spread + 1) // time goes back
		default:
			now += r.Int64N(size.Milliseconds()/2 + 1)
		}
		ts := now
		switch x := r.IntN(10); {
		case x < 3:
			ts = now - r.Int64N(spread+1) // out of order, often late
		case x < 4:
			ts = now + r.Int64N(spread+1)
		}
		if r.IntN(300) == 0 {
			ts = []int64{math.MinInt64, EarliestTime - 1, LatestTime + 1, math.MaxInt64}[r.IntN(4)]
		}
		burst := 1
		if r.IntN(10) == 0 {
			burst = 2 + r.IntN(5)
		}
		k := keys[r.IntN(len(keys))]
		for range burst {
			ops = append(ops, op{key: k, ts: ts, v: r.Int64N(2000) - 500})
		}
	}
	ops = append(ops, op{trigger: true})
	return cfg, ops
}

// runCase feeds ops to a Table and to the oracle and returns the first
// difference, described for a human.
func runCase(cfg Config, ops []op) error {
	tab, err := New[string](cfg, AddSum)
	if err != nil {
		return fmt.Errorf("New(%+v): %v", cfg, err)
	}
	o := newOracle(cfg)
	var got []Row[string, Sum]
	collect := func(r Row[string, Sum]) { got = append(got, r) }
	for i, p := range ops {
		if !p.trigger {
			k, d := tab.AddWindows(p.key, p.ts, p.v)
			wk, wd := o.add(p.key, p.ts, p.v)
			if k != wk || d != wd {
				return fmt.Errorf("op %d AddWindows(%q, %d): kept, dropped = %d, %d; want %d, %d", i, p.key, p.ts, k, d, wk, wd)
			}
			continue
		}
		got = got[:0]
		tab.Trigger(collect)
		want := o.trigger()
		if !slices.Equal(got, want) {
			return fmt.Errorf("op %d Trigger emitted\n%v\nwant\n%v", i, got, want)
		}
		if tab.Watermark() != o.wm || tab.MaxEventTime() != o.max {
			return fmt.Errorf("op %d: watermark, max event time = %d, %d; want %d, %d", i, tab.Watermark(), tab.MaxEventTime(), o.wm, o.max)
		}
		held := o.held()
		if s := tab.Snapshot(); !slices.Equal(s.Rows, held) || tab.Len() != len(held) {
			return fmt.Errorf("op %d: Len %d, Snapshot rows\n%v\nwant\n%v", i, tab.Len(), s.Rows, held)
		}
	}
	return nil
}

func TestTableMatchesOracle(t *testing.T) {
	forEachCase(t, 4000, 1, func(_ *rand.Rand, cfg Config, ops []op) error { return runCase(cfg, ops) })
}

// TestRestoreAndChanges checks that restoring a snapshot into a fresh table
// at random trigger boundaries gives the same output as an uninterrupted
// run, and that applying Changes to a map reproduces Snapshot.
func TestRestoreAndChanges(t *testing.T) {
	forEachCase(t, 2000, 2, runRestoreCase)
}

func runRestoreCase(r *rand.Rand, cfg Config, ops []op) error {
	whole, err := New[string](cfg, AddSum)
	if err != nil {
		return err
	}
	part, _ := New[string](cfg, AddSum)
	log := map[wkey]Row[string, Sum]{}
	var logErr error
	apply := func(row Row[string, Sum], deleted bool) {
		k := wkey{row.Key, row.Start}
		if deleted {
			if _, ok := log[k]; !ok && logErr == nil {
				logErr = fmt.Errorf("Changes dropped %v, which it never reported", k)
			}
			delete(log, k)
			return
		}
		log[k] = row
	}
	checkLog := func(i int) error {
		part.Changes(apply)
		if logErr != nil {
			return fmt.Errorf("op %d: %w", i, logErr)
		}
		var rows []Row[string, Sum]
		for _, row := range log {
			rows = append(rows, row)
		}
		sortRows(rows)
		if s := part.Snapshot(); !slices.Equal(rows, s.Rows) {
			return fmt.Errorf("op %d: rows from Changes\n%v\nSnapshot\n%v", i, rows, s.Rows)
		}
		return nil
	}
	var a, b []Row[string, Sum]
	for i, p := range ops {
		if !p.trigger {
			if whole.Add(p.key, p.ts, p.v) != part.Add(p.key, p.ts, p.v) {
				return fmt.Errorf("op %d: Add results differ after restore", i)
			}
			if r.IntN(20) == 0 {
				if err := checkLog(i); err != nil {
					return err
				}
			}
			continue
		}
		a, b = a[:0], b[:0]
		whole.Trigger(func(row Row[string, Sum]) { a = append(a, row) })
		part.Trigger(func(row Row[string, Sum]) { b = append(b, row) })
		if !slices.Equal(a, b) {
			return fmt.Errorf("op %d: restored table emitted\n%v\nuninterrupted\n%v", i, b, a)
		}
		if r.IntN(3) == 0 {
			if err := checkLog(i); err != nil {
				return err
			}
		}
		if r.IntN(3) == 0 {
			if err := checkLog(i); err != nil {
				return err
			}
			s := part.Snapshot()
			s.Rows = slices.Clone(s.Rows)
			r.Shuffle(len(s.Rows), func(i, j int) { s.Rows[i], s.Rows[j] = s.Rows[j], s.Rows[i] })
			fresh, _ := New[string](cfg, AddSum)
			if err := fresh.Restore(s); err != nil {
				return fmt.Errorf("op %d: Restore: %v", i, err)
			}
			part = fresh
		}
	}
	if ws, ps := whole.Snapshot(), part.Snapshot(); !slices.Equal(ws.Rows, ps.Rows) || ws.Watermark != ps.Watermark || ws.MaxEventTime != ps.MaxEventTime {
		return fmt.Errorf("final snapshots differ:\n%+v\n%+v", ps, ws)
	}
	return checkLog(len(ops))
}
