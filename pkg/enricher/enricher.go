// Package enricher is the streaming job: it joins each sale with its sales
// region and aggregates sales and orders per region over sliding event-time
// windows with a watermark, writing the results to the summary topic.
//
// The model is Spark Structured Streaming's micro-batch: records are polled
// continuously and folded into a window.Table; at each trigger the table
// emits its rows for the output mode and the enricher writes, in one Kafka
// transaction, the summary rows, the dead-lettered and late records of the
// batch, the changes of the window state to a compacted changelog topic,
// and the consumer offsets. A crash at any point therefore leaves the
// output, the state and the offsets consistent: a restarted enricher
// rebuilds its state from the changelog and resumes from the committed
// offsets, and read_committed consumers never see a row twice.
//
// Messages that cannot become sales (bytes that are not the wire format, an
// unknown schema id, Avro that does not decode, a missing field, a
// payment_date outside a sane range) go to the dead-letter topic with the
// reason and their source in headers. Events older than the watermark are
// counted and, if a late topic is set, kept there.
package enricher

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/salesstream/salesstream/pkg/money"
	"github.com/salesstream/salesstream/pkg/sales"
	"github.com/salesstream/salesstream/pkg/schema"
	"github.com/salesstream/salesstream/pkg/window"
)

// TimeSource says which time an event is windowed on.
type TimeSource int

// The time sources.
const (
	// PaymentDate windows on the sale's payment_date: event time.
	PaymentDate TimeSource = iota
	// RecordTimestamp windows on the Kafka record's timestamp.
	RecordTimestamp
)

// ParseTimeSource reads "payment_date" (or "event") or "record".
func ParseTimeSource(s string) (TimeSource, error) {
	switch s {
	case "payment_date", "event":
		return PaymentDate, nil
	case "record", "record_timestamp":
		return RecordTimestamp, nil
	}
	return 0, fmt.Errorf("time source %q: want payment_date or record", s)
}

// Decoder decodes a framed Avro message into v.
type Decoder interface {
	Decode(ctx context.Context, msg []byte, headerID func(key string) ([]byte, bool), isKey bool, v any) error
}

// Encoder frames and encodes one Avro record type.
type Encoder interface {
	Append(dst []byte, v any) ([]byte, error)
}

// Config tunes an Enricher.
type Config struct {
	// SalesTopic is read; SummaryTopic, DeadLetterTopic and StateTopic
	// are written. LateTopic, if set, receives late events.
	SalesTopic      string
	SummaryTopic    string
	DeadLetterTopic string
	LateTopic       string
	StateTopic      string
	// Group is the consumer group; TransactionalID the producer's
	// transactional id (one per instance).
	Group           string
	TransactionalID string
	Window          window.Config
	// Trigger is the processing-time interval between micro-batches;
	// 0 runs a micro-batch as soon as the previous one ends (continuous).
	Trigger time.Duration
	// Once processes what the sales topic holds when the run starts, in
	// one micro-batch, commits and returns: the available-now trigger.
	Once bool
	Time TimeSource
	// Retry is the first pause when the registry is unreachable; it
	// doubles up to a minute.
	Retry  time.Duration
	Logger *slog.Logger
}

// DefaultConfig returns the reference pipeline's settings: 10-minute
// windows sliding every 5 minutes, a 10-minute watermark, update mode, a
// trigger every 2 minutes.
func DefaultConfig() Config {
	return Config{
		SalesTopic:      schema.SalesTopic,
		SummaryTopic:    schema.SummaryTopic,
		DeadLetterTopic: schema.DeadLetterTopic,
		StateTopic:      "salesstream-enricher-state",
		Group:           "salesstream-enricher",
		TransactionalID: "salesstream-enricher-0",
		Window: window.Config{
			Size:  10 * time.Minute,
			Slide: 5 * time.Minute,
			Delay: 10 * time.Minute,
			Mode:  window.Update,
		},
		Trigger: 2 * time.Minute,
		Retry:   500 * time.Millisecond,
	}
}

// Stats counts what an enricher did, as committed: counts of an aborted
// micro-batch are not included.
type Stats struct {
	Consumed   int64 // sales records read
	Aggregated int64 // sales folded into at least one window
	Late       int64 // sales refused by at least one window the watermark had closed
	Dead       int64 // records sent to the dead-letter topic
	Rows       int64 // summary rows written
	Batches    int64 // micro-batches committed
	Aborts     int64 // micro-batches aborted and replayed
	Watermark  int64 // Unix ms, after the last committed batch
	Windows    int64 // (region, window) rows in state, after the last committed batch
}

type counters struct {
	consumed, aggregated, late, dead, rows, batches, aborts, watermark, windows atomic.Int64
	ready                                                                       atomic.Bool
}

// Enricher runs the streaming job.
type Enricher struct {
	cfg     Config
	regions *sales.Regions
	dec     Decoder
	keyEnc  Encoder
	valEnc  Encoder
	log     *slog.Logger
	stats   counters
}

