package enricher

import (
	"fmt"
	"strconv"
	"testing"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/salesstream/salesstream/internal/domain/sales"
	"github.com/salesstream/salesstream/internal/platform/topics"
)

// textEncoder encodes summary keys and values as Go text.
type textEncoder struct{}

func (textEncoder) Append(dst []byte, v any) ([]byte, error) { return fmt.Appendf(dst, "%+v", v), nil }

// manualCluster starts a one-broker kfake cluster and returns the options
// to reach it and a client that writes to the partition a record names.
func manualCluster(t *testing.T) ([]kgo.Opt, *kgo.Client) {
	t.Helper()
	c, err := kfake.NewCluster(kfake.NumBrokers(1))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	opts := []kgo.Opt{kgo.SeedBrokers(c.ListenAddrs()...)}
	cl, err := kgo.NewClient(append(opts, kgo.RecordPartitioner(kgo.ManualPartitioner()))...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	return opts, cl
}

// TestOnceWorksOffABacklogInBoundedBatches: with the available-now
// trigger and a bound of 40 records a batch, 300 sales are forwarded and
// windowed in several committed transactions, none holding more than the
// bound of sales nor more than the bound of repartitioned sales beside
// them, and the run ends with every sale counted. On the round trip stage
// 2 windows the forwarded sales in later batches; on the direct path stage
// 1's batches window the sales too.
func TestOnceWorksOffABacklogInBoundedBatches(t *testing.T) {
	for _, tc := range []struct {
		name      string
		roundTrip bool
	}{
		{"round trip", true},
		{"direct", false},
	} {
		t.Run(tc.name, func(t *testing.T) { testOnceInBoundedBatches(t, tc.roundTrip) })
	}
}

func testOnceInBoundedBatches(t *testing.T, roundTrip bool) {
	opts, cl := manualCluster(t)
	ctx := testContext(t)

	const n = 300
	dec := fakeDecoder{}
	cfg := DefaultConfig()
	cfg.Once = true
	cfg.MaxRecordsPerTrigger = 40
	cfg.RoundTrip = roundTrip
	e, err := New(cfg, sales.NewRegions(map[string]string{"France": "Europe", "Japan": "Asia"}), dec, textEncoder{}, textEncoder{})
	if err != nil {
		t.Fatal(err)
	}
	if err := topics.Ensure(ctx, cl, e.Topics(3)...); err != nil {
		t.Fatal(err)
	}
	var recs []*kgo.Record
	for i := range n {
		v := "sale-" + strconv.Itoa(i)
		dec[v] = saleValue([]string{"France", "Japan"}[i%2], t0+int64(i)*1000, 100)
		recs = append(recs, &kgo.Record{Topic: cfg.SalesTopic, Partition: int32(i % 3), Value: []byte(v)})
	}
	if err := cl.ProduceSync(ctx, recs...).FirstErr(); err != nil {
		t.Fatal(err)
	}
	if err := e.Run(ctx, opts); err != nil {
		t.Fatal(err)
	}
	st := e.Stats()
	if st.Consumed != n || st.Repartitioned != n || st.Windowed != n || st.Aggregated != n || st.Late != 0 || st.Dead != 0 {
		t.Fatalf("stats %+v: want %d consumed, forwarded, windowed and aggregated, none late or dead", st, n)
	}
	sales, forwarded := batchReads(e, cfg.SalesTopic), batchReads(e, cfg.RepartitionTopic)
	var batches int
	for i := range sales {
		if sales[i] > 40 || forwarded[i] > 40 {
			t.Errorf("batch %d read %d sales and %d repartition records, want at most 40 each", i+1, sales[i], forwarded[i])
		}
		if sales[i] > 0 {
			batches++
		}
	}
	if batches < n/40 {
		t.Errorf("%d batches read sales, want at least %d of at most 40", batches, n/40)
	}
}
