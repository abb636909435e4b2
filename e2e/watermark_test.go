package e2e

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/salesstream/salesstream/internal/domain/schema"
	"github.com/salesstream/salesstream/internal/pipeline/producer"
	"github.com/salesstream/salesstream/internal/platform/kafkatest"
	"github.com/salesstream/salesstream/internal/platform/syncbuf"
	"github.com/salesstream/salesstream/pkg/registry"
	"github.com/salesstream/salesstream/pkg/serde"
)

// wmSale is one sale of the watermark tests' generated micro-batches.
type wmSale struct {
	id, customer, cents int64
	at                  time.Time
	country             string
}

// The watermark tests' windows: 10 minutes sliding every 5, a 10-minute
// watermark delay.
const (
	wmSize  = 10 * time.Minute
	wmSlide = 5 * time.Minute
	wmDelay = 10 * time.Minute
)

// wmCountries are the countries the generated sales come from: four
// regions of data/regions.csv and one country it lacks (Unassigned).
var wmCountries = []string{"Angola", "Afghanistan", "Albania", "Anguilla", "Atlantis"}

// regionPartition is the repartition partition, of n, that a region's
// sales meet in: Kafka's murmur2 hash of the region, as every producer
// computes it.
func regionPartition(region string, n int) int {
	return kgo.StickyKeyPartitioner(nil).ForTopic("").Partition(&kgo.Record{Key: []byte(region)}, n)
}

// readRegions reads a regions CSV into country -> region, trimmed.
func readRegions(t *testing.T, path string) map[string]string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, line := range strings.Split(string(b), "\n")[1:] {
		f := strings.Split(line, `","`)
		if len(f) == 2 {
			out[strings.Trim(f[0], `" `)] = strings.Trim(f[1], "\" \r")
		}
	}
	return out
}

// regionOf returns the join of a country to its region in regions,
// "Unassigned" when regions lacks it.
func regionOf(regions map[string]string) func(country string) string {
	return func(c string) string {
		if r, ok := regions[c]; ok {
			return r
		}
		return "Unassigned"
	}
}

// regionLookup reads the regions CSV at path and returns it with its join.
func regionLookup(t *testing.T, path string) (map[string]string, func(country string) string) {
	t.Helper()
	regions := readRegions(t, path)
	return regions, regionOf(regions)
}

// layoutBatches generates five micro-batches of sales whose every
// outcome Spark's semantics fix however the batch is split between the
// instances' triggers. Batch k holds events of [S_k, S_k+10m), S_k =
// T0+10m*k, so the watermark after it, W_k, is in [S_{k-1}, S_k): no event
// of batch k is in a window that ends between W_{k-1} and W_k, the windows
// a partial batch could close early. Batch k also holds events moved from
// the second half of batch k-1 (out of order, kept) and, from batch 3 on,
// events moved from the first half of batch k-3 (every window closed:
// late). After the first batch no sale goes to the regions of repartition
// partition quiet (of 3); those of partition sparse take only events of
// the first minute of each batch, so their own largest event time lags
// the query's by nine minutes.
func layoutBatches(regions map[string]string, quiet, sparse int) [][]wmSale {
	rng := rand.New(rand.NewPCG(11, 29))
	t0 := time.Date(2023, 5, 1, 0, 0, 0, 0, time.UTC)
	start := func(k int) time.Time { return t0.Add(time.Duration(k) * wmSize) }
	region := regionOf(regions)
	var id int64 = 1000
	var batches [][]wmSale
	for k := range 5 {
		var allowed []string
		for _, c := range wmCountries {
			if k == 0 || regionPartition(region(c), 3) != quiet {
				allowed = append(allowed, c)
			}
		}
		add := func(c string, at time.Time) {
			id++
			batches[k] = append(batches[k], wmSale{id: id, customer: 1 + rng.Int64N(400), cents: 1 + rng.Int64N(2000), at: at, country: c})
		}
		batches = append(batches, nil)
		for range 60 {
			c := allowed[rng.IntN(len(allowed))]
			span := wmSize
			if regionPartition(region(c), 3) == sparse {
				span = time.Minute
			}
			add(c, start(k).Add(time.Duration(rng.Int64N(int64(span/time.Millisecond)))*time.Millisecond))
		}
		if k >= 1 {
			for range 6 {
				add(allowed[rng.IntN(len(allowed))], start(k-1).Add(5*time.Minute+time.Duration(rng.Int64N(300_000))*time.Millisecond))
			}
		}
		if k >= 3 {
			for range 5 {
				add(allowed[rng.IntN(len(allowed))], start(k-3).Add(time.Duration(rng.Int64N(300_000))*time.Millisecond))
			}
		}
		rng.Shuffle(len(batches[k]), func(i, j int) { batches[k][i], batches[k][j] = batches[k][j], batches[k][i] })
	}
	return batches
}

