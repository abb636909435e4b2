package enricher

import (
	"context"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/salesstream/salesstream/internal/domain/sales"
	"github.com/salesstream/salesstream/internal/domain/schema/schematest"
	"github.com/salesstream/salesstream/internal/platform/topics"
	"github.com/salesstream/salesstream/pkg/window"
)

// TestRegionPartitionIsKafkas: the direct path files a region's sales in
// the partition the client's default partitioner sends its repartition
// records to.
func TestRegionPartitionIsKafkas(t *testing.T) {
	tp := kgo.StickyKeyPartitioner(nil).ForTopic("rep")
	for _, n := range []int32{1, 2, 3, 7, 12, 100} {
		for _, region := range []string{"", "E", "Eu", "Eur", "Europe", "Asia & Pacific", "Amériques", "region-12345", "Unassigned"} {
			want := int32(tp.Partition(&kgo.Record{Key: []byte(region)}, int(n)))
			if got := RegionPartition(region, n); got != want {
				t.Errorf("RegionPartition(%q, %d) = %d, want %d", region, n, got, want)
			}
		}
	}
}

func TestWindowedRange(t *testing.T) {
	for _, tc := range []struct {
		name     string
		v        []byte
		ok, bad  bool
		p        int32
		from, to int64
	}{
		{"range", appendWindowedRange(nil, 2, 10, 250), true, false, 2, 10, 250},
		{"empty range", appendWindowedRange(nil, 0, 7, 7), true, false, 0, 7, 7},
		{"a sale", appendRepartitionValue(nil, &forwarded{ts: 1}), false, false, 0, 0, 0},
		{"a marker", appendMarker(nil, marker{partition: 1}), false, false, 0, 0, 0},
		{"truncated", appendWindowedRange(nil, 2, 10, 250)[:3], true, true, 0, 0, 0},
		{"trailing bytes", append(appendWindowedRange(nil, 2, 10, 250), 0), true, true, 0, 0, 0},
		{"backwards", appendWindowedRange(nil, 2, 10, 9), true, true, 0, 0, 0},
		{"negative partition", appendWindowedRange(nil, -1, 10, 19), true, true, 0, 0, 0},
	} {
		p, from, to, ok, err := WindowedRange(tc.v)
		if ok != tc.ok || (err != nil) != tc.bad || (!tc.bad && (p != tc.p || from != tc.from || to != tc.to)) {
			t.Errorf("%s: WindowedRange = %d [%d, %d) %v %v; want %d [%d, %d) ok %v bad %v", tc.name, p, from, to, ok, err, tc.p, tc.from, tc.to, tc.ok, tc.bad)
		}
		if _, _, sale, _ := RepartitionSource(tc.v); sale && tc.ok {
			t.Errorf("%s: RepartitionSource takes a windowed-range record for a sale", tc.name)
		}
	}
}

// outcome is what a sequence of runs left: the latest summary row of every
// key, the late records by source, the stats summed, and what the
// repartition topic holds.
type outcome struct {
	rows                map[string]string
	late                map[string]string // source partition/offset -> watermark/windows
	aggregated, nLate   int64
	windowed, forwarded int64
	repSales            int
	rangeRecords        int
}

