package enricher

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/salesstream/salesstream/internal/domain/sales"
	"github.com/salesstream/salesstream/internal/domain/schema/schematest"
	"github.com/salesstream/salesstream/internal/platform/topics"
)

// TestOnceReplaysHistoryWithoutLateSales: three sales partitions hold the
// same 50 minutes of history, a sale a second each, and the watermark
// delay is one minute. Worked off in batches of 300 records, a batch that
// took them as fetches come would take five minutes of one partition and
// make the others' sales late; shared among the partitions in proportion
// to their lag, every partition advances alike and no sale is late.
func TestOnceReplaysHistoryWithoutLateSales(t *testing.T) {
	testReplayWithoutLateSales(t, replay{once: true, budget: 300})
}

// TestStreamingReplaysHistoryWithoutLateSales is the same in streaming
// mode with a 20 ms trigger: a batch ends when its shares are taken, not
// at a tick that would cut it short.
func TestStreamingReplaysHistoryWithoutLateSales(t *testing.T) {
	testReplayWithoutLateSales(t, replay{budget: 300})
}

// TestStreamingReplaysSmallBacklogInOneBatch: a backlog within one batch's
// budget is read whole by the first batch, as Spark's first batch reads to
// the offsets it lists, however the fetches come. Partition 0's sales are
// 2 KiB each and fetches bring at most 16 KiB a partition, so fetches
// bring partition 0's history far slower than the others': a batch cut at
// a tick would make partition 0's next sales late.
func TestStreamingReplaysSmallBacklogInOneBatch(t *testing.T) {
	testReplayWithoutLateSales(t, replay{budget: 100_000, fetchBytes: 16 << 10, pad: 2 << 10})
}

// replay is a history replay's settings: the available-now trigger or a
// 20 ms one, the batch's record budget, the fetch bound (0: the default),
// and the bytes partition 0's sales are padded with.
type replay struct {
	once       bool
	budget     int64
	fetchBytes int64
	pad        int
}

func testReplayWithoutLateSales(t *testing.T, rp replay) {
	opts, cl := manualCluster(t)
	ctx := testContext(t)

	const perPartition, parts = 3000, 3
	dec := schematest.Decoder{}
	cfg := DefaultConfig()
	cfg.Once = rp.once
	cfg.Trigger = 20 * time.Millisecond
	cfg.MaxRecordsPerTrigger = rp.budget
	if rp.fetchBytes > 0 {
		cfg.FetchMaxBytes = rp.fetchBytes
	}
	cfg.Window.Delay = time.Minute
	e, err := New(cfg, sales.NewRegions(map[string]string{"France": "Europe", "Japan": "Asia"}), dec, textEncoder{}, textEncoder{})
	if err != nil {
		t.Fatal(err)
	}
	if err := topics.Ensure(ctx, cl, e.Topics(parts)...); err != nil {
		t.Fatal(err)
	}
	var recs []*kgo.Record
	for p := range parts {
		for i := range perPartition {
			v := "sale-" + strconv.Itoa(p) + "-" + strconv.Itoa(i)
			if p == 0 {
				v += strings.Repeat("x", rp.pad)
			}
			dec[v] = saleValue([]string{"France", "Japan"}[i%2], t0+int64(i)*1000, 100)
			recs = append(recs, &kgo.Record{Topic: cfg.SalesTopic, Partition: int32(p), Value: []byte(v)})
		}
	}
	if err := cl.ProduceSync(ctx, recs...).FirstErr(); err != nil {
		t.Fatal(err)
	}
	const n = perPartition * parts
	if rp.once {
		if err := e.Run(ctx, opts); err != nil {
			t.Fatal(err)
		}
	} else {
		runCtx, stop := context.WithCancel(ctx)
		done := make(chan error, 1)
		go func() { done <- e.Run(runCtx, opts) }()
		for st := e.Stats(); st.Windowed < n; st = e.Stats() {
			select {
			case <-ctx.Done():
				stop()
				t.Fatalf("stats %+v: %d sales not windowed before the deadline", st, n-st.Windowed)
			case err := <-done:
				stop()
				t.Fatalf("run ended early: %v", err)
			case <-time.After(20 * time.Millisecond):
			}
		}
		stop()
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	st := e.Stats()
	if st.Consumed != n || st.Aggregated != n || st.Late != 0 || st.Dead != 0 {
		t.Fatalf("stats %+v: want %d consumed and aggregated, none late or dead", st, n)
	}
	if want := n / rp.budget; st.Batches < want {
		t.Errorf("%d batches committed, want at least %d of at most %d records", st.Batches, want, rp.budget)
	}
	// A batch ends when its shares are taken, within its bound: none but
	// the last to read sales leaves a few of them to a batch of its own.
	took := slices.DeleteFunc(batchReads(e, cfg.SalesTopic), func(n int64) bool { return n == 0 })
	for i, n := range took[:max(len(took)-1, 0)] {
		if least := rp.budget - (minPoll-1)*parts; n < least {
			t.Errorf("batch %d of %d read %d sales, want %d to %d: %v", i+1, len(took), n, least, rp.budget, took)
		}
	}
}

// batchReads returns the offsets each batch that e's progress keeps read
// of topic, oldest first.
func batchReads(e *Enricher, topic string) []int64 {
	var out []int64
	for _, p := range e.Progress().Recent() {
		var n int64
		for _, src := range p.Sources {
			if src.Topic == topic {
				n += src.EndOffset - src.StartOffset
			}
		}
		out = append(out, n)
	}
	return out
}
