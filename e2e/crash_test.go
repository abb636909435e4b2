package e2e

import (
	"context"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/salesstream/salesstream/internal/domain/datagen"
	"github.com/salesstream/salesstream/internal/domain/schema"
	"github.com/salesstream/salesstream/internal/platform/kafkatest"
	"github.com/salesstream/salesstream/internal/platform/syncbuf"
	"github.com/salesstream/salesstream/internal/platform/topics"
	"github.com/salesstream/salesstream/pkg/registry"
	"github.com/salesstream/salesstream/pkg/serde"
)

// TestEnricherSurvivesKills kills the enricher with SIGKILL at random
// moments, at least ten times over 100,000 sales, restarting it each time,
// and checks that the committed summary equals the batch aggregation
// exactly and that no committed row ever goes back. Every other run takes
// the round trip through the repartition topic (--round-trip), the others
// the direct path, so both are killed and each restart may find the other
// path's batches: the direct path idles between the producer's sales, so
// kills rarely land in its short transactions, while the round trip, whose
// every batch windows the one before, is nearly always in one; a round
// trip's kill waits a little for one to be open.
func TestEnricherSurvivesKills(t *testing.T) {
	if testing.Short() {
		t.Skip("long: kills and restarts the enricher over 100,000 sales")
	}
	s := schemaStack(t)
	salesPath := salesFile(t, 100_000, 500*time.Millisecond)
	// One partition keeps the sales in event-time order, so no sale is
	// late and the result must equal the batch aggregation. The test
	// creates it, as the producer and the enricher would race to create
	// it with their own partition counts. The producer runs while the
	// enricher is killed, so kills land mid-stream.
	ensureTopic(t, s, schema.SalesTopic, 1)
	prod, prodOut := startBin(t, s, "producer", "--input", salesPath, "--event-time", "original", "--rate", "5000", "--partitions", "1")
	prodDone := watchExit(prod)

	admCl := newClient(t, s)
	defer admCl.Close()
	adm := kadm.NewClient(admCl)
	seed := uint64(time.Now().UnixNano())
	t.Logf("kill timing seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, seed))
	kills := 0
	for kills < 12 {
		args := []string{"--trigger", "0", "--regions", "../data/regions.csv", "--log-level", "info"}
		if kills%2 == 1 {
			args = append(args, "--round-trip")
		}
		cmd, out := startBin(t, s, "enricher", args...)
		d := time.Duration(300+rng.IntN(1700)) * time.Millisecond
		exited := watchExit(cmd)
		select {
		case err := <-exited:
			t.Fatalf("enricher exited by itself (%v):\n%s", err, out)
		case <-time.After(d):
		}
		if kills%2 == 1 {
			// The round trip's kills wait, a little, for a transaction
			// of the enricher's to be open, so that some land in one
			// whatever the machine's speed.
			awaitOpenTransaction(t, adm, 3*time.Second, repartitionTopic, schema.SummaryTopic, "salesstream-enricher-state")
		}
		if err := cmd.Process.Kill(); err != nil {
			t.Fatal(err)
		}
		<-exited
		kills++
		if os.Getenv("E2E_DEBUG") != "" {
			t.Logf("kill %d after %v:\n%s", kills, d, out)
		}
	}
	awaitExit(t, prodDone, 2*time.Minute, "producer", prodOut)
	if !strings.Contains(prodOut.String(), "sent 100000 sales") {
		t.Fatalf("producer did not send every sale:\n%s", prodOut)
	}
	once := mustRun(t, s, "enricher", "--once", "--regions", "../data/regions.csv")

	assertSummary(t, s, salesPath, "../data/regions.csv")
	if t.Failed() {
		t.Logf("enricher --once:\n%s%s", once.stdout, once.stderr)
	}
	if v := mustAudit(t, s, "--regions", "../data/regions.csv"); v.Sales != 100_000 || v.Aggregated != 100_000 {
		t.Errorf("audit after the kills accounted for %+v, want 100000 sales, all aggregated", v)
	}
	// A micro-batch that only forwarded sales writes no summary row: count
	// the abort markers of every topic the enricher writes in transactions.
	summary := assertMonotonic(t, s)
	repartition, state := abortMarkers(t, s, repartitionTopic), abortMarkers(t, s, "salesstream-enricher-state")
	t.Logf("%d kills; abort markers left by them: %d on the summary topic, %d on the repartition topic, %d on the state topic", kills, summary, repartition, state)
	if summary+repartition+state == 0 {
		t.Error("no kill hit a transaction: the test did not exercise recovery mid-transaction")
	}
}

// ensureTopic creates topic with the given partitions unless it exists.
func ensureTopic(t *testing.T, s endpoints, topic string, partitions int32) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cl := newClient(t, s)
	defer cl.Close()
	if err := topics.Ensure(ctx, cl, topics.Spec{Name: topic, Partitions: partitions}); err != nil {
		t.Fatal(err)
	}
}