// TestDirectPathGivesTheRoundTripsResults runs the same six micro-batches
// of sales, each an available-now run of a new enricher on state restored
// from the changelog, with the direct path and with the round trip: the
// summary table, every late decision (the sale, the watermark and windows
// that refused it) and the counts are the same, in update and in append
// mode. Batch k holds sales of [T0+10m*k, T0+10m*(k+1)) on three
// partitions, and some of the earlier batches: late, partly late or on
// time by the watermark of the batch before.
func TestDirectPathGivesTheRoundTripsResults(t *testing.T) {
	for _, mode := range []window.Mode{window.Update, window.Append} {
		t.Run(mode.String(), func(t *testing.T) {
			batches := directBatches()
			rt := runBatches(t, batches, true, mode)
			direct := runBatches(t, batches, false, mode)
			if !maps.Equal(rt.rows, direct.rows) {
				t.Errorf("summary rows differ:\nround trip %v\ndirect     %v", rt.rows, direct.rows)
			}
			if !maps.Equal(rt.late, direct.late) {
				t.Errorf("late records differ:\nround trip %v\ndirect     %v", rt.late, direct.late)
			}
			if rt.aggregated != direct.aggregated || rt.nLate != direct.nLate || rt.windowed != direct.windowed || rt.forwarded != direct.forwarded {
				t.Errorf("counts: round trip %+v, direct %+v", rt, direct)
			}
			if rt.nLate == 0 || len(rt.late) == 0 || rt.aggregated == 0 {
				t.Errorf("round trip %+v: the batches made no late sale, or none aggregated: the test checks nothing", rt)
			}
			if rt.repSales != int(rt.forwarded) || direct.repSales != 0 || direct.rangeRecords == 0 {
				t.Errorf("repartition topic: round trip %d sales (want %d), direct %d sales and %d windowed-range records (want none and some)",
					rt.repSales, rt.forwarded, direct.repSales, direct.rangeRecords)
			}
		})
	}
}

type directSale struct {
	partition int32
	country   string
	ts, cents int64
}

func directBatches() [][]directSale {
	rng := rand.New(rand.NewPCG(3, 5))
	countries := []string{"France", "Japan", "Peru", "Kenya"}
	var batches [][]directSale
	for k := range 6 {
		var b []directSale
		add := func(at int64) {
			b = append(b, directSale{partition: int32(rng.IntN(3)), country: countries[rng.IntN(len(countries))], ts: at, cents: 1 + rng.Int64N(5000)})
		}
		for range 40 {
			add(t0 + int64(k)*10*minute + rng.Int64N(10*minute))
		}
		for j := range k {
			for range 4 {
				add(t0 + int64(j)*10*minute + rng.Int64N(10*minute))
			}
		}
		rng.Shuffle(len(b), func(i, j int) { b[i], b[j] = b[j], b[i] })
		batches = append(batches, b)
	}
	return batches
}

// runBatches runs each batch through an available-now run and reads what
// the runs left.
func runBatches(t *testing.T, batches [][]directSale, roundTrip bool, mode window.Mode) outcome {
	f := newOnceFixture(t, roundTrip)
	f.cfg.LateTopic = "late"
	f.cfg.Window.Mode = mode
	var o outcome
	for k, batch := range batches {
		e := f.enricher(t, k == 0)
		var recs []*kgo.Record
		for i, s := range batch {
			v := fmt.Sprintf("sale-%d-%d", k, i)
			f.dec[v] = saleValue(s.country, s.ts, s.cents)
			recs = append(recs, &kgo.Record{Topic: f.cfg.SalesTopic, Partition: s.partition, Value: []byte(v)})
		}
		st := f.run(t, e, recs)
		o.aggregated += st.Aggregated
		o.nLate += st.Late
		o.windowed += st.Windowed
		o.forwarded += st.Repartitioned
	}
	o.read(f.ctx, t, f.opts, f.cfg)
	return o
}

// read reads the summary, late and repartition topics into o.
func (o *outcome) read(ctx context.Context, t *testing.T, opts []kgo.Opt, cfg Config) {
	t.Helper()
	o.rows = map[string]string{}
	readTopic(ctx, t, opts, cfg.SummaryTopic, func(r *kgo.Record) { o.rows[string(r.Key)] = string(r.Value) })
	o.late = map[string]string{}
	readTopic(ctx, t, opts, cfg.LateTopic, func(r *kgo.Record) {
		h := headerMap(r)
		o.late[h[HeaderPartition]+"/"+h[HeaderOffset]] = h[HeaderWatermark] + "/" + h[HeaderLateWindows]
	})
	readTopic(ctx, t, opts, cfg.Group+"-repartition", func(r *kgo.Record) {
		switch {
		case isWindowedRange(r.Value):
			o.rangeRecords++
		case !isMarker(r.Value):
			o.repSales++
		}
	})
}

