package enricher

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"
	"unsafe"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/salesstream/salesstream/internal/domain/schema"
	"github.com/salesstream/salesstream/internal/pipeline/enricher/progress"
	"github.com/salesstream/salesstream/pkg/serde"
	"github.com/salesstream/salesstream/pkg/window"
	"github.com/salesstream/salesstream/pkg/wire"
)

// facts are what a micro-batch's progress reports besides its counts:
// when it began, where its time went, its event times, why records were
// late or dead, and the offsets it read.
type facts struct {
	any            bool // a poll returned records
	began          time.Time
	commitBegan    time.Time
	fetch, process time.Duration
	minTs, maxTs   int64
	haveTs         bool
	dropped        int64 // (event, window) pairs refused by the watermark
	lateAll        int64 // late events that counted in no window
	dead           map[string]int64
	src            map[srcKey]*progress.Source
}

type srcKey struct {
	topic     string
	partition int32
}

// polled notes a poll that began at t0 and returned fs. A batch begins
// with the poll that returns its first records: empty polls before it
// are idle time, not the batch's.
func (f *facts) polled(t0 time.Time, fs kgo.Fetches) {
	if !f.any {
		if fs.NumRecords() == 0 {
			return
		}
		f.any, f.began = true, t0
	}
	f.fetch += time.Since(t0)
	fs.EachPartition(func(p kgo.FetchTopicPartition) {
		if len(p.Records) == 0 {
			return
		}
		if f.src == nil {
			f.src = map[srcKey]*progress.Source{}
		}
		k := srcKey{p.Topic, p.Partition}
		s := f.src[k]
		if s == nil {
			s = &progress.Source{Topic: p.Topic, Partition: p.Partition, StartOffset: p.Records[0].Offset}
			f.src[k] = s
		}
		s.EndOffset = p.Records[len(p.Records)-1].Offset + 1
		s.NumInputRows += int64(len(p.Records))
		s.LatestOffset = p.LastStableOffset
		if s.LatestOffset < 0 {
			s.LatestOffset = p.HighWatermark
		}
	})
}

// processed notes the end of processing records whose processing began
// at t0.
func (f *facts) processed(t0 time.Time) { f.process += time.Since(t0) }

// eventTime notes an event time windowed in the batch.
func (f *facts) eventTime(ts int64) {
	if !f.haveTs {
		f.minTs, f.maxTs, f.haveTs = ts, ts, true
		return
	}
	f.minTs, f.maxTs = min(f.minTs, ts), max(f.maxTs, ts)
}

// lateEvent notes a late event that counted in kept windows and was
// refused by dropped ones.
func (f *facts) lateEvent(kept, dropped int) {
	f.dropped += int64(dropped)
	if kept == 0 {
		f.lateAll++
	}
}

// deadLetter notes a dead letter for reason.
func (f *facts) deadLetter(reason error) {
	if f.dead == nil {
		f.dead = map[string]int64{}
	}
	f.dead[DeadReason(reason)]++
}

// The reasons of dead letters, as metric labels.
const (
	ReasonNotFramed     = "not_framed"
	ReasonUnknownSchema = "unknown_schema"
	ReasonBadSchema     = "bad_schema"
	ReasonBadPayload    = "bad_payload"
	ReasonMissingField  = "missing_field"
	ReasonBadAmount     = "bad_amount"
	ReasonBadEventTime  = "bad_event_time"
	ReasonOther         = "other"
)

// DeadReason names why a record became a dead letter.
func DeadReason(err error) string {
	switch {
	case errors.Is(err, serde.ErrBadFraming), errors.Is(err, wire.ErrNoMagic), errors.Is(err, wire.ErrShort),
		errors.Is(err, wire.ErrBadID), errors.Is(err, wire.ErrBadHeader):
		return ReasonNotFramed
	case errors.Is(err, serde.ErrUnknownSchema):
		return ReasonUnknownSchema
	case errors.Is(err, serde.ErrBadSchema):
		return ReasonBadSchema
	case errors.Is(err, serde.ErrBadPayload):
		return ReasonBadPayload
	case errors.Is(err, schema.ErrMissingField):
		return ReasonMissingField
	case errors.Is(err, schema.ErrBadDecimal):
		return ReasonBadAmount
	case errors.Is(err, schema.ErrBadEventTime):
		return ReasonBadEventTime
	}
	return ReasonOther
}

// rowBytes estimates the memory of one state row: the table's row and
// its copy kept for rollback.
const rowBytes = 2 * (int64(unsafe.Sizeof(window.Row[string, window.Sum]{})) + 16)

