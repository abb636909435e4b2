package enricher

import (
	"github.com/salesstream/salesstream/internal/platform/ops"
)

// Metrics registers e's counts in s, as of the last committed micro-batch,
// and makes s ready once e consumes.
func Metrics(s *ops.Server, e *Enricher) {
	st := func(f func(Stats) int64) func() float64 {
		return func() float64 { return float64(f(e.Stats())) }
	}
	s.CounterFunc("salesstream_enricher_records_total", "Sales records consumed and committed.", st(func(s Stats) int64 { return s.Consumed }))
	s.CounterFunc("salesstream_enricher_repartitioned_total", "Sales forwarded to the repartition topic (stage 1).", st(func(s Stats) int64 { return s.Repartitioned }))
	s.CounterFunc("salesstream_enricher_windowed_total", "Repartitioned sales read by the windows (stage 2).", st(func(s Stats) int64 { return s.Windowed }))
	s.CounterFunc("salesstream_enricher_aggregated_total", "Sales folded into at least one window.", st(func(s Stats) int64 { return s.Aggregated }))
	s.CounterFunc("salesstream_enricher_late_total", "Sales refused by a window the watermark had closed.", st(func(s Stats) int64 { return s.Late }))
	s.CounterFunc("salesstream_enricher_dead_letters_total", "Records sent to the dead-letter topic.", st(func(s Stats) int64 { return s.Dead }))
	s.CounterFunc("salesstream_enricher_summary_rows_total", "Summary rows written.", st(func(s Stats) int64 { return s.Rows }))
	s.CounterFunc("salesstream_enricher_batches_total", "Micro-batches committed.", st(func(s Stats) int64 { return s.Batches }))
	s.CounterFunc("salesstream_enricher_aborts_total", "Micro-batches aborted and replayed.", st(func(s Stats) int64 { return s.Aborts }))
	s.CounterFunc("salesstream_enricher_unassigned_total", "Sales that joined no region (blank country, or one the regions file lacks), counted under Unassigned.",
		func() float64 { return float64(e.Unassigned(0).Total()) })
	s.GaugeFunc("salesstream_enricher_open_windows", "(region, window) rows held in state.", st(func(s Stats) int64 { return s.Windows }))
	s.GaugeFunc("salesstream_enricher_partitions", "Repartition partitions this instance owns, each with its window table.", st(func(s Stats) int64 { return s.Partitions }))
	s.GaugeFunc("salesstream_enricher_watermark_seconds", "The query's watermark (one for all partitions) as this instance knows it, in Unix seconds.", func() float64 {
		w := e.Stats().Watermark
		if w == minInt64 {
			return 0
		}
		return float64(w) / 1000
	})
	s.Registry().MustRegister(eventTimeCollector{e})
	s.SetReady(e.Ready)
}