// writeBatch writes sales as a sales CSV.
func writeBatch(t *testing.T, path string, sales []wmSale) {
	t.Helper()
	var b strings.Builder
	b.WriteString("payment_id|customer_id|amount|payment_date|city|district|country\n")
	for _, s := range sales {
		fmt.Fprintf(&b, "%d|%d|%s|%s+00|Town|District|%s\n", s.id, s.customer, fmtCents(s.cents),
			s.at.UTC().Format("2006-01-02 15:04:05.000000"), s.country)
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}

// sparkSim is Spark Structured Streaming's windowed aggregation with a
// watermark, written from its documented semantics for this test: a
// batch's events are judged against the watermark of the previous batch;
// an event counts in each of its windows that ends after it and is late
// if any window refused it (none is in complete mode); after the batch
// the watermark becomes the largest event time seen minus the delay,
// never going backwards, and the no-data batch that follows drops (append:
// emits) the windows it closed.
type sparkSim struct {
	mode     string
	region   func(country string) string
	wm       int64
	maxEvent int64
	table    map[summaryKey]summary
}

func newSparkSim(mode string, region func(string) string) *sparkSim {
	return &sparkSim{mode: mode, region: region, wm: math.MinInt64, maxEvent: math.MinInt64, table: map[summaryKey]summary{}}
}

// batch runs one micro-batch and returns the rows written and the ids of
// the late sales.
func (s *sparkSim) batch(sales []wmSale) (map[summaryKey]summary, []int64) {
	size, slide, delay := wmSize.Milliseconds(), wmSlide.Milliseconds(), wmDelay.Milliseconds()
	updated := map[summaryKey]bool{}
	var late []int64
	for _, sale := range sales {
		ms := sale.at.UnixMilli()
		dropped := false
		for st := ms - ms%slide - size + slide; st <= ms; st += slide {
			if st+size <= ms {
				continue
			}
			if s.mode != "complete" && st+size <= s.wm {
				dropped = true
				continue
			}
			k := summaryKey{s.region(sale.country), time.UnixMilli(st).UTC()}
			v := s.table[k]
			v.Cents += sale.cents
			v.Orders++
			s.table[k] = v
			updated[k] = true
		}
		if dropped {
			late = append(late, sale.id)
		}
		s.maxEvent = max(s.maxEvent, ms)
	}
	s.wm = max(s.wm, s.maxEvent-delay)
	out := map[summaryKey]summary{}
	for k, v := range s.table {
		closed := k.Start.UnixMilli()+size <= s.wm
		switch {
		case s.mode == "complete" && len(sales) > 0,
			s.mode == "update" && updated[k],
			s.mode == "append" && closed:
			out[k] = v
		}
		if s.mode != "complete" && closed {
			delete(s.table, k)
		}
	}
	slices.Sort(late)
	return out, late
}

// tail reads what the enricher committed to a topic since the last call.
type tail struct {
	s     endpoints
	topic string
	cl    *kgo.Client
	pos   map[int32]int64
}

func newTail(t *testing.T, s endpoints, topic string) *tail {
	t.Helper()
	cl := kafkatest.Client(t, s.Brokers(), kgo.ConsumeTopics(topic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.FetchIsolationLevel(kgo.ReadCommitted()),
		kgo.KeepControlRecords())
	return &tail{s: s, topic: topic, cl: cl, pos: map[int32]int64{}}
}

// next returns the data records committed since the last call.
func (tl *tail) next(t *testing.T) []*kgo.Record {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	// A fresh client: the consumer's metadata may predate the topic.
	adm := newClient(t, tl.s)
	ends := endOffsets(ctx, t, adm, tl.topic, kgo.ReadCommitted())
	adm.Close()
	var out []*kgo.Record
	for {
		done := true
		for p, end := range ends {
			if tl.pos[p] < end {
				done = false
			}
		}
		if done {
			return out
		}
		fs := tl.cl.PollFetches(ctx)
		if ctx.Err() != nil {
			t.Fatalf("read %s: %v", tl.topic, ctx.Err())
		}
		fs.EachRecord(func(r *kgo.Record) {
			tl.pos[r.Partition] = r.Offset + 1
			if !r.Attrs.IsControl() {
				out = append(out, r)
			}
		})
	}
}

// wmRun is what one layout and mode wrote, batch by batch.
type wmRun struct {
	rows  []map[summaryKey]summary // per batch: the last value written of each row
	late  [][]int64                // per batch: the ids of the late sales, sorted
	count map[summaryKey]int       // times each row was written
}

// collect decodes a batch's summary and late records into run.
func (run *wmRun) collect(t *testing.T, sd *serde.Serde, summaries, late []*kgo.Record, ids map[string]int64) {
	t.Helper()
	rows := map[summaryKey]summary{}
	if run.count == nil {
		run.count = map[summaryKey]int{}
	}
	for _, r := range summaries {
		var v schema.SummaryValue
		if err := sd.Decode(context.Background(), r.Value, nil, false, &v); err != nil {
			t.Fatalf("decode summary at offset %d: %v", r.Offset, err)
		}
		c, err := schema.Decimal(v.Sales)
		if err != nil {
			t.Fatal(err)
		}
		k := summaryKey{v.Region, time.UnixMilli(v.WindowStart).UTC()}
		rows[k] = summary{Cents: int64(c), Orders: v.Orders}
		run.count[k]++
	}
	var lateIDs []int64
	for _, r := range late {
		h := headerMap(r)
		id, ok := ids[filepath.Base(h[producer.HeaderSource])+":"+h[producer.HeaderLine]]
		if !ok {
			t.Fatalf("late record with unknown source %q line %q", h[producer.HeaderSource], h[producer.HeaderLine])
		}
		lateIDs = append(lateIDs, id)
	}
	slices.Sort(lateIDs)
	run.rows = append(run.rows, rows)
	run.late = append(run.late, lateIDs)
}

// final folds the batches' rows into the table a compacted reader sees.
func (run *wmRun) final() map[summaryKey]summary {
	out := map[summaryKey]summary{}
	for _, rows := range run.rows {
		for k, v := range rows {
			out[k] = v
		}
	}
	return out
}

// compareBatch reports how got differs from want, by row.
func compareBatch(t *testing.T, what string, got, want map[summaryKey]summary) {
	t.Helper()
	bad := 0
	for k, w := range want {
		if g, ok := got[k]; !ok || g != w {
			if bad++; bad <= 5 {
				t.Errorf("%s: %s %s: got %+v (written: %v), want %+v", what, k.Region, k.Start.Format(time.RFC3339), g, ok, w)
			}
		}
	}
	for k, g := range got {
		if _, ok := want[k]; !ok {
			if bad++; bad <= 5 {
				t.Errorf("%s: %s %s written (%+v), Spark writes no such row", what, k.Region, k.Start.Format(time.RFC3339), g)
			}
		}
	}
	if bad > 5 {
		t.Errorf("%s: %d rows differ in all", what, bad)
	}
}

// wmHarness is one embedded stack with the batches' files.
type wmHarness struct {
	s     endpoints
	sd    *serde.Serde
	paths []string
	ids   map[string]int64 // "batch-k.csv:line" -> sale id
}

func newWMHarness(t *testing.T, s endpoints, batches [][]wmSale) *wmHarness {
	t.Helper()
	reg, err := registry.New(s.RegistryURL())
	if err != nil {
		t.Fatal(err)
	}
	h := &wmHarness{s: s, sd: serde.New(reg), ids: map[string]int64{}}
	dir := t.TempDir()
	for k, b := range batches {
		p := filepath.Join(dir, "batch-"+strconv.Itoa(k)+".csv")
		writeBatch(t, p, b)
		for i, sale := range b {
			h.ids[filepath.Base(p)+":"+strconv.Itoa(i+2)] = sale.id
		}
		h.paths = append(h.paths, p)
	}
	return h
}

func (h *wmHarness) produce(t *testing.T, k int, partitions string) {
	t.Helper()
	mustRun(t, h.s, "producer", "--input", h.paths[k], "--event-time", "original", "--delay", "0", "--partitions", partitions)
}

// enricherArgs are the flags of an enricher of group, in mode.
func wmArgs(group, mode, partitions string, extra ...string) []string {
	return append([]string{"--group", group, "--state-topic", group + "-state", "--late-topic", group + "-late",
		"--transactional-id", group + "-0", "--output-mode", mode, "--window", "10m", "--slide", "5m", "--watermark", "10m",
		"--regions", "../data/regions.csv", "--partitions", partitions, "--log-level", "info"}, extra...)
}

// checkRun compares a layout's run with Spark's, batch by batch.
func checkRun(t *testing.T, layout, mode string, run *wmRun, batches [][]wmSale, region func(string) string) {
	t.Helper()
	sim := newSparkSim(mode, region)
	for k, b := range batches {
		want, late := sim.batch(b)
		compareBatch(t, fmt.Sprintf("%s, %s mode, batch %d", layout, mode, k), run.rows[k], want)
		if !slices.Equal(run.late[k], late) {
			t.Errorf("%s, %s mode, batch %d: late sales %v, Spark's %v", layout, mode, k, run.late[k], late)
		}
	}
	if mode == "append" {
		// Every window that held a kept sale and ends at or before the
		// final watermark was written, whichever partition its region
		// hashes to, and exactly once.
		held := newSparkSim("update", region)
		for _, b := range batches {
			rows, _ := held.batch(b)
			for k := range rows {
				if k.Start.Add(wmSize).UnixMilli() <= sim.wm && run.count[k] == 0 {
					t.Errorf("%s, append mode: window %s %s ends by the final watermark but was never written", layout, k.Region, k.Start.Format(time.RFC3339))
				}
			}
		}
		for k, n := range run.count {
			if n != 1 {
				t.Errorf("%s, append mode: %s %s written %d times, want once", layout, k.Region, k.Start.Format(time.RFC3339), n)
			}
		}
	}
}

var wmModes = []string{"update", "append", "complete"}

// TestQueryWatermarkLayouts runs five controlled micro-batches with late
// and out-of-order data (produce batch k, run the enricher, repeat) in
// update, append and complete modes: on one partition and on three with
// `enricher --once`, and with three enricher instances over three
// partitions, where a batch ends once every instance has caught up and
// committed. Every batch's rows and late sales, and so the final table,
// must equal an independent simulation of Spark's semantics, in every
// layout: one watermark for the query. After the first batch no sale goes
// to one repartition partition, whose windows must close all the same.
func TestQueryWatermarkLayouts(t *testing.T) {
	if testing.Short() {
		t.Skip("long: five micro-batches in three layouts and three modes")
	}
	regions, region := regionLookup(t, "../data/regions.csv")
	quiet := regionPartition(region("Albania"), 3)
	sparse := regionPartition(region("Angola"), 3)
	if quiet == sparse {
		t.Fatalf("Albania's and Angola's regions share repartition partition %d: pick other countries", quiet)
	}
	batches := layoutBatches(regions, quiet, sparse)
	lateTotal := 0
	sim := newSparkSim("update", region)
	for _, b := range batches {
		_, late := sim.batch(b)
		lateTotal += len(late)
	}
	if lateTotal == 0 {
		t.Fatal("Spark finds no late sale in the batches: the test would not test the watermark")
	}
	t.Logf("%d sales in %d batches, %d late in Spark; repartition partition %d quiet, %d sparse", len(slices.Concat(batches...)), len(batches), lateTotal, quiet, sparse)

	for _, parts := range []string{"1", "3"} {
		t.Run("once on "+parts+" partitions", func(t *testing.T) {
			s := schemaStack(t)
			h := newWMHarness(t, s, batches)
			summaries := newTail(t, s, schema.SummaryTopic)
			runs := map[string]*wmRun{}
			lates := map[string]*tail{}
			for _, mode := range wmModes {
				runs[mode] = &wmRun{}
				lates[mode] = newTail(t, s, "wm-"+mode+"-late")
			}
			for k := range batches {
				h.produce(t, k, parts)
				for _, mode := range wmModes {
					out := mustRun(t, s, "enricher", wmArgs("wm-"+mode, mode, parts, "--once")...)
					if k == len(batches)-1 && os.Getenv("E2E_DEBUG") != "" {
						t.Logf("%s:\n%s", mode, out.stderr)
					}
					runs[mode].collect(t, h.sd, summaries.next(t), lates[mode].next(t), h.ids)
				}
			}
			for _, mode := range wmModes {
				checkRun(t, parts+" partitions", mode, runs[mode], batches, region)
			}
		})
	}
	for _, mode := range wmModes {
		t.Run("3 instances, "+mode, func(t *testing.T) {
			s := schemaStack(t)
			h := newWMHarness(t, s, batches)
			summaries := newTail(t, s, schema.SummaryTopic)
			lateTail := newTail(t, s, "wm-late")
			run := &wmRun{}
			var outs []*syncbuf.Buffer
			for i := range 3 {
				_, out := startBin(t, s, "enricher", scaleOutArgs(i, "--trigger", "200ms", "--output-mode", mode,
					"--watermark", "10m", "--late-topic", "wm-late")...)
				outs = append(outs, out)
			}
			defer func() {
				if t.Failed() || os.Getenv("E2E_DEBUG") != "" {
					for i, out := range outs {
						t.Logf("enricher-%d:\n%s", i, out)
					}
				}
			}()
			for k := range batches {
				h.produce(t, k, "3")
				waitFor(t, 2*time.Minute, fmt.Sprintf("every instance to commit batch %d", k), func() bool {
					end, committed := salesProgress(t, s)
					return end > 0 && committed == end && repartitionDrained(t, s)
				})
				run.collect(t, h.sd, summaries.next(t), lateTail.next(t), h.ids)
			}
			checkRun(t, "3 instances", mode, run, batches, region)
			final := newSparkSim(mode, region)
			var want map[summaryKey]summary
			for _, b := range batches {
				rows, _ := final.batch(b)
				if want == nil {
					want = map[summaryKey]summary{}
				}
				for k, v := range rows {
					want[k] = v
				}
			}
			out := mustRun(t, s, "reader", "--format", "json")
			compareRows(t, out.stdout, want)
		})
	}
}

// lineWatermark is the watermark an enricher logged last.
var lineWatermark = regexp.MustCompile(`msg="micro-batch committed".* progress\.event_time\.watermark=(\S+)`)

func lastWatermark(t *testing.T, log string) string {
	t.Helper()
	m := lineWatermark.FindAllStringSubmatch(log, -1)
	if len(m) == 0 {
		t.Fatalf("no committed micro-batch logged:\n%s", log)
	}
	return m[len(m)-1][1]
}

// TestWatermarkPolicyMin runs, on three sales partitions, batches in
// which one sales partition's events lag 30 minutes of event time behind
// the others'. With --watermark-policy max (Spark's) the lagging
// partition's events of the third batch are late; with min none is. In a
// fourth batch the lagging partition has no data: with min it holds the
// watermark back, unless --idle-timeout says it is idle.
func TestWatermarkPolicyMin(t *testing.T) {
	if testing.Short() {
		t.Skip("long: three enricher groups over four micro-batches")
	}
	s := schemaStack(t)
	t0 := time.Date(2023, 6, 1, 0, 0, 0, 0, time.UTC)
	dir := t.TempDir()

	// Batch 0, one sale per customer 1..30: learn each customer's
	// sales partition from the records' line headers.
	var first []wmSale
	for c := range int64(30) {
		first = append(first, wmSale{id: 100 + c, customer: c + 1, cents: 100 + c, at: t0.Add(time.Duration(c) * 10 * time.Second), country: "Albania"})
	}
	path := filepath.Join(dir, "batch-0.csv")
	writeBatch(t, path, first)
	mustRun(t, s, "producer", "--input", path, "--event-time", "original", "--delay", "0", "--partitions", "3")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	byPartition := map[int32][]int64{}
	for _, r := range readAll(ctx, t, s, schema.SalesTopic, kgo.ReadCommitted()) {
		line, err := strconv.Atoi(headerMap(r)[producer.HeaderLine])
		if err != nil {
			t.Fatalf("sales record without a line header: %v", err)
		}
		byPartition[r.Partition] = append(byPartition[r.Partition], first[line-2].customer)
	}
	if len(byPartition) != 3 {
		t.Fatalf("30 customers fill %d sales partitions, want 3", len(byPartition))
	}
	const lagging = int32(2)

	// Batches 1-3: partitions 0 and 1 at T0+60m, +70m, +80m; partition 2
	// 30 minutes behind. Batch 3: partition 2 has no data.
	id := int64(1000)
	batch := func(offsets map[int32]time.Duration) []wmSale {
		var out []wmSale
		for p, off := range offsets {
			for i, c := range byPartition[p] {
				id++
				out = append(out, wmSale{id: id, customer: c, cents: 250, at: t0.Add(off + time.Duration(i)*20*time.Second), country: "Angola"})
			}
		}
		return out
	}
	batches := [][]wmSale{
		batch(map[int32]time.Duration{0: 60 * time.Minute, 1: 60 * time.Minute, lagging: 30 * time.Minute}),
		batch(map[int32]time.Duration{0: 70 * time.Minute, 1: 70 * time.Minute, lagging: 40 * time.Minute}),
		batch(map[int32]time.Duration{0: 80 * time.Minute, 1: 80 * time.Minute}),
	}
	// maxOf is the largest event time of sales partition p in b.
	maxOf := func(b []wmSale, p int32) time.Time {
		var m time.Time
		for _, s := range b {
			if slices.Contains(byPartition[p], s.customer) && s.at.After(m) {
				m = s.at
			}
		}
		return m
	}
	earlier := func(a, b time.Time) time.Time {
		if a.Before(b) {
			return a
		}
		return b
	}
	lateInBatch2 := 0
	for _, s := range batches[1] {
		if slices.Contains(byPartition[lagging], s.customer) {
			lateInBatch2++ // every window ends by T0+50m, behind max's watermark
		}
	}
	groups := map[string][]string{
		"max":      {"--watermark-policy", "max"},
		"min":      {"--watermark-policy", "min"},
		"min-idle": {"--watermark-policy", "min", "--idle-timeout", "1ms"},
	}
	run := func(name string) result {
		return mustRun(t, s, "enricher", wmArgs("policy-"+name, "append", "3", append(groups[name], "--once")...)...)
	}
	for _, name := range []string{"max", "min", "min-idle"} {
		run(name) // batch 0
	}
	late := map[string]string{}
	var logs = map[string]string{}
	for k, b := range batches {
		path := filepath.Join(dir, "batch-"+strconv.Itoa(k+1)+".csv")
		writeBatch(t, path, b)
		mustRun(t, s, "producer", "--input", path, "--event-time", "original", "--delay", "0", "--partitions", "3")
		for _, name := range []string{"max", "min", "min-idle"} {
			out := run(name)
			if k == 1 {
				late[name] = out.stdout
			}
			logs[name] = out.stderr
		}
	}
	if want := fmt.Sprintf(", %d late", lateInBatch2); !strings.Contains(late["max"], want) {
		t.Errorf("max policy, second batch: want %q (the lagging partition's sales):\n%s", want, late["max"])
	}
	for _, name := range []string{"min", "min-idle"} {
		if !strings.Contains(late[name], " 0 late") {
			t.Errorf("%s policy, second batch: want none late:\n%s", name, late[name])
		}
	}
	fmtWM := func(ts time.Time) string { return ts.Add(-wmDelay).UTC().Truncate(time.Second).Format(time.RFC3339) }
	// min: the smallest of the partitions' largest event times, the
	// lagging one's from the second batch; with idleness, that of the
	// two partitions that still have data.
	if got, want := lastWatermark(t, logs["min"]), fmtWM(maxOf(batches[1], lagging)); got != want {
		t.Errorf("min policy after the lagging partition went quiet: watermark %s, want %s (held back by it)", got, want)
	}
	if got, want := lastWatermark(t, logs["min-idle"]), fmtWM(earlier(maxOf(batches[2], 0), maxOf(batches[2], 1))); got != want {
		t.Errorf("min policy with --idle-timeout after the lagging partition went quiet: watermark %s, want %s (it no longer holds it back)", got, want)
	}
	latest := maxOf(batches[2], 0)
	if m := maxOf(batches[2], 1); m.After(latest) {
		latest = m
	}
	if got, want := lastWatermark(t, logs["max"]), fmtWM(latest); got != want {
		t.Errorf("max policy: watermark %s, want %s", got, want)
	}
}

// TestWatermarkFlagsBadInput: a --watermark-policy other than max or min,
// and a negative --idle-timeout, are refused at once with an error naming
// the flag.
func TestWatermarkFlagsBadInput(t *testing.T) {
	dead := fixed{"127.0.0.1:" + itoa(freePort(t)), "http://127.0.0.1:" + itoa(freePort(t))}
	for _, tt := range []struct {
		args []string
		want []string
	}{
		{[]string{"--watermark-policy", "median"}, []string{"--watermark-policy", `"median"`, "max", "min"}},
		{[]string{"--idle-timeout", "-5m"}, []string{"--idle-timeout", "-5m", "must not be negative"}},
	} {
		r := runBin(t, dead, 30*time.Second, "enricher", append([]string{"--regions", "../data/regions.csv"}, tt.args...)...)
		if r.code == 0 {
			t.Errorf("%v: exited 0", tt.args)
			continue
		}
		for _, w := range tt.want {
			if !strings.Contains(r.stderr, w) {
				t.Errorf("%v: error %q does not say %s", tt.args, lastLine(r.stderr), w)
			}
		}
	}
}

// TestQueryWatermarkSurvivesKills runs the layouts test's micro-batches,
// with their late data, on three partitions in update mode, killing each
// batch's first `enricher --once` with SIGKILL at a random moment and
// running it again: every batch's rows and late sales must still be
// Spark's, as the watermark markers and the sales partitions' event times
// are committed with the sales and restored from the changelog.
func TestQueryWatermarkSurvivesKills(t *testing.T) {
	if testing.Short() {
		t.Skip("long: kills the enricher in five micro-batches")
	}
	regions, region := regionLookup(t, "../data/regions.csv")
	batches := layoutBatches(regions, regionPartition(region("Albania"), 3), regionPartition(region("Angola"), 3))
	s := schemaStack(t)
	h := newWMHarness(t, s, batches)
	summaries := newTail(t, s, schema.SummaryTopic)
	lateTail := newTail(t, s, "wm-update-late")
	seed := uint64(time.Now().UnixNano())
	t.Logf("kill timing seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, seed))
	args := wmArgs("wm-update", "update", "3", "--once")
	run := &wmRun{}
	killed := 0
	for k := range batches {
		h.produce(t, k, "3")
		// Kill it once it logs a step: its restore (stage 1 then runs),
		// or its first commit (stage 2 then runs), plus up to 2 ms.
		step := []string{`msg="window state restored"`, `msg="micro-batch committed"`}[k%2]
		cmd, out := startBin(t, s, "enricher", args...)
		exited := watchExit(cmd)
		reached := make(chan struct{})
		go func() {
			defer close(reached)
			for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(2 * time.Millisecond) {
				if strings.Contains(out.String(), step) {
					return
				}
			}
		}()
		select {
		case err := <-exited:
			if err != nil {
				t.Fatalf("enricher --once failed before the kill: %v\n%s", err, out)
			}
		case <-reached:
			time.Sleep(time.Duration(rng.IntN(3)) * time.Millisecond)
			if err := cmd.Process.Kill(); err != nil && !errors.Is(err, os.ErrProcessDone) {
				t.Fatal(err)
			}
			if err := <-exited; err == nil {
				t.Logf("batch %d: the run ended before the kill", k)
			} else {
				killed++
			}
		}
		mustRun(t, s, "enricher", args...)
		run.collect(t, h.sd, summaries.next(t), lateTail.next(t), h.ids)
	}
	t.Logf("%d of %d batches' first runs killed; abort markers left: %d on the repartition topic, %d on the state topic",
		killed, len(batches), abortMarkers(t, s, "wm-update-repartition"), abortMarkers(t, s, "wm-update-state"))
	if killed == 0 {
		t.Error("no run was killed: the test did not exercise recovery")
	}
	checkRun(t, "3 partitions with kills", "update", run, batches, region)
}
