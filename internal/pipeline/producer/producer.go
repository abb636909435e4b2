// Package producer replays sales into Kafka as a live event stream.
//
// A Producer reads sales from a Source (a CSV file, or the synthetic
// generator), stamps each with its event time according to the EventTime
// mode, paces them (a fixed delay, a rate, or the shifted original
// schedule), and publishes each as an Avro SaleKey/SaleValue pair to the
// sales topic with an idempotent producer. CSV rows that do not parse are
// counted, reported with their line numbers, and kept on a dead-letter
// topic as their original text; with Strict, one bad row stops the run
// before anything is sent.
package producer

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/salesstream/salesstream/internal/domain/sales"
	"github.com/salesstream/salesstream/internal/domain/schema"
	"github.com/salesstream/salesstream/internal/platform/textenum"
)

// EventTime says which event time a sale carries.
type EventTime int

// The event-time modes.
const (
	// Now stamps each sale with the time it is sent: a live simulation.
	Now EventTime = iota
	// Original keeps the CSV's timestamps: for backfills and exact tests.
	Original
	// Shifted keeps the CSV's spacing re-based to the start of the run:
	// the first sale's event time is the start, the others follow at their
	// original distances. Sales are sent on that schedule divided by
	// Speedup, so with a speedup the event clock runs ahead of the wall
	// clock by that factor.
	Shifted
)

// eventTimeNames is EventTime's table of names, read by ParseEventTime and
// String.
func eventTimeNames() textenum.Names[EventTime] {
	return textenum.Names[EventTime]{What: "event time", Type: "EventTime", List: []string{"now", "original", "shifted"}}
}

// ParseEventTime reads "now", "original" or "shifted".
func ParseEventTime(s string) (EventTime, error) { return eventTimeNames().Parse(s) }

// String returns the mode's flag value: now, original or shifted.
func (e EventTime) String() string { return eventTimeNames().String(e) }

// MarshalText returns the mode's flag value.
func (e EventTime) MarshalText() ([]byte, error) { return []byte(e.String()), nil }

// UnmarshalText sets the mode from text as ParseEventTime reads it, or to
// Now with ParseEventTime's error.
func (e *EventTime) UnmarshalText(b []byte) (err error) {
	*e, err = ParseEventTime(string(b))
	return err
}

// Source yields sales. Next returns io.EOF at the end, or a *sales.RowError
// for a row that does not parse, after which it can go on.
type Source interface {
	Next() (sales.Sale, error)
}

// Encoder frames and encodes one Avro record type.
type Encoder interface {
	Append(dst []byte, v any) ([]byte, error)
}

// Config tunes a Producer.
type Config struct {
	// Topic receives the sales (default schema.SalesTopic).
	Topic string
	// RejectTopic receives the CSV rows that do not parse, with the reason
	// and line number in headers (default "pagila.sales.csv.dlq").
	RejectTopic string
	// SourceName names the input in reject headers and logs.
	SourceName string
	EventTime  EventTime
	// Speedup divides the sending schedule in Shifted mode (1 = real time).
	Speedup float64
	// Delay is the pause between two sales in Now and Original modes.
	Delay time.Duration
	// Rate, when positive, sends that many sales a second instead of
	// pausing Delay.
	Rate float64
	// Limit stops after that many sales (0: no limit).
	Limit int64
	// Resume, if set, skips the lines an earlier run of the same source
	// had acknowledged.
	Resume *Resume
	// Progress, if set, is called about twice a second and at the end.
	Progress func(Stats)
	// Metrics, if set, counts what the run does.
	Metrics *Metrics
	// Clock returns the current time; nil means time.Now.
	Clock  func() time.Time
	Logger *slog.Logger
}

// DefaultConfig returns the reference pipeline's settings: the sales topic,
// event time now, one sale every 750 ms.
func DefaultConfig() Config {
	return Config{Topic: schema.SalesTopic, EventTime: Now, Speedup: 1, Delay: 750 * time.Millisecond}
}

// Stats counts what a run did.
type Stats struct {
	// Read counts rows read, good and bad.
	Read int64
	// Sent counts sales acknowledged by the brokers.
	Sent int64
	// Bad counts rows that did not parse.
	Bad int64
	// Skipped counts rows a resumed run did not send again.
	Skipped int64
	// BlankCountry counts sales sent without a country: the enricher
	// counts them under the region Unassigned.
	BlankCountry int64
	// RejectTopic names the topic that keeps the bad rows, and
	// RejectHeld how many rows it holds, from every run, once the run
	// has ended (-1 if it could not be read).
	RejectTopic string
	RejectHeld  int64
	// Errors holds the first bad rows' errors, at most MaxReported.
	Errors []error
	// Elapsed is the time since the run started.
	Elapsed time.Duration
}

