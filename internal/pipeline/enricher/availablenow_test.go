package enricher

import (
	"context"
	"fmt"
	"strconv"
	"testing"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/salesstream/salesstream/internal/domain/sales"
	"github.com/salesstream/salesstream/internal/domain/schema/schematest"
	"github.com/salesstream/salesstream/internal/platform/kafkatest"
	"github.com/salesstream/salesstream/internal/platform/topics"
)

// textEncoder encodes summary keys and values as Go text.
type textEncoder struct{}

func (textEncoder) Append(dst []byte, v any) ([]byte, error) { return fmt.Appendf(dst, "%+v", v), nil }

// manualCluster starts a one-broker kfake cluster and returns the options
// to reach it and a client that writes to the partition a record names.
func manualCluster(t *testing.T) ([]kgo.Opt, *kgo.Client) {
	t.Helper()
	brokers := kafkatest.Cluster(t).ListenAddrs()
	return []kgo.Opt{kgo.SeedBrokers(brokers...)}, kafkatest.Client(t, brokers, kgo.RecordPartitioner(kgo.ManualPartitioner()))
}

// onceFixture is what the available-now runs of these tests share: a
// cluster, a client that writes to the partition a record names, the
// decoder that looks the sales' values up, regions of four countries, and
// a config with the available-now trigger.
type onceFixture struct {
	ctx     context.Context
	opts    []kgo.Opt
	cl      *kgo.Client
	dec     schematest.Decoder
	regions *sales.Regions
	cfg     Config
}

// newOnceFixture returns a fixture whose config takes the round trip or
// the direct path, as roundTrip says.
func newOnceFixture(t *testing.T, roundTrip bool) *onceFixture {
	t.Helper()
	opts, cl := manualCluster(t)
	cfg := DefaultConfig()
	cfg.Once, cfg.RoundTrip = true, roundTrip
	return &onceFixture{ctx: testContext(t), opts: opts, cl: cl, dec: schematest.Decoder{}, cfg: cfg,
		regions: sales.NewRegions(map[string]string{"France": "Europe", "Japan": "Asia", "Peru": "Americas", "Kenya": "Africa"})}
}

// enricher returns an enricher of the fixture's config and, with ensure,
// creates its topics with three partitions each.
func (f *onceFixture) enricher(t *testing.T, ensure bool) *Enricher {
	t.Helper()
	e, err := New(f.cfg, f.regions, f.dec, textEncoder{}, textEncoder{})
	if err != nil {
		t.Fatal(err)
	}
	if ensure {
		if err := topics.Ensure(f.ctx, f.cl, e.Topics(3)...); err != nil {
			t.Fatal(err)
		}
	}
	return e
}

// run produces recs, runs e to the end of what the topics then hold, and
// returns e's counts.
func (f *onceFixture) run(t *testing.T, e *Enricher, recs []*kgo.Record) Stats {
	t.Helper()
	if err := f.cl.ProduceSync(f.ctx, recs...).FirstErr(); err != nil {
		t.Fatal(err)
	}
	if err := e.Run(f.ctx, f.opts); err != nil {
		t.Fatal(err)
	}
	return e.Stats()
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
	const n = 300
	f := newOnceFixture(t, roundTrip)
	f.cfg.MaxRecordsPerTrigger = 40
	e := f.enricher(t, true)
	var recs []*kgo.Record
	for i := range n {
		v := "sale-" + strconv.Itoa(i)
		f.dec[v] = saleValue([]string{"France", "Japan"}[i%2], t0+int64(i)*1000, 100)
		recs = append(recs, &kgo.Record{Topic: f.cfg.SalesTopic, Partition: int32(i % 3), Value: []byte(v)})
	}
	st := f.run(t, e, recs)
	if st.Consumed != n || st.Repartitioned != n || st.Windowed != n || st.Aggregated != n || st.Late != 0 || st.Dead != 0 {
		t.Fatalf("stats %+v: want %d consumed, forwarded, windowed and aggregated, none late or dead", st, n)
	}
	sales, forwarded := batchReads(e, f.cfg.SalesTopic), batchReads(e, f.cfg.RepartitionTopic)
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
