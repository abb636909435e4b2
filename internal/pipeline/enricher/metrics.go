package enricher

import (
	"strconv"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/salesstream/salesstream/internal/pipeline/enricher/progress"
	"github.com/salesstream/salesstream/internal/platform/ops"
)

// Metrics registers e's metrics in s, as of the last committed
// micro-batch, serves e's progress at /progress, and makes s ready once e
// consumes. Call it before e runs.
func Metrics(s *ops.Server, e *Enricher) {
	st := func(f func(Stats) int64) func() float64 {
		return func() float64 { return float64(f(e.Stats())) }
	}
	s.CounterFunc("salesstream_enricher_records_total", "Sales records consumed and committed.", st(func(s Stats) int64 { return s.Consumed }))
	s.CounterFunc("salesstream_enricher_repartitioned_total", "Sales forwarded to the repartition topic (stage 1).", st(func(s Stats) int64 { return s.Repartitioned }))
	s.CounterFunc("salesstream_enricher_windowed_total", "Repartitioned sales read by the windows (stage 2).", st(func(s Stats) int64 { return s.Windowed }))
	s.CounterFunc("salesstream_enricher_aggregated_total", "Sales folded into at least one window.", st(func(s Stats) int64 { return s.Aggregated }))
	s.CounterFunc("salesstream_enricher_summary_rows_total", "Summary rows written.", st(func(s Stats) int64 { return s.Rows }))
	s.CounterFunc("salesstream_enricher_batches_total", "Micro-batches committed.", st(func(s Stats) int64 { return s.Batches }))
	s.CounterFunc("salesstream_enricher_transaction_aborts_total", "Micro-batch transactions aborted and replayed.", st(func(s Stats) int64 { return s.Aborts }))
	s.CounterFunc("salesstream_enricher_restarts_total", "Stream sessions restarted in process after a failure (broker lost, transaction fenced).", st(func(s Stats) int64 { return s.Restarts }))
	s.CounterFunc("salesstream_enricher_unassigned_total", "Sales that joined no region (blank country, or one the regions file lacks), counted under Unassigned.",
		func() float64 { return float64(e.Unassigned(0).Total()) })
	s.GaugeFunc("salesstream_enricher_state_rows", "(region, window) rows held in the window state.", st(func(s Stats) int64 { return s.Windows }))
	s.GaugeFunc("salesstream_enricher_partitions", "Repartition partitions this instance owns, each with its window table.", st(func(s Stats) int64 { return s.Partitions }))
	s.GaugeFunc("salesstream_enricher_watermark_seconds", "The query's watermark (one for all partitions) as this instance knows it, in Unix seconds.", func() float64 {
		w := e.Stats().Watermark
		if w == minInt64 {
			return 0
		}
		return float64(w) / 1000
	})
	s.Register(newBatchMetrics(e.progress).collectors()...)
	s.Handle("GET /progress", e.progress.Handler())
	s.Registry().MustRegister(eventTimeCollector{e})
	s.SetReady(e.Ready)
}

// batchMetrics are the metrics fed by each committed batch's progress.
type batchMetrics struct {
	duration   *prometheus.HistogramVec
	input      *prometheus.CounterVec
	processed  *prometheus.CounterVec
	late       *prometheus.CounterVec
	dead       *prometheus.CounterVec
	maxEvent   prometheus.Gauge
	lastCommit prometheus.Gauge
	lag        *lagCollector
}

func newBatchMetrics(t *progress.Tracker) *batchMetrics {
	m := &batchMetrics{
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "salesstream_enricher_batch_duration_seconds",
			Help:    "Duration of committed micro-batches by phase: fetch (polling, waiting for the trigger included), process, commit, total.",
			Buckets: prometheus.ExponentialBuckets(0.005, 2.5, 12),
		}, []string{"phase"}),
		input: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "salesstream_enricher_input_rows_total",
			Help: "Records read and committed, by source topic (transaction markers included); rate() is the input rate.",
		}, []string{"topic"}),
		processed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "salesstream_enricher_processed_rows_total",
			Help: "Sales processed and committed, by stage: forward (decoded, joined, forwarded) and window (windowed); rate() is the processing rate.",
		}, []string{"stage"}),
		late: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "salesstream_enricher_late_events_total",
			Help: "Sales refused by a window the watermark had closed, by reason: all_windows_closed (counted nowhere) or some_windows_closed (counted in its open windows).",
		}, []string{"reason"}),
		dead: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "salesstream_enricher_dead_letters_total",
			Help: "Records sent to the dead-letter topic, by reason.",
		}, []string{"reason"}),
		maxEvent: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "salesstream_enricher_max_event_time_seconds",
			Help: "The largest event time the window tables have seen, in Unix seconds.",
		}),
		lastCommit: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "salesstream_enricher_last_commit_timestamp_seconds",
			Help: "When the last micro-batch committed, in Unix seconds.",
		}),
		lag: &lagCollector{t: t, desc: prometheus.NewDesc("salesstream_enricher_consumer_lag_records",
			"Records between the last committed offset and the partition's last stable offset, as the last fetch of the partition saw it.",
			[]string{"topic", "partition"}, nil)},
	}
	for _, r := range []string{LateAllWindowsClosed, LateSomeWindowsClosed} {
		m.late.WithLabelValues(r)
	}
	for _, r := range []string{ReasonNotFramed, ReasonUnknownSchema, ReasonBadSchema, ReasonBadPayload, ReasonMissingField, ReasonBadAmount, ReasonBadEventTime, ReasonOther} {
		m.dead.WithLabelValues(r)
	}
	for _, s := range []string{"forward", "window"} {
		m.processed.WithLabelValues(s)
	}
	t.OnBatch(m.observe)
	return m
}

func (m *batchMetrics) collectors() []prometheus.Collector {
	return []prometheus.Collector{m.duration, m.input, m.processed, m.late, m.dead, m.maxEvent, m.lastCommit, m.lag}
}

// observe adds one batch's progress.
func (m *batchMetrics) observe(p *progress.Progress) {
	d := p.DurationMs
	for phase, ms := range map[string]int64{"fetch": d.Fetch, "process": d.Process, "commit": d.Commit, "total": d.Total} {
		m.duration.WithLabelValues(phase).Observe(float64(ms) / 1000)
	}
	for _, s := range p.Sources {
		m.input.WithLabelValues(s.Topic).Add(float64(s.NumInputRows))
	}
	m.processed.WithLabelValues("forward").Add(float64(p.Sink.Forwarded))
	m.processed.WithLabelValues("window").Add(float64(p.Sink.WindowedInput))
	for r, n := range p.State.LateByReason {
		m.late.WithLabelValues(r).Add(float64(n))
	}
	for r, n := range p.Sink.DeadByReason {
		m.dead.WithLabelValues(r).Add(float64(n))
	}
	if !p.EventTime.Max.IsZero() {
		m.maxEvent.Set(float64(p.EventTime.Max.UnixMilli()) / 1000)
	}
	m.lastCommit.SetToCurrentTime()
}

// lagCollector reports the lag of every partition read, from the tracker.
type lagCollector struct {
	t    *progress.Tracker
	desc *prometheus.Desc
}

// Describe implements prometheus.Collector.
func (c *lagCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

// Collect implements prometheus.Collector.
func (c *lagCollector) Collect(ch chan<- prometheus.Metric) {
	for _, s := range c.t.Partitions() {
		ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, float64(s.Lag), s.Topic, strconv.Itoa(int(s.Partition)))
	}
}