// MaxReported bounds Stats.Errors.
const MaxReported = 20

// Producer publishes sales to Kafka.
type Producer struct {
	cl       *kgo.Client
	keyEnc   Encoder
	valEnc   Encoder
	cfg      Config
	now      func() time.Time
	log      *slog.Logger
	firstErr atomic.Pointer[error] // read for every row: no lock
	sent     atomic.Int64
	bad      atomic.Int64
	blank    atomic.Int64
}

// New returns a Producer that sends through cl, encoding keys with keyEnc
// and values with valEnc.
func New(cl *kgo.Client, keyEnc, valEnc Encoder, cfg Config) (*Producer, error) {
	if cfg.Topic == "" {
		cfg.Topic = schema.SalesTopic
	}
	if cfg.RejectTopic == "" {
		cfg.RejectTopic = schema.SalesCSV + ".dlq"
	}
	if cfg.Speedup <= 0 {
		cfg.Speedup = 1
	}
	if cfg.Delay < 0 || cfg.Rate < 0 {
		return nil, errors.New("delay and rate must not be negative")
	}
	p := &Producer{cl: cl, keyEnc: keyEnc, valEnc: valEnc, cfg: cfg, now: cfg.Clock, log: cfg.Logger}
	if p.now == nil {
		p.now = time.Now
	}
	if p.log == nil {
		p.log = slog.New(slog.DiscardHandler)
	}
	return p, nil
}

// Validate reads all of src without sending anything and returns what it
// found: the Strict mode's check that a file is clean before it is sent.
func Validate(src Source) (Stats, error) {
	var st Stats
	for {
		_, err := src.Next()
		if err == io.EOF {
			return st, nil
		}
		st.Read++
		var rowErr *sales.RowError
		if !errors.As(err, &rowErr) {
			if err != nil {
				return st, err
			}
			continue
		}
		st.Bad++
		if len(st.Errors) < MaxReported {
			st.Errors = append(st.Errors, err)
		}
	}
}

// Run sends every sale of src and waits until all are acknowledged. It
// returns what it did; an error means the run stopped early (the context
// ended, or a record could not be produced), and Stats still tells what was
// sent.
func (p *Producer) Run(ctx context.Context, src Source) (Stats, error) {
	start := p.now()
	st := Stats{}
	var (
		first      time.Time
		progressAt = start
		pace       = pacer{cfg: p.cfg, start: start}
		tp         = Partitioner().ForTopic(p.cfg.Topic)
		rm         = newRecordMaker(p.keyEnc, p.valEnc, p.cfg.Topic, p.cfg.SourceName)
		lines, _   = src.(interface{ Line() int })
		ack        = p.ack // a method value made once: made per row, each would be an allocation
	)
	paced := pace.paced()
	report := func(final bool) {
		if p.cfg.Progress == nil {
			return
		}
		// Unpaced, the clock is read once per 256 rows: reading it per
		// row cost a seventh of the producer's time. A paced run reads it
		// for every sale anyway, and may send far fewer than 256 a second.
		if !final && ((!paced && st.Read%256 != 0) || p.now().Sub(progressAt) < 500*time.Millisecond) {
			return
		}
		progressAt = p.now()
		st.Sent = p.sent.Load()
		st.Elapsed = p.now().Sub(start)
		p.cfg.Progress(st)
	}
	for p.cfg.Limit == 0 || st.Read-st.Bad-st.Skipped < p.cfg.Limit {
		if err := p.err(); err != nil {
			return p.finish(ctx, st, start, report, err)
		}
		s, err := src.Next()
		if err == io.EOF {
			break
		}
		st.Read++
		p.cfg.Metrics.onRead()
		if rowErr, ok := asRowError(err); ok {
			st.Bad++
			p.bad.Add(1)
			p.cfg.Metrics.onBad(rowErr)
			if len(st.Errors) < MaxReported {
				st.Errors = append(st.Errors, err)
			}
			p.log.Warn("bad CSV row", "source", p.cfg.SourceName, "line", rowErr.Line, "err", rowErr.Err)
			if p.cfg.Resume == nil || rowErr.Line > p.cfg.Resume.Rejected {
				p.reject(ctx, rowErr)
			}
			continue
		}
		if err != nil {
			return p.finish(ctx, st, start, report, fmt.Errorf("read %s: %w", p.cfg.SourceName, err))
		}
		line := 0
		if lines != nil {
			line = lines.Line()
		}
		key, err := rm.key(s.CustomerID)
		if err != nil {
			return p.finish(ctx, st, start, report, fmt.Errorf("encode key of payment %d: %w", s.PaymentID, err))
		}
		if line > 0 && p.cfg.Resume.skip(p.cfg.Topic, tp, line, key) {
			st.Skipped++
			continue
		}
		if s.Country == "" {
			st.BlankCountry++
			p.blank.Add(1)
		}
		if first.IsZero() {
			first = s.PaymentDate
		}
		off := s.PaymentDate.Sub(first)
		if paced {
			if err := sleepUntil(ctx, p.now, pace.next(off)); err != nil {
				return p.finish(ctx, st, start, report, err)
			}
		}
		switch p.cfg.EventTime {
		case Now:
			s.PaymentDate = p.now().UTC()
		case Shifted:
			s.PaymentDate = start.Add(off).UTC()
		}
		rec, err := rm.record(key, &s, line)
		if err != nil {
			return p.finish(ctx, st, start, report, err)
		}
		p.cl.Produce(ctx, rec, ack)
		p.cfg.Metrics.onSent()
		report(false)
	}
	return p.finish(ctx, st, start, report, nil)
}

