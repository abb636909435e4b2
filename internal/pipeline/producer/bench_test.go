package producer

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/salesstream/salesstream/internal/domain/sales"
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
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(3, "bench.sales"))
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	cl, err := kgo.NewClient(kgo.SeedBrokers(c.ListenAddrs()...), kgo.RequiredAcks(kgo.AllISRAcks()),
		kgo.ProducerLinger(5*time.Millisecond), kgo.RecordPartitioner(Partitioner()))
	if err != nil {
		b.Fatal(err)
	}
	defer cl.Close()
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