// readTopic passes every committed record of topic to fn.
func readTopic(ctx context.Context, t *testing.T, opts []kgo.Opt, topic string, fn func(*kgo.Record)) {
	t.Helper()
	cl, err := kgo.NewClient(append(opts, kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.FetchIsolationLevel(kgo.ReadCommitted()), kgo.KeepControlRecords())...)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ends, err := topics.ListEnds(ctx, cl, nil, topic)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := ends.Consume(ctx, cl, func(r *kgo.Record) error { fn(r); return nil }); err != nil {
		t.Fatalf("read %s: %v", topic, err)
	}
}

// TestBookkeepingBatch: a batch that polled only transaction markers and
// windowed-range records ends at once; any other record makes it wait for
// its trigger.
func TestBookkeepingBatch(t *testing.T) {
	control := &kgo.Record{Topic: "rep", Attrs: kgo.NewRecordAttrs(kgo.RecordAttrsOpts{Control: true, Transactional: true})}
	rangeRec := &kgo.Record{Topic: "rep", Value: appendWindowedRange(nil, 0, 1, 2)}
	for _, tc := range []struct {
		name string
		recs []*kgo.Record
		want bool
	}{
		{"nothing polled", nil, false},
		{"a windowed-range record", []*kgo.Record{rangeRec}, true},
		{"a transaction marker", []*kgo.Record{control}, true},
		{"both", []*kgo.Record{control, rangeRec}, true},
		{"a watermark marker", []*kgo.Record{rangeRec, {Topic: "rep", Value: appendMarker(nil, marker{})}}, false},
		{"a sale", []*kgo.Record{{Topic: "sales", Value: appendWindowedRange(nil, 0, 1, 2)}}, false},
	} {
		var b batch
		for _, r := range tc.recs {
			b.take(r)
			b.direct.note(r, "rep")
		}
		if got := b.bookkeeping(); got != tc.want {
			t.Errorf("%s: bookkeeping %v, want %v", tc.name, got, tc.want)
		}
	}
}

// TestDirectPathDrainsTheRoundTripFirst: the repartition topic holds sales
// and markers that a round trip forwarded (an instance that left, or a run
// with --round-trip), an hour of event time behind the sales waiting in the
// sales topic. Stage 2 reads a repartition partition in order, so on the
// round trip those sales are windowed before the newer sales' markers move
// the watermark, and none is late; the direct path reads them first too,
// before its first direct batch, and gives the same results.
func TestDirectPathDrainsTheRoundTripFirst(t *testing.T) {
	rt := runLeftovers(t, true)
	direct := runLeftovers(t, false)
	if rt.nLate != 0 || rt.aggregated != 60+90 {
		t.Fatalf("round trip %+v: want the 60 forwarded and 90 new sales aggregated, none late", rt)
	}
	if !maps.Equal(rt.rows, direct.rows) || !maps.Equal(rt.late, direct.late) || rt.aggregated != direct.aggregated || rt.nLate != direct.nLate {
		t.Errorf("round trip %+v\ndirect %+v", rt, direct)
	}
	if direct.rangeRecords == 0 {
		t.Error("the direct run wrote no windowed-range record: it never took the direct path")
	}
}

