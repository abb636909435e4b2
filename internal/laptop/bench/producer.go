package bench

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/salesstream/salesstream/internal/app"
	"github.com/salesstream/salesstream/internal/app/producerapp"
	"github.com/salesstream/salesstream/internal/domain/datagen"
	"github.com/salesstream/salesstream/internal/domain/schema"
	"github.com/salesstream/salesstream/internal/pipeline/producer"
	"github.com/salesstream/salesstream/internal/platform/kafkaconn"
)

// Producing compares the producer with the bare-producer ceiling on the
// same sales and broker.
type Producing struct {
	Sales int
	// Producer and Bare are the faster of each one's two runs.
	Producer, Bare time.Duration
}

// runProducing sends n generated sales with the producer (reading them
// from a CSV file, original event times, no delay) and the same records
// (key, value, and the producer's source and line headers) with the bare
// producer, to two topics of one broker. Each runs twice, in the order
// bare, producer, producer, bare, and its faster run counts: the first
// run in a fresh process pays for growing the heap that the broker then
// fills, and a single run in a fixed order handed that cost to the same
// side every time.
func runProducing(ctx context.Context, bin, dir string, n int) (Producing, error) {
	p := Producing{Sales: n}
	e, err := newEnv(ctx, bin, dir)
	if err != nil {
		return p, err
	}
	defer e.close()
	csv := filepath.Join(dir, "sales.csv")
	f, err := os.Create(csv)
	if err != nil {
		return p, err
	}
	err = datagen.WriteSales(f, datagen.New(42, time.Date(2023, 1, 2, 0, 0, 0, 0, time.UTC), time.Second), n)
	f.Close()
	if err != nil {
		return p, err
	}
	defer os.Remove(csv)
	// The same records: the producer's headers name the file and line.
	headers := func(i int) []kgo.RecordHeader {
		return []kgo.RecordHeader{
			{Key: producer.HeaderSource, Value: []byte(csv)},
			{Key: producer.HeaderLine, Value: strconv.AppendInt(nil, int64(i+2), 10)},
		}
	}
	bare := func() error {
		d, err := e.bareProduceWith(ctx, "bench.bare.sales", n, refSales(42), headers)
		p.Bare = fastest(p.Bare, d)
		return err
	}
	prod := func() error {
		st, err := producerapp.Job{Clients: app.Clients{Kafka: kafkaconn.Config{Brokers: e.Stack.Brokers()}, Registry: e.Registry}, Input: csv, Partitions: 3,
			Producer: producer.Config{EventTime: producer.Original, Topic: schema.SalesTopic}}.Run(ctx)
		if err != nil {
			return fmt.Errorf("producer: %w", err)
		}
		if st.Sent != int64(n) {
			return fmt.Errorf("producer sent %d of %d", st.Sent, n)
		}
		p.Producer = fastest(p.Producer, st.Elapsed)
		return nil
	}
	for _, run := range []func() error{bare, prod, prod, bare} {
		if err := run(); err != nil {
			return p, err
		}
	}
	return p, nil
}

// fastest returns the shorter of two times, 0 meaning none yet.
func fastest(a, b time.Duration) time.Duration {
	if a == 0 || b < a {
		return b
	}
	return a
}