// writeSales writes n generated sales, gap apart on average, to path.
func writeSales(t *testing.T, path string, n int, gap time.Duration) {
	t.Helper()
	writeSalesSeeded(t, path, n, gap, 7, time.Date(2023, 1, 2, 0, 0, 0, 0, time.UTC))
}

// writeSalesSeeded writes n sales from a generator of the given seed and
// start.
func writeSalesSeeded(t *testing.T, path string, n int, gap time.Duration, seed uint64, start time.Time) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := datagen.WriteSales(f, datagen.New(seed, start, gap), n); err != nil {
		t.Fatal(err)
	}
}

// startBin starts a binary against s; its output collects in the buffer.
func startBin(t *testing.T, s endpoints, name string, args ...string) (*exec.Cmd, *syncbuf.Buffer) {
	t.Helper()
	cmd := exec.Command(filepath.Join(bin, name), args...)
	cmd.Env = append(os.Environ(), "KAFKA_BROKERS="+strings.Join(s.Brokers(), ","), "REGISTRY_URL="+s.RegistryURL())
	out := &syncbuf.Buffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill() })
	return cmd, out
}

// assertSummary reads the summary table with the reader binary and
// compares it with the batch aggregation of the CSVs.
func assertSummary(t *testing.T, s endpoints, salesPath, regionsPath string) {
	t.Helper()
	out := mustRun(t, s, "reader", "--format", "json")
	compareRows(t, out.stdout, batchAggregate(t, salesPath, regionsPath, 10*time.Minute, 5*time.Minute))
}

// assertMonotonic reads every committed summary record and checks that
// the orders of a (region, window) never decrease from one record to the
// next. It returns the number of aborted transactions seen in the topic.
func assertMonotonic(t *testing.T, s endpoints) int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	reg, err := registry.New(s.RegistryURL())
	if err != nil {
		t.Fatal(err)
	}
	sd := serde.New(reg)
	committed := readAll(ctx, t, s, schema.SummaryTopic, kgo.ReadCommitted())
	last := map[string]int64{}
	for _, r := range committed {
		if r.Attrs.IsControl() {
			continue
		}
		var v schema.SummaryValue
		if err := sd.Decode(ctx, r.Value, nil, false, &v); err != nil {
			t.Fatalf("decode summary at offset %d: %v", r.Offset, err)
		}
		k := v.Region + "@" + time.UnixMilli(v.WindowStart).UTC().Format(time.RFC3339)
		if prev, ok := last[k]; ok && v.Orders < prev {
			t.Errorf("%s went back from %d to %d orders at offset %d", k, prev, v.Orders, r.Offset)
		}
		last[k] = v.Orders
	}
	return abortMarkers(t, s, schema.SummaryTopic)
}

// abortMarkers counts the abort markers in the partitions of topic: one
// for each partition an aborted transaction wrote to.
func abortMarkers(t *testing.T, s endpoints, topic string) int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	aborts := 0
	for _, r := range readAll(ctx, t, s, topic, kgo.ReadUncommitted()) {
		// A control record's key is version (int16) then type (int16):
		// type 0 is an abort marker.
		if r.Attrs.IsControl() && len(r.Key) >= 4 && r.Key[2] == 0 && r.Key[3] == 0 {
			aborts++
		}
	}
	return aborts
}

// awaitOpenTransaction waits, up to wait, until a partition of one of
// topics has records beyond its last stable offset: a transaction is open
// on it.
func awaitOpenTransaction(t *testing.T, adm *kadm.Client, wait time.Duration, topics ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	for {
		hw, err1 := adm.ListEndOffsets(ctx, topics...)
		lso, err2 := adm.ListCommittedOffsets(ctx, topics...)
		if err1 == nil && err2 == nil {
			open := false
			hw.Each(func(o kadm.ListedOffset) {
				if c, ok := lso.Lookup(o.Topic, o.Partition); ok && o.Err == nil && c.Err == nil && o.Offset > c.Offset {
					open = true
				}
			})
			if open {
				return
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(5 * time.Millisecond):
		}
	}
}

// readAll reads every record of topic, control records included, up to its
// end at the time of the call.
func readAll(ctx context.Context, t *testing.T, s endpoints, topic string, iso kgo.IsolationLevel) []*kgo.Record {
	t.Helper()
	cl := kafkatest.Client(t, s.Brokers(), kgo.ConsumeTopics(topic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.FetchIsolationLevel(iso), kgo.KeepControlRecords())
	defer cl.Close()
	ends := endOffsets(ctx, t, cl, topic, iso)
	pos := map[int32]int64{}
	done := func() bool {
		for p, end := range ends {
			if pos[p] < end {
				return false
			}
		}
		return true
	}
	var out []*kgo.Record
	for !done() {
		fs := cl.PollFetches(ctx)
		if ctx.Err() != nil {
			t.Fatalf("read %s: %v", topic, ctx.Err())
		}
		fs.EachRecord(func(r *kgo.Record) {
			out = append(out, r)
			pos[r.Partition] = r.Offset + 1
		})
	}
	return out
}
