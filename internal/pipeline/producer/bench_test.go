package producer

import (
	"bytes"
	"context"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/salesstream/salesstream/internal/app"
	"github.com/salesstream/salesstream/internal/domain/datagen"
	"github.com/salesstream/salesstream/internal/domain/sales"
	"github.com/salesstream/salesstream/internal/domain/schema"
	"github.com/salesstream/salesstream/internal/laptop/devstack/devstacktest"
	"github.com/salesstream/salesstream/internal/platform/kafkatest"
	"github.com/salesstream/salesstream/pkg/serde"
)

// benchCSV returns n rows of the sales CSV, original event times a
// second apart.
func benchCSV(n int) string {
	var b strings.Builder
	b.WriteString(csvHeader)
	t0 := time.Date(2023, 1, 2, 0, 0, 0, 0, time.UTC)
	countries := []string{"France", "Japan", "Brazil", ""}
	for i := range n {
		b.WriteString(strconv.Itoa(i + 1))
		b.WriteString("|")
		b.WriteString(strconv.Itoa(i%600 + 1))
		b.WriteString("|4.99|")
		b.WriteString(t0.Add(time.Duration(i) * time.Second).Format("2006-01-02 15:04:05.000000+00"))
		b.WriteString("|Lyon|Rhone|")
		b.WriteString(countries[i%len(countries)])
		b.WriteString("\n")
	}
	return b.String()
}

// BenchmarkRunPerRow measures the producer's per-row path, one op a row:
// read and parse a CSV row, encode key and value, build the record with
// its source headers, and produce it (acks=all, idempotent) to an
// in-process kfake broker. Run with -benchmem for allocations per row.
func BenchmarkRunPerRow(b *testing.B) {
	cl := kafkatest.Client(b, kafkatest.Cluster(b, kfake.SeedTopics(3, "bench.sales")).ListenAddrs(), kgo.RequiredAcks(kgo.AllISRAcks()),
		kgo.ProducerLinger(5*time.Millisecond), kgo.RecordPartitioner(Partitioner()))
	text := benchCSV(b.N)
	cfg := DefaultConfig()
	cfg.Topic, cfg.EventTime, cfg.Delay, cfg.SourceName = "bench.sales", Original, 0, "/data/sales.csv"
	p, err := New(cl, testKeyEnc{}, testValEnc{}, cfg)
	if err != nil {
		b.Fatal(err)
	}
	r, err := sales.NewReader(strings.NewReader(text), csvHeaderFields(b))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	st, err := p.Run(context.Background(), r)
	if err != nil || st.Sent != int64(b.N) {
		b.Fatalf("sent %d of %d: %v", st.Sent, b.N, err)
	}
}

// BenchmarkProducerEncode measures the producer's per-row work short of
// Kafka, one op a row: read and parse a row of the harness's CSV
// (datagen.WriteSales), encode key and value with the registered Avro
// schemas, and build the record with its source and line headers; with
// the fast sales encoders, as the producer runs, and with hamba/avro's
// general encoder. Run with -benchmem for allocations per row;
// cpu-ns/op is the CPU time of the benchmark's thread per row, which the
// other processes of a shared machine disturb less than ns/op.
func BenchmarkProducerEncode(b *testing.B) {
	_, reg := devstacktest.Start(b, true)
	fast, err := app.SalesSerde(reg)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("fast", func(b *testing.B) { benchmarkEncode(b, fast) })
	b.Run("hamba", func(b *testing.B) { benchmarkEncode(b, serde.New(reg)) })
}

func benchmarkEncode(b *testing.B, sd *serde.Serde) {
	keyEnc, valEnc, err := app.Encoders(context.Background(), sd, schema.SalesTopic)
	if err != nil {
		b.Fatal(err)
	}
	var csv bytes.Buffer
	if err := datagen.WriteSales(&csv, datagen.New(42, time.Date(2023, 1, 2, 0, 0, 0, 0, time.UTC), time.Second), b.N); err != nil {
		b.Fatal(err)
	}
	r, err := sales.NewReader(&csv, csvHeaderFields(b))
	if err != nil {
		b.Fatal(err)
	}
	rm := newRecordMaker(keyEnc, valEnc, schema.SalesTopic, "/data/sales.csv")
	var size int64
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	cpu0, _ := threadCPU(b)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		s, err := r.Next()
		if err != nil {
			b.Fatal(err)
		}
		key, err := rm.key(s.CustomerID)
		if err != nil {
			b.Fatal(err)
		}
		rec, err := rm.record(key, &s, r.Line())
		if err != nil {
			b.Fatal(err)
		}
		size += int64(len(rec.Key) + len(rec.Value))
	}
	b.StopTimer()
	if cpu, ok := threadCPU(b); ok {
		b.ReportMetric(float64(cpu-cpu0)/float64(b.N), "cpu-ns/op")
	}
	b.SetBytes(size / int64(b.N))
}
