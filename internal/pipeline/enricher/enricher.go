// Package enricher is the streaming job: it joins each sale with its sales
// region and aggregates sales and orders per region over sliding event-time
// windows with a watermark, writing the results to the summary topic.
//
// The model is Spark Structured Streaming's micro-batch, laid out as Kafka
// Streams lays out a stateful job, so that several instances in one
// consumer group give the results one instance gives:
//
//   - Stage 1, per partition of the sales topic (keyed by customer):
//     decode, validate, join the region, and forward the sale to the
//     repartition topic (<group>-repartition), keyed by region. Every sale
//     of a region thus meets in one repartition partition, whichever
//     instance read it.
//   - Stage 2, per partition of the repartition topic: a window.Table per
//     partition, its state kept in the partition of the same number of a
//     compacted changelog topic, so the table moves with its partition.
//
// One consumer session reads both topics, read_committed. At each trigger
// the tables emit their rows for the output mode, and the enricher writes,
// in one Kafka transaction, the forwarded sales, the summary rows, the
// dead-lettered and late records, the changes of the tables, and the
// consumer offsets of both topics. A crash at any point therefore leaves
// output, state and offsets consistent: a restarted enricher, or the
// instance a partition moves to, rebuilds the table from its changelog
// partition and resumes from the committed offsets, and read_committed
// consumers never see a row twice. A forwarded sale is read by stage 2 only
// once its transaction has committed, so it reaches the windows one trigger
// after it was read.
//
// The watermark is kept per repartition partition, as Kafka Streams keeps
// stream time per task: the largest event time that partition has seen,
// minus the delay. Spark keeps one watermark for the whole query, the
// largest event time of all partitions minus the delay. With one
// repartition partition they are the same, and when no event is late the
// results are the same either way (they equal a batch aggregation). With
// several partitions and late data they can differ: a partition's
// watermark follows only the events of its own regions, so for the same
// events and triggers it is never ahead of the global one. An event the
// global watermark keeps is kept, but one it drops may be kept too, and a
// quiet partition holds its windows longer. Which events are late also
// depends on the order in which a partition receives them, and that
// depends on how fast each instance's stage 1 runs; in Spark it likewise
// depends on how the source partitions are read.
//
// Messages that cannot become sales (bytes that are not the wire format, an
// unknown schema id, Avro that does not decode, a missing field, a
// payment_date outside a sane range) go to the dead-letter topic with the
// reason and their source in headers. Events older than the watermark are
// counted and, if a late topic is set, kept there with their original
// bytes and source.
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

	"github.com/salesstream/salesstream/internal/domain/money"
	"github.com/salesstream/salesstream/internal/domain/sales"
	"github.com/salesstream/salesstream/internal/domain/schema"
	"github.com/salesstream/salesstream/internal/pipeline/enricher/progress"
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
	// RepartitionTopic carries the sales, keyed by region, from stage 1
	// to stage 2; empty means Group + "-repartition". It and StateTopic
	// must have the same partition count.
	RepartitionTopic string
	// Group is the consumer group; TransactionalID the producer's
	// transactional id (one per instance).
	Group           string
	TransactionalID string
	Window          window.Config
	// Trigger is the processing-time interval between micro-batches;
	// 0 runs a micro-batch as soon as the previous one ends (continuous).
	Trigger time.Duration
	// Once is the available-now trigger: one micro-batch forwards what
	// the sales topic holds when the run starts, then one more windows
	// what the repartition topic holds after that commit, and Run
	// returns. It expects to be the group's only member.
	Once bool
	Time TimeSource
	// Retry is the first pause when the registry is unreachable; it
	// doubles up to a minute.
	Retry  time.Duration
	Logger *slog.Logger
	// ProgressBatches is how many batches' progress to keep; 0 means
	// 100.
	ProgressBatches int
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
	Consumed      int64 // sales records read (stage 1)
	Repartitioned int64 // sales forwarded to the repartition topic (stage 1)
	Windowed      int64 // repartitioned sales read by the windows (stage 2)
	Aggregated    int64 // sales folded into at least one window
	Late          int64 // sales refused by at least one window the watermark had closed
	Dead          int64 // records sent to the dead-letter topic
	Rows          int64 // summary rows written
	Batches       int64 // micro-batches committed
	Aborts        int64 // micro-batches aborted and replayed
	Restarts      int64 // sessions restarted after a failure
	// Watermark is the lowest watermark, Unix ms, among the repartition
	// partitions this instance owns that have one (math.MinInt64 if
	// none), after the last committed batch or change of partitions.
	Watermark int64
	// Windows counts the (region, window) rows in this instance's
	// tables; Partitions the repartition partitions it owns.
	Windows    int64
	Partitions int64
}