// runLeftovers writes 60 forwarded sales of [T0, T0+10m) and their markers
// to the repartition topic, 90 sales of [T0+1h, T0+1h10m) to the sales
// topic, and runs an available-now enricher.
func runLeftovers(t *testing.T, roundTrip bool) outcome {
	f := newOnceFixture(t, roundTrip)
	f.cfg.LateTopic = "late"
	// Small batches: the sales take several, and the repartition records
	// may come after some of them.
	f.cfg.MaxRecordsPerTrigger = 20
	e := f.enricher(t, true)
	rep := f.cfg.Group + "-repartition"
	countries := []string{"France", "Japan", "Peru", "Kenya"}
	var recs []*kgo.Record
	for i := range 60 {
		c := countries[i%4]
		region := f.regions.Region(c)
		fw := forwarded{ts: t0 + int64(i)*10_000, cents: 100 + int64(i), timestamp: t0, partition: int32(i % 3), offset: int64(1000 + i), value: []byte("old")}
		recs = append(recs, &kgo.Record{Topic: rep, Partition: RegionPartition(region, 3), Key: []byte(region), Value: appendRepartitionValue(nil, &fw)})
	}
	for sp := range int32(3) {
		for p := range int32(3) {
			recs = append(recs, &kgo.Record{Topic: rep, Partition: p, Value: appendMarker(nil, marker{partition: sp, maxEvent: t0 + 10*minute})})
		}
	}
	for i := range 90 {
		v := fmt.Sprintf("new-%d", i)
		f.dec[v] = saleValue(countries[i%4], t0+60*minute+int64(i)*6_000, 7)
		recs = append(recs, &kgo.Record{Topic: f.cfg.SalesTopic, Partition: int32(i % 3), Value: []byte(v)})
	}
	st := f.run(t, e, recs)
	o := outcome{aggregated: st.Aggregated, nLate: st.Late, windowed: st.Windowed, forwarded: st.Repartitioned}
	o.read(f.ctx, t, f.opts, f.cfg)
	return o
}

// TestDrainYieldsToTheGroup: a drain reads the repartition topic to ends
// listed while this instance owned every partition, with the sales topic
// paused. Once the group changes the instance's partitions, or it no
// longer owns every one, those ends may name partitions it will never
// read: the drain is abandoned and the sales topic resumed, or the
// instance would read nothing more (two instances starting together hung
// so).
func TestDrainYieldsToTheGroup(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change func(s *session)
		active bool
	}{
		{"nothing changed", func(*session) {}, true},
		{"the group reassigned", func(s *session) { s.asg.changes.Add(1) }, false},
		{"a sales partition went", func(s *session) { delete(s.src.lastData, 2) }, false},
		{"a repartition partition went", func(s *session) { delete(s.tasks, 1) }, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := drainingSession(t)
			tc.change(s)
			s.followDrain()
			paused := slices.Contains(s.gts.Client().PauseFetchTopics(), s.e.cfg.SalesTopic)
			if s.drain.active != tc.active || paused != tc.active {
				t.Errorf("drain active %v, sales paused %v; want both %v", s.drain.active, paused, tc.active)
			}
		})
	}
}

// drainingSession returns a session owning the three partitions of each
// topic, in a drain that has not reached its ends.
func drainingSession(t *testing.T) *session {
	opts, cl := manualCluster(t)
	ctx := testContext(t)
	e, err := New(DefaultConfig(), sales.NewRegions(map[string]string{"France": "Europe"}), schematest.Decoder{}, textEncoder{}, textEncoder{})
	if err != nil {
		t.Fatal(err)
	}
	if err := topics.Ensure(ctx, cl, e.Topics(3)...); err != nil {
		t.Fatal(err)
	}
	s, err := e.openSession(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.gts.Close)
	e.stats.ready.Store(true)
	for p := range int32(3) {
		s.tasks[p] = &task{}
		s.src.lastData[p] = time.Now()
	}
	if !s.ownsAll() {
		t.Fatal("the session does not own every partition")
	}
	ends := topics.EndsAt(e.cfg.RepartitionTopic, map[int32]int64{0: 0, 1: 0, 2: 0}, map[int32]int64{0: 5, 1: 5, 2: 5})
	s.drain = drain{active: true, ends: ends, at: s.changes()}
	s.gts.Client().PauseFetchTopics(e.cfg.SalesTopic)
	return s
}