// New returns an Enricher that joins with regions, decodes sales with dec
// and encodes summary keys and values with keyEnc and valEnc.
func New(cfg Config, regions *sales.Regions, dec Decoder, keyEnc, valEnc Encoder) (*Enricher, error) {
	if err := cfg.Window.Validate(); err != nil {
		return nil, fmt.Errorf("window: %w", err)
	}
	if cfg.Trigger < 0 {
		return nil, errors.New("trigger interval must not be negative")
	}
	for name, v := range map[string]string{"sales topic": cfg.SalesTopic, "summary topic": cfg.SummaryTopic,
		"dead-letter topic": cfg.DeadLetterTopic, "state topic": cfg.StateTopic, "group": cfg.Group,
		"transactional id": cfg.TransactionalID} {
		if v == "" {
			return nil, fmt.Errorf("no %s configured", name)
		}
	}
	if cfg.Retry <= 0 {
		cfg.Retry = 500 * time.Millisecond
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Enricher{cfg: cfg, regions: regions, dec: dec, keyEnc: keyEnc, valEnc: valEnc, log: log}, nil
}

// Stats returns the counts so far; safe to call while Run runs.
func (e *Enricher) Stats() Stats {
	s := &e.stats
	return Stats{
		Consumed: s.consumed.Load(), Aggregated: s.aggregated.Load(), Late: s.late.Load(),
		Dead: s.dead.Load(), Rows: s.rows.Load(), Batches: s.batches.Load(), Aborts: s.aborts.Load(),
		Watermark: s.watermark.Load(), Windows: s.windows.Load(),
	}
}

// Ready reports whether e has restored its state and consumes.
func (e *Enricher) Ready() bool { return e.stats.ready.Load() }

type table = window.Table[string, int64, window.Sum]

// batch is what one micro-batch produced besides the window state.
type batch struct {
	records int64
	agg     int64
	out     []*kgo.Record // dead-letter and late records
	dead    int64
	late    int64
}

func (b *batch) reset() { *b = batch{out: b.out[:0]} }

// record headers set on dead-letter and late records.
const (
	HeaderError     = "salesstream.error"
	HeaderTopic     = "salesstream.source.topic"
	HeaderPartition = "salesstream.source.partition"
	HeaderOffset    = "salesstream.source.offset"
	HeaderWatermark = "salesstream.watermark"
	// HeaderLateWindows counts the windows of a late event that had
	// closed; it still counts in its other windows.
	HeaderLateWindows = "salesstream.late.windows"
)

func sourceHeaders(r *kgo.Record, extra ...kgo.RecordHeader) []kgo.RecordHeader {
	h := make([]kgo.RecordHeader, 0, len(r.Headers)+3+len(extra))
	h = append(h, r.Headers...)
	h = append(h,
		kgo.RecordHeader{Key: HeaderTopic, Value: []byte(r.Topic)},
		kgo.RecordHeader{Key: HeaderPartition, Value: strconv.AppendInt(nil, int64(r.Partition), 10)},
		kgo.RecordHeader{Key: HeaderOffset, Value: strconv.AppendInt(nil, r.Offset, 10)},
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

// process folds one record into t, or files it in b as dead or late.
func (e *Enricher) process(ctx context.Context, t *table, b *batch, r *kgo.Record, v *schema.SaleValue) error {
	b.records++
	*v = schema.SaleValue{}
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
	ts := s.PaymentDate.UnixMilli()
	if e.cfg.Time == RecordTimestamp {
		ts = r.Timestamp.UnixMilli()
	}
	// As in Spark, an event counts in each of its windows that the
	// watermark has not closed; it is late if any window refused it.
	kept, dropped := t.AddWindows(e.regions.Region(s.Country), ts, int64(s.Amount))
	if kept > 0 {
		b.agg++
	}
	if dropped > 0 {
		b.late++
		if e.cfg.LateTopic != "" {
			b.out = append(b.out, &kgo.Record{
				Topic: e.cfg.LateTopic, Key: r.Key, Value: r.Value, Timestamp: r.Timestamp,
				Headers: sourceHeaders(r,
					kgo.RecordHeader{Key: HeaderWatermark, Value: strconv.AppendInt(nil, t.Watermark(), 10)},
					kgo.RecordHeader{Key: HeaderLateWindows, Value: strconv.AppendInt(nil, int64(dropped), 10)},
				),
			})
		}
	}
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
	e.log.Warn("dead-lettering a sales record", "partition", r.Partition, "offset", r.Offset, "reason", reason)
	b.out = append(b.out, &kgo.Record{
		Topic: e.cfg.DeadLetterTopic, Key: r.Key, Value: r.Value, Timestamp: r.Timestamp,
		Headers: sourceHeaders(r, kgo.RecordHeader{Key: HeaderError, Value: []byte(reason.Error())}),
	})
}

// summaryRecord returns the record of one summary row.
func (e *Enricher) summaryRecord(row window.Row[string, window.Sum]) (*kgo.Record, error) {
	k, err := e.keyEnc.Append(nil, &schema.SummaryKey{Region: row.Key, WindowStart: row.Start})
	if err != nil {
		return nil, fmt.Errorf("encode summary key %s@%d: %w", row.Key, row.Start, err)
	}
	v, err := e.valEnc.Append(nil, &schema.SummaryValue{
		Region: row.Key, Sales: schema.AppendDecimal(nil, money.Cents(row.Agg.Total)),
		Orders: row.Agg.Count, WindowStart: row.Start, WindowEnd: row.End,
	})
	if err != nil {
		return nil, fmt.Errorf("encode summary %s@%d: %w", row.Key, row.Start, err)
	}
	return &kgo.Record{Topic: e.cfg.SummaryTopic, Key: k, Value: v}, nil
}