type counters struct {
	consumed, repartitioned, windowed, aggregated, late, dead, rows, batches, aborts, restarts atomic.Int64
	watermark, windows, partitions                                                             atomic.Int64
	ready                                                                                      atomic.Bool
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
	// progress keeps the batches' progress; prevTrigger is the last
	// batch's trigger time, owned by the poll loop.
	progress    *progress.Tracker
	prevTrigger time.Time
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
	if cfg.RepartitionTopic == "" {
		cfg.RepartitionTopic = cfg.Group + "-repartition"
	}
	if cfg.RepartitionTopic == cfg.SalesTopic || cfg.RepartitionTopic == cfg.StateTopic {
		return nil, fmt.Errorf("repartition topic %s must differ from the sales and state topics", cfg.RepartitionTopic)
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if cfg.ProgressBatches <= 0 {
		cfg.ProgressBatches = 100
	}
	e := &Enricher{cfg: cfg, regions: regions, dec: dec, keyEnc: keyEnc, valEnc: valEnc, log: log,
		progress: progress.NewTracker(cfg.ProgressBatches, log)}
	e.stats.watermark.Store(minInt64)
	return e, nil
}

// Stats returns the counts so far; safe to call while Run runs.
func (e *Enricher) Stats() Stats {
	s := &e.stats
	return Stats{
		Consumed: s.consumed.Load(), Repartitioned: s.repartitioned.Load(), Windowed: s.windowed.Load(),
		Aggregated: s.aggregated.Load(), Late: s.late.Load(),
		Dead: s.dead.Load(), Rows: s.rows.Load(), Batches: s.batches.Load(), Aborts: s.aborts.Load(),
		Restarts:  s.restarts.Load(),
		Watermark: s.watermark.Load(), Windows: s.windows.Load(), Partitions: s.partitions.Load(),
	}
}

// Ready reports whether e consumes: its session has started and it is not
// rebuilding a table from the changelog.
func (e *Enricher) Ready() bool { return e.stats.ready.Load() }

type table = window.Table[string, int64, window.Sum]

// batch is what one micro-batch produced besides the window state.
type batch struct {
	polled   int64         // records polled, control records included
	records  int64         // sales records (stage 1)
	forwards int64         // sales forwarded (stage 1)
	windowed int64         // repartition records (stage 2)
	agg      int64         // of which folded into a window
	out      []*kgo.Record // forwarded, dead-letter and late records
	dead     int64
	late     int64
	f        facts // for the batch's progress

	// Kept across batches: region names as record keys, shared by the
	// records that carry them (kgo does not change a record's key), and
	// the free end of a block that forwarded values are carved from.
	keys map[string][]byte
	slab []byte
}

func (b *batch) reset() { *b = batch{out: b.out[:0], keys: b.keys, slab: b.slab} }

// key returns region as a record key.
func (b *batch) key(region string) []byte {
	if k, ok := b.keys[region]; ok {
		return k
	}
	if b.keys == nil {
		b.keys = map[string][]byte{}
	}
	k := []byte(region)
	b.keys[region] = k
	return k
}

// buf returns an empty slice of capacity n, carved from a shared block
// when n is small, so that forwarded values do not cost an allocation
// each. The block is never written twice: a carved slice stays valid.
func (b *batch) buf(n int) []byte {
	const block = 64 << 10
	if n > block/16 {
		return make([]byte, 0, n)
	}
	if cap(b.slab) < n {
		b.slab = make([]byte, 0, block)
	}
	s := b.slab[:0:n]
	b.slab = b.slab[:n][n:]
	return s
}

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
	f := forwarded{
		ts: s.PaymentDate.UnixMilli(), cents: int64(s.Amount), timestamp: r.Timestamp.UnixMilli(),
		partition: r.Partition, offset: r.Offset, key: r.Key, value: r.Value,
	}
	if e.cfg.Time == RecordTimestamp {
		f.ts = f.timestamp
	}
	b.forwards++
	b.out = append(b.out, &kgo.Record{
		Topic:   e.cfg.RepartitionTopic,
		Key:     b.key(e.regions.Region(s.Country)),
		Value:   appendRepartitionValue(b.buf(maxRepartitionValue(len(r.Key), len(r.Value))), &f),
		Headers: r.Headers,
	})
	return nil
}

// fold is stage 2 for one repartition record: it folds the sale into tk's
// table, and files it in b as late if a window it belongs to had closed.
// region interns the record's key.
func (e *Enricher) fold(b *batch, tk *task, r *kgo.Record, region func([]byte) string) {
	b.windowed++
	tk.touched = true
	f, err := parseRepartitionValue(r.Value)
	if err != nil {
		e.deadLetter(b, r, err)
		return
	}
	// As in Spark, an event counts in each of its windows that the
	// watermark has not closed; it is late if any window refused it.
	kept, dropped := tk.t.AddWindows(region(r.Key), f.ts, f.cents)
	if kept > 0 {
		b.agg++
	}
	b.f.eventTime(f.ts)
	if dropped > 0 {
		b.late++
		b.f.lateEvent(kept, dropped)
		if e.cfg.LateTopic != "" {
			b.out = append(b.out, &kgo.Record{
				Topic: e.cfg.LateTopic, Key: f.key, Value: f.value, Timestamp: time.UnixMilli(f.timestamp),
				Headers: originHeaders(r.Headers, e.cfg.SalesTopic, f.partition, f.offset,
					kgo.RecordHeader{Key: HeaderWatermark, Value: strconv.AppendInt(nil, tk.t.Watermark(), 10)},
					kgo.RecordHeader{Key: HeaderLateWindows, Value: strconv.AppendInt(nil, int64(dropped), 10)},
				),
			})
		}
	}
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
