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
// An instance that owns every sales and repartition partition takes the
// direct path instead (direct.go): stage 1 windows each sale at once in the
// table its region's partition has, and the batch's watermark markers go
// to the tables before its trigger, with the round trip's results, one
// trigger sooner. Config.RoundTrip turns it off.
//
// The watermark is one for the whole query, as Spark's, whatever the
// partition counts and however many instances share the group. It crosses
// the shuffle as Flink carries watermarks through one: in each micro-batch's
// transaction, after the forwarded sales, stage 1 writes to every
// repartition partition a marker per sales partition it read (its largest
// valid event time in the batch), or found idle. Stage 2 keeps, per
// repartition partition and in its changelog, the largest event time of
// every sales partition so far, and at each trigger gives its table the
// query's event time under the policy; the watermark is that minus the
// delay, never going backwards. Events are judged against the watermark of
// the previous trigger, as Spark judges a batch's events against the
// previous batch's. Every repartition partition receives every marker, so
// one that receives no sale still closes its windows.
//
// The policy (Config.WatermarkPolicy) says how the partitions combine.
// MaxPolicy, Spark's, takes the largest event time of all; MinPolicy,
// Flink's, the smallest of each partition's largest, so a partition that
// lags loses nothing. Say a 10-minute delay, and a micro-batch in which
// sales partition 0 reaches 13:40, partition 1 13:38 and partition 2,
// behind on a backlog, 13:05:
//
//   - max: the watermark becomes 13:40 - 10m = 13:30. In the next batch a
//     sale of partition 2 at 13:10 is late: its windows ended by 13:20.
//   - min: the watermark becomes 13:05 - 10m = 12:55, and partition 2's
//     13:10 sale counts. The watermark follows partition 2 until it
//     catches up.
//
// Under min a partition not heard from holds the watermark back. With
// Config.IdleTimeout, stage 1 reports a partition it owns that had no
// record for that long as idle, and min then leaves it out: if partition 2
// above then stops receiving sales, once the timeout passes the watermark
// becomes min(13:40, 13:38) - 10m = 13:28. Its next sale makes it count
// again (and is late if older than the watermark, as in Flink).
//
// With Once, or when every instance has caught up at the end of a
// micro-batch, the output is Spark's batch for batch in every layout. An
// instance running continuously may window part of another instance's
// micro-batch at one trigger and the rest at the next, the watermark
// moving in between: as in Spark, where a batch ends depends on when the
// data arrives.
//
// Messages that cannot become sales (bytes that are not the wire format, an
// unknown schema id, Avro that does not decode, a missing field, a
// payment_date outside a sane range) go to the dead-letter topic with the
// reason and their source in headers. Events older than the watermark are
// counted and, if a late topic is set, kept there with their original
// bytes and source.
//
// Each committed micro-batch reports its progress, as Spark's
// StreamingQueryProgress, to the enricher's progress.Tracker (Progress):
// one log line per batch, the last batches at /progress, and the metrics
// and dashboard that Metrics and package dashboard build on it.
package enricher

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
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
	// RoundTrip makes every micro-batch take the round trip through the
	// repartition topic, even when this instance owns every partition and
	// could take the direct path (direct.go), which gives the same
	// results.
	RoundTrip bool
	// MaxRecordsPerTrigger and MaxBytesPerTrigger bound a micro-batch
	// (Spark's maxOffsetsPerTrigger): one that reaches either commits at
	// once, whatever the trigger, and the next starts. Records count
	// offsets polled; bytes count their keys and values. 0 means the
	// default. When the sales partitions owned lag by more than
	// MaxRecordsPerTrigger, each takes a share in proportion to its lag,
	// and repartition records are bounded apart by as many again
	// (shares.go), so such a batch holds at most twice as many records.
	MaxRecordsPerTrigger int64
	MaxBytesPerTrigger   int64
	// FetchMaxBytes bounds what one fetch brings (two may be buffered;
	// each partition gets its share, and a fetch may bring one record
	// batch beyond, see topics.CommittedFetch) and, with 4 MiB at least,
	// what the producer buffers; 0 means the default. A fetch's records take several times its bytes in memory
	// once decompressed and decoded (a kgo.Record is some 200 bytes).
	FetchMaxBytes int64
	Time          TimeSource
	// WatermarkPolicy combines the sales partitions' largest event times
	// into the query's watermark: MaxPolicy (Spark's) or MinPolicy.
	WatermarkPolicy WatermarkPolicy
	// IdleTimeout, if > 0, is how long a sales partition goes without a
	// record before stage 1 reports it idle; an idle partition does not
	// hold the watermark back under MinPolicy. 0 turns idleness off.
	IdleTimeout time.Duration
	// Retry is the first pause when the registry is unreachable; it
	// doubles up to a minute.
	Retry time.Duration
	// RegionsSource says where the regions were read from, for the
	// settings record (reader --audit's messages).
	RegionsSource string
	Logger        *slog.Logger
	// ProgressBatches is how many batches' progress to keep; 0 means
	// 100.
	ProgressBatches int
}

