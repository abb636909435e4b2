package bench

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/salesstream/salesstream/internal/app"
	"github.com/salesstream/salesstream/internal/domain/datagen"
	"github.com/salesstream/salesstream/internal/domain/sales"
	"github.com/salesstream/salesstream/internal/domain/schema"
	"github.com/salesstream/salesstream/internal/platform/topics"
)

// salesSource makes the sales of a run: the reference generator, or one
// with event times set by the caller.
type salesSource interface{ Next() sales.Sale }

func refSales(seed uint64) salesSource {
	return datagen.New(seed, time.Date(2023, 1, 2, 0, 0, 0, 0, time.UTC), time.Second)
}

// bareProduce is the bare-producer ceiling: it encodes n sales with the
// registered schemas and the producer's encoders (app.SalesSerde), and
// sends them to topic with a plain franz-go client (acks=all, 5 ms
// linger, sticky key partitioner) and nothing else. It returns the time from the first send to the last
// acknowledgement.
func (e *env) bareProduce(ctx context.Context, topic string, n int, src salesSource) (time.Duration, error) {
	return e.bareProduceWith(ctx, topic, n, src, nil)
}

// bareProduceWith is bareProduce with headers(i) on the i-th record.
func (e *env) bareProduceWith(ctx context.Context, topic string, n int, src salesSource, headers func(i int) []kgo.RecordHeader) (time.Duration, error) {
	sd, err := app.SalesSerde(e.Registry)
	if err != nil {
		return 0, err
	}
	keyEnc, valEnc, err := app.Encoders(ctx, sd, schema.SalesTopic)
	if err != nil {
		return 0, err
	}
	cl, err := e.client(kgo.RequiredAcks(kgo.AllISRAcks()), kgo.ProducerLinger(5*time.Millisecond),
		kgo.RecordPartitioner(kgo.StickyKeyPartitioner(nil)))
	if err != nil {
		return 0, err
	}
	defer cl.Close()
	if err := topics.Ensure(ctx, cl, topics.Spec{Name: topic, Partitions: 3}); err != nil {
		return 0, err
	}
	var failed atomic.Pointer[error]
	var amt []byte
	start := time.Now()
	for i := range n {
		s := src.Next()
		key, err := keyEnc.Append(nil, &schema.SaleKey{CustomerID: s.CustomerID})
		if err != nil {
			return 0, err
		}
		v := schema.NewSaleValue(s, amt)
		amt = v.Amount
		val, err := valEnc.Append(nil, &v)
		if err != nil {
			return 0, err
		}
		r := &kgo.Record{Topic: topic, Key: key, Value: val}
		if headers != nil {
			r.Headers = headers(i)
		}
		cl.Produce(ctx, r, func(_ *kgo.Record, err error) {
			if err != nil {
				failed.CompareAndSwap(nil, &err)
			}
		})
	}
	if err := cl.Flush(ctx); err != nil {
		return 0, err
	}
	if p := failed.Load(); p != nil {
		return 0, fmt.Errorf("produce to %s: %w", topic, *p)
	}
	return time.Since(start), nil
}

// bareConsume is the bare-consumer ceiling: a plain franz-go client reads
// topic from its start to its end (read_committed), counting records and,
// if decode, decoding each value with the general Avro decoder. It returns
// the time from the first poll to the last record.
func (e *env) bareConsume(ctx context.Context, topic string, n int64, decode bool) (time.Duration, error) {
	cl, err := e.client(kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.FetchIsolationLevel(kgo.ReadCommitted()))
	if err != nil {
		return 0, err
	}
	defer cl.Close()
	var got int64
	var v schema.SaleValue
	start := time.Now()
	for got < n {
		fs := cl.PollFetches(ctx)
		if err := fs.Err0(); err != nil {
			return 0, fmt.Errorf("consume %s: %w", topic, err)
		}
		for it := fs.RecordIter(); !it.Done(); {
			r := it.Next()
			got++
			if decode {
				if err := e.Serde.Decode(ctx, r.Value, nil, false, &v); err != nil {
					return 0, err
				}
			}
		}
	}
	return time.Since(start), nil
}
