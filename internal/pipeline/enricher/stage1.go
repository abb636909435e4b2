package enricher

import (
	"context"
	"strconv"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/salesstream/salesstream/internal/domain/sales"
	"github.com/salesstream/salesstream/internal/domain/schema"
)

// Stage 1, per partition of the sales topic: decode, validate, join the
// region, and forward the sale to the repartition topic keyed by region
// (the repartition codec and partitioner are in repartition.go). Records
// that cannot become sales go to the dead-letter topic.

// Record headers set on dead-letter and late records; package schema
// defines and documents them.
const (
	HeaderError       = schema.HeaderError
	HeaderTopic       = schema.HeaderSourceTopic
	HeaderPartition   = schema.HeaderSourcePartition
	HeaderOffset      = schema.HeaderSourceOffset
	HeaderWatermark   = schema.HeaderWatermark
	HeaderLateWindows = schema.HeaderLateWindows
)

// sourceHeaders returns r's headers followed by r's coordinates and extra.
func sourceHeaders(r *kgo.Record, extra ...kgo.RecordHeader) []kgo.RecordHeader {
	return originHeaders(r.Headers, r.Topic, r.Partition, r.Offset, extra...)
}

// originHeaders returns a copy of headers followed by the source
// coordinates and extra.
func originHeaders(headers []kgo.RecordHeader, topic string, partition int32, offset int64, extra ...kgo.RecordHeader) []kgo.RecordHeader {
	h := make([]kgo.RecordHeader, 0, len(headers)+3+len(extra))
	h = append(h, headers...)
	h = append(h,
		kgo.RecordHeader{Key: HeaderTopic, Value: []byte(topic)},
		kgo.RecordHeader{Key: HeaderPartition, Value: strconv.AppendInt(nil, int64(partition), 10)},
		kgo.RecordHeader{Key: HeaderOffset, Value: strconv.AppendInt(nil, offset, 10)},
	)
	return append(h, extra...)
}

func headerLookup(r *kgo.Record) func(string) ([]byte, bool) {
	if len(r.Headers) == 0 {
		return nil // most records: no closure to allocate
	}
	return func(k string) ([]byte, bool) {
		for _, h := range r.Headers {
			if h.Key == k {
				return h.Value, true
			}
		}
		return nil, false
	}
}

// forward is stage 1 for one sales record: it decodes and validates it,
// joins its region and files in b the record that carries it to the
// repartition topic, or files it as dead. It fails only when ctx ends
// while it waits for the registry.
func (e *Enricher) forward(ctx context.Context, b *batch, r *kgo.Record, v *schema.SaleValue) error {
	b.records++
	b.noteSource(r.Partition, minInt64)
	// The amount's buffer is reused: the sale's amount is read from it
	// before the next record.
	*v = schema.SaleValue{Amount: v.Amount[:0]}
	err := e.decode(ctx, r, v)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		e.deadLetter(b, r, err)
		return nil
	}
	s, err := v.Sale()
	if err != nil {
		e.deadLetter(b, r, err)
		return nil
	}
	f := forwarded{
		ts: s.PaymentDate.UnixMilli(), cents: int64(s.Amount), timestamp: r.Timestamp.UnixMilli(),
		partition: r.Partition, offset: r.Offset, key: r.Key, value: r.Value,
	}
	if e.cfg.Time == RecordTimestamp {
		f.ts = f.timestamp
	}
	b.noteSource(r.Partition, f.ts)
	b.forwards++
	region := e.regions.Region(s.Country)
	if region == sales.Unassigned {
		b.noRegion.add(s.Country)
	}
	if b.fold != nil {
		b.fold(region, f, r)
		return nil
	}
	b.emit(&kgo.Record{
		Topic:   e.cfg.RepartitionTopic,
		Key:     b.key(region),
		Value:   appendRepartitionValue(b.buf(maxRepartitionValue(len(r.Key), len(r.Value))), &f),
		Headers: r.Headers,
	})
	return nil
}

// decode decodes r's value, waiting out registry outages with backoff.
func (e *Enricher) decode(ctx context.Context, r *kgo.Record, v *schema.SaleValue) error {
	wait := e.cfg.Retry
	for {
		err := e.dec.Decode(ctx, r.Value, headerLookup(r), false, v)
		if err == nil || !retryable(err) {
			return err
		}
		e.log.Warn("schema registry unavailable; retrying", "topic", r.Topic, "partition", r.Partition, "offset", r.Offset, "wait", wait, "err", err)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(wait):
		}
		wait = min(2*wait, time.Minute)
	}
}

func (e *Enricher) deadLetter(b *batch, r *kgo.Record, reason error) {
	b.dead++
	b.f.deadLetter(reason)
	e.log.Warn("dead-lettering a record", "topic", r.Topic, "partition", r.Partition, "offset", r.Offset, "reason", reason)
	b.emit(&kgo.Record{
		Topic: e.cfg.DeadLetterTopic, Key: r.Key, Value: r.Value, Timestamp: r.Timestamp,
		Headers: sourceHeaders(r, kgo.RecordHeader{Key: HeaderError, Value: []byte(reason.Error())}),
	})
}