// asRowError returns err as a bad row, if it is one. Only an error is
// looked into: errors.As's target would otherwise cost every row an
// allocation.
func asRowError(err error) (*sales.RowError, bool) {
	if err == nil {
		return nil, false
	}
	var rowErr *sales.RowError
	ok := errors.As(err, &rowErr)
	return rowErr, ok
}

func (p *Producer) finish(ctx context.Context, st Stats, start time.Time, report func(bool), runErr error) (Stats, error) {
	if err := p.cl.Flush(ctx); err != nil && runErr == nil {
		runErr = fmt.Errorf("flush: %w", err)
	}
	if runErr == nil {
		runErr = p.err()
	}
	report(true)
	st.Sent = p.sent.Load()
	st.Elapsed = p.now().Sub(start)
	return st, runErr
}

func (p *Producer) ack(r *kgo.Record, err error) {
	if err != nil {
		err = fmt.Errorf("produce to %s: %w", r.Topic, err)
		p.firstErr.CompareAndSwap(nil, &err)
		return
	}
	if r.Topic == p.cfg.Topic {
		p.sent.Add(1)
		p.cfg.Metrics.onAck(r.Timestamp)
	}
}

func (p *Producer) err() error {
	if err := p.firstErr.Load(); err != nil {
		return *err
	}
	return nil
}

// RejectTopic names the topic that keeps the bad rows.
func (p *Producer) RejectTopic() string { return p.cfg.RejectTopic }

// Sent returns the number of sales acknowledged so far; safe to call while
// Run runs.
func (p *Producer) Sent() int64 { return p.sent.Load() }

// BlankCountry returns the number of sales without a country so far; safe
// to call while Run runs.
func (p *Producer) BlankCountry() int64 { return p.blank.Load() }

// Bad returns the number of bad rows met so far; safe to call while Run
// runs.
func (p *Producer) Bad() int64 { return p.bad.Load() }

// reject keeps a bad row on the reject topic as it was read (or, if it
// could not be split into fields, as the error), with why and where in
// headers.
func (p *Producer) reject(ctx context.Context, e *sales.RowError) {
	text := e.Text
	if text == "" {
		text = e.Error()
	}
	p.cl.Produce(ctx, &kgo.Record{
		Topic: p.cfg.RejectTopic,
		Value: []byte(text),
		Headers: []kgo.RecordHeader{
			{Key: schema.HeaderError, Value: []byte(e.Err.Error())},
			{Key: HeaderSource, Value: []byte(p.cfg.SourceName)},
			{Key: HeaderLine, Value: []byte(strconv.Itoa(e.Line))},
			{Key: schema.HeaderField, Value: []byte(e.Field)},
		},
	}, p.ack)
}

// pacer computes when each sale is due.
type pacer struct {
	cfg   Config
	start time.Time
	n     int64
}

// paced reports whether sales wait for their time; if not, they go out
// as fast as they are read, and the clock is not read for them.
func (p *pacer) paced() bool {
	return p.cfg.EventTime == Shifted || p.cfg.Rate > 0 || p.cfg.Delay > 0
}

// next returns when the sale whose original offset from the first sale is
// off is due.
func (p *pacer) next(off time.Duration) time.Time {
	defer func() { p.n++ }()
	switch {
	case p.cfg.EventTime == Shifted:
		return p.start.Add(time.Duration(float64(off) / p.cfg.Speedup))
	case p.cfg.Rate > 0:
		return p.start.Add(time.Duration(float64(p.n) / p.cfg.Rate * float64(time.Second)))
	default:
		return p.start.Add(time.Duration(p.n) * p.cfg.Delay)
	}
}

func sleepUntil(ctx context.Context, now func() time.Time, t time.Time) error {
	d := t.Sub(now())
	if d <= 0 {
		return ctx.Err()
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-timer.C:
		return nil
	}
}