// report records the progress of the micro-batch just committed, which
// wrote rows summary rows; touched are the tables it changed; extra are
// attributes for its log line.
func (s *session) report(rows int64, touched []*task, extra ...any) {
	e, b := s.e, &s.b
	now := time.Now()
	f := &b.f
	commitBegan := f.commitBegan
	if f.began.IsZero() {
		f.began = commitBegan
	}
	p := progress.Progress{
		BatchID:      e.stats.batches.Load(),
		Timestamp:    f.began.UTC(),
		NumInputRows: b.records,
		DurationMs: progress.Durations{
			Fetch: f.fetch.Milliseconds(), Process: f.process.Milliseconds(),
			Commit: now.Sub(commitBegan).Milliseconds(), Total: now.Sub(f.began).Milliseconds(),
		},
		Sink: progress.Sink{Topic: e.cfg.SummaryTopic, NumOutputRows: rows, Forwarded: b.forwards,
			DeadLetters: b.dead, DeadByReason: f.dead, WindowedInput: b.windowed},
	}
	if e.cfg.LateTopic != "" {
		p.Sink.LateRecords = b.late
	}
	span := now.Sub(f.began)
	if !e.prevTrigger.IsZero() && f.began.After(e.prevTrigger) {
		span = now.Sub(e.prevTrigger)
	}
	e.prevTrigger = f.began
	if span > 0 {
		p.InputRowsPerSecond = float64(b.records) / span.Seconds()
	}
	if work := f.process + now.Sub(commitBegan); work > 0 {
		p.ProcessedRowsPerSecond = float64(b.records) / work.Seconds()
	}
	wm, maxEvent := int64(minInt64), int64(minInt64)
	for _, tk := range s.tasks {
		if w := tk.t.Watermark(); w != minInt64 && (wm == minInt64 || w < wm) {
			wm = w
		}
		maxEvent = max(maxEvent, tk.t.MaxEventTime())
		p.State.NumRowsTotal += int64(tk.t.Len())
	}
	for _, tk := range touched {
		p.State.NumRowsUpdated += tk.updated
		p.State.NumRowsRemoved += tk.removed
	}
	p.State.MemoryUsedBytes = p.State.NumRowsTotal * rowBytes
	p.State.NumLateEvents = b.late
	p.State.NumRowsDroppedByWatermark = f.dropped
	if b.late > 0 {
		p.State.LateByReason = map[string]int64{}
		if f.lateAll > 0 {
			p.State.LateByReason[LateAllWindowsClosed] = f.lateAll
		}
		if b.late > f.lateAll {
			p.State.LateByReason[LateSomeWindowsClosed] = b.late - f.lateAll
		}
	}
	p.EventTime.Watermark = msTime(wm)
	p.EventTime.Max = msTime(maxEvent)
	if f.haveTs {
		p.EventTime.BatchMin, p.EventTime.BatchMax = msTime(f.minTs), msTime(f.maxTs)
	}
	for _, src := range f.src {
		src.Lag = max(0, src.LatestOffset-src.EndOffset)
		p.Sources = append(p.Sources, *src)
	}
	sortSources(p.Sources)
	e.progress.Record(p, extra...)
}

// The reasons of late events, as metric labels.
const (
	// LateAllWindowsClosed: every window of the event had closed; it
	// counts nowhere.
	LateAllWindowsClosed = "all_windows_closed"
	// LateSomeWindowsClosed: some windows of the event had closed; it
	// counts in the others.
	LateSomeWindowsClosed = "some_windows_closed"
)

func msTime(ms int64) time.Time {
	if ms == minInt64 {
		return time.Time{}
	}
	return time.UnixMilli(ms).UTC()
}

func sortSources(ss []progress.Source) {
	for i := 1; i < len(ss); i++ {
		for j := i; j > 0 && (ss[j].Topic < ss[j-1].Topic || ss[j].Topic == ss[j-1].Topic && ss[j].Partition < ss[j-1].Partition); j-- {
			ss[j], ss[j-1] = ss[j-1], ss[j]
		}
	}
}

// Progress returns the tracker of e's batches' progress.
func (e *Enricher) Progress() *progress.Tracker { return e.progress }

// observe logs e's settings in one line, keeps them for the progress, and
// starts the idle line until ctx ends. It returns connOpts with the hooks
// that tell the tracker whether the brokers answer.
func (e *Enricher) observe(ctx context.Context, connOpts []kgo.Opt) []kgo.Opt {
	settings := e.settings()
	e.progress.SetSettings(settings...)
	e.log.Info("enricher starting", settings...)
	go e.progress.Idle(ctx)
	return append(slices.Clone(connOpts), kgo.WithHooks(e.progress.Hooks()))
}

// settings are e's settings as slog key-value pairs.
func (e *Enricher) settings() []any {
	c := &e.cfg
	trigger := c.Trigger.String()
	switch {
	case c.Once:
		trigger = "once (available-now)"
	case c.Trigger == 0:
		trigger = "continuous"
	}
	timeSource := "payment_date"
	if c.Time == RecordTimestamp {
		timeSource = "record"
	}
	late := c.LateTopic
	if late == "" {
		late = "none (counted only)"
	}
	return []any{
		"window", c.Window.Size.String(), "slide", c.Window.Slide.String(), "window_offset", c.Window.Start.String(),
		"watermark", c.Window.Delay.String(), "watermark_policy", fmt.Sprint(c.WatermarkPolicy), "idle_timeout", c.IdleTimeout.String(),
		"trigger", trigger, "output_mode", c.Window.Mode.String(), "time", timeSource,
		"sales_topic", c.SalesTopic, "summary_topic", c.SummaryTopic, "dlq_topic", c.DeadLetterTopic,
		"late_topic", late, "state_topic", c.StateTopic, "repartition_topic", c.RepartitionTopic,
		"group", c.Group, "transactional_id", c.TransactionalID,
	}
}
