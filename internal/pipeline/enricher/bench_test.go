package enricher

import (
	"context"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/salesstream/salesstream/internal/app"
	"github.com/salesstream/salesstream/internal/domain/datagen"
	"github.com/salesstream/salesstream/internal/domain/sales"
	"github.com/salesstream/salesstream/internal/domain/schema"
	"github.com/salesstream/salesstream/internal/laptop/registryserver"
	"github.com/salesstream/salesstream/internal/pipeline/registrar"
	"github.com/salesstream/salesstream/pkg/registry"
	"github.com/salesstream/salesstream/pkg/serde"
	"github.com/salesstream/salesstream/pkg/window"
)

// BenchmarkProcess measures the enricher's hot path for one sales record
// already fetched from Kafka: stage 1 (decode the wire format and Avro with
// the schema cached, validate, join with its region, encode the
// repartition record), then stage 2 on that record as fetched back (parse
// it and fold it into the reference windows, 10m sliding 5m), with a
// trigger every 10,000 records. One op is one record; Kafka I/O is not
// included.
func BenchmarkProcess(b *testing.B) { benchProcess(b, false) }

// BenchmarkProcessDirect is BenchmarkProcess on the direct path: stage 1
// folds each sale into its table at once, without the repartition record.
func BenchmarkProcessDirect(b *testing.B) { benchProcess(b, true) }

func benchProcess(b *testing.B, direct bool) {
	ctx := context.Background()
	e, recs := processFixture(ctx, b)
	newTask := func() *task {
		tk, err := e.newTask(0)
		if err != nil {
			b.Fatal(err)
		}
		return tk
	}
	tk := newTask()
	names := regionNames{}
	var out *kgo.Record
	bt := batch{emit: func(r *kgo.Record) { out = r }}
	fold := func(region string, f forwarded, r *kgo.Record) { e.foldSale(&bt, tk, region, &f, r.Headers) }
	if direct {
		bt.fold = fold
	}
	var v schema.SaleValue
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		j := i % len(recs)
		if j == 0 && i > 0 {
			b.StopTimer()
			tk = newTask()
			b.StartTimer()
		}
		out = nil
		if err := e.forward(ctx, &bt, recs[j], &v); err != nil {
			b.Fatal(err)
		}
		if !direct {
			e.fold(&bt, tk, &kgo.Record{Topic: out.Topic, Key: out.Key, Value: out.Value, Headers: out.Headers}, names)
		} else if out != nil {
			b.Fatalf("a clean stream on the direct path emitted a record to %s", out.Topic)
		}
		if bt.records == 10_000 {
			tk.t.Trigger(nil)
			tk.t.Changes(func(window.Row[string, window.Sum], bool) {})
			bt.reset()
			if direct {
				bt.fold = fold
			}
		}
	}
	b.StopTimer()
	if bt.dead > 0 || bt.late > 0 {
		b.Fatalf("%d dead, %d late in a clean stream", bt.dead, bt.late)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "records/s")
}

// processFixture returns an enricher with the reference regions and the
// registry's codecs, and 100,000 generated sales records.
func processFixture(ctx context.Context, b *testing.B) (*Enricher, []*kgo.Record) {
	srv, err := registryserver.New(ctx)
	if err != nil {
		b.Fatal(err)
	}
	hs := httptest.NewServer(srv.Handler())
	b.Cleanup(hs.Close)
	reg, err := registry.New(hs.URL)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := registrar.Register(ctx, reg, schema.Artifacts(), registrar.Rules{}); err != nil {
		b.Fatal(err)
	}
	fast, err := schema.NewSaleDecoder()
	if err != nil {
		b.Fatal(err)
	}
	sd := serde.New(reg, serde.WithFastDecoder(fast))
	keyEnc, valEnc, err := app.Encoders(ctx, sd, schema.SalesTopic)
	if err != nil {
		b.Fatal(err)
	}
	const n = 100_000
	g := datagen.New(1, time.Date(2023, 1, 2, 0, 0, 0, 0, time.UTC), time.Second)
	recs := make([]*kgo.Record, n)
	for i := range recs {
		s := g.Next()
		key, _ := keyEnc.Append(nil, &schema.SaleKey{CustomerID: s.CustomerID})
		v := schema.NewSaleValue(s, nil)
		val, err := valEnc.Append(nil, &v)
		if err != nil {
			b.Fatal(err)
		}
		recs[i] = &kgo.Record{Topic: schema.SalesTopic, Key: key, Value: val, Offset: int64(i)}
	}
	sumKey, sumVal, err := app.Encoders(ctx, sd, schema.SummaryTopic)
	if err != nil {
		b.Fatal(err)
	}
	e, err := New(DefaultConfig(), sales.NewRegions(datagen.Regions()), sd, sumKey, sumVal)
	if err != nil {
		b.Fatal(err)
	}
	return e, recs
}