// Defaults of the bounds: they keep the enricher's memory within about
// 150 MB whatever the backlog.
const (
	DefaultMaxRecordsPerTrigger = 100_000
	DefaultMaxBytesPerTrigger   = 32 << 20
	DefaultFetchMaxBytes        = 1 << 20
	// produceBufferBytes is the least the producer may buffer.
	produceBufferBytes = 4 << 20
)

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
		Trigger:              2 * time.Minute,
		MaxRecordsPerTrigger: DefaultMaxRecordsPerTrigger,
		MaxBytesPerTrigger:   DefaultMaxBytesPerTrigger,
		FetchMaxBytes:        DefaultFetchMaxBytes,
		Retry:                500 * time.Millisecond,
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
	// Watermark is the query's watermark, Unix ms, as this instance
	// knows it: the most advanced among the repartition partitions it
	// owns (they all follow the same markers), math.MinInt64 if none,
	// after the last committed batch or change of partitions.
	Watermark int64
	// EventTimes holds, per sales partition, the largest event time the
	// instance's repartition partitions have heard of from it: the one
	// that holds the watermark back under the min policy is the least.
	EventTimes map[int32]int64
	// Windows counts the (region, window) rows in this instance's
	// tables; Partitions the repartition partitions it owns.
	Windows    int64
	Partitions int64
}

type counters struct {
	consumed, repartitioned, windowed, aggregated, late, dead, rows, batches, aborts, restarts atomic.Int64
	watermark, windows, partitions                                                             atomic.Int64
	ready                                                                                      atomic.Bool
	eventTimes                                                                                 eventTimes
}

// Enricher runs the streaming job.
type Enricher struct {
	cfg     Config
	regions *sales.Regions
	hash    string // of regions, for the settings record
	dec     Decoder
	keyEnc  Encoder
	valEnc  Encoder
	log     *slog.Logger
	stats   counters
	// progress keeps the batches' progress; prevTrigger is the last
	// batch's trigger time, owned by the poll loop.
	progress    *progress.Tracker
	prevTrigger time.Time
	// unassigned counts the committed sales that joined no region.
	unassigned unassigned
	// lateWarned is set once most of a micro-batch was late and said so.
	lateWarned atomic.Bool
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
	if cfg.IdleTimeout < 0 {
		return nil, fmt.Errorf("idle timeout %v must not be negative; 0 turns idleness off", cfg.IdleTimeout)
	}
	if cfg.WatermarkPolicy != MaxPolicy && cfg.WatermarkPolicy != MinPolicy {
		return nil, fmt.Errorf("watermark policy %d: want MaxPolicy or MinPolicy", cfg.WatermarkPolicy)
	}
	for name, v := range map[string]string{"sales topic": cfg.SalesTopic, "summary topic": cfg.SummaryTopic,
		"dead-letter topic": cfg.DeadLetterTopic, "state topic": cfg.StateTopic, "group": cfg.Group,
		"transactional id": cfg.TransactionalID} {
		if v == "" {
			return nil, fmt.Errorf("no %s configured", name)
		}
	}
	for name, v := range map[string]*int64{"max records per trigger": &cfg.MaxRecordsPerTrigger,
		"max bytes per trigger": &cfg.MaxBytesPerTrigger, "fetch max bytes": &cfg.FetchMaxBytes} {
		if *v < 0 {
			return nil, fmt.Errorf("%s %d: must not be negative (0 takes the default)", name, *v)
		}
	}
	if cfg.MaxRecordsPerTrigger == 0 {
		cfg.MaxRecordsPerTrigger = DefaultMaxRecordsPerTrigger
	}
	if cfg.MaxBytesPerTrigger == 0 {
		cfg.MaxBytesPerTrigger = DefaultMaxBytesPerTrigger
	}
	if cfg.FetchMaxBytes == 0 {
		cfg.FetchMaxBytes = DefaultFetchMaxBytes
	}
	cfg.FetchMaxBytes = min(cfg.FetchMaxBytes, 1<<30)
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
	if regions != nil {
		e.hash = regions.Hash()
	}
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
		EventTimes: s.eventTimes.load(),
	}
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
