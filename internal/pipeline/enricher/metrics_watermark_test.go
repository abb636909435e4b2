package enricher

import (
	"math"
	"testing"

	"github.com/salesstream/salesstream/internal/platform/ops"
)

// TestWatermarkMetrics checks the query's watermark gauge and the gauge of
// each sales partition's largest event time.
func TestWatermarkMetrics(t *testing.T) {
	e, err := New(DefaultConfig(), nil, nil, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	s := ops.New()
	Metrics(s, e)
	tasks := map[int32]*task{}
	for p, marks := range []map[int32]int64{{0: 120_000, 1: 60_000}, {0: 90_000, 2: math.MinInt64}} {
		tk, err := e.newTask(int32(p))
		if err != nil {
			t.Fatal(err)
		}
		for sp, ts := range marks {
			tk.marks.observe(marker{partition: sp, maxEvent: ts})
		}
		tk.marks.commit()
		tk.t.TriggerAt(120_000, nil)
		tasks[int32(p)] = tk
	}
	st := &session{e: e, tasks: tasks}
	st.gauges()
	mfs, err := s.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	values := map[string]float64{}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			name := mf.GetName()
			for _, l := range m.GetLabel() {
				name += "{" + l.GetName() + "=" + l.GetValue() + "}"
			}
			values[name] = m.GetGauge().GetValue()
		}
	}
	for name, want := range map[string]float64{
		"salesstream_enricher_watermark_seconds":                         120 - 600, // 2 minutes minus the 10-minute delay
		"salesstream_enricher_partition_event_time_seconds{partition=0}": 120,
		"salesstream_enricher_partition_event_time_seconds{partition=1}": 60,
	} {
		if got, ok := values[name]; !ok || got != want {
			t.Errorf("%s = %v (present: %v), want %v", name, got, ok, want)
		}
	}
	if _, ok := values["salesstream_enricher_partition_event_time_seconds{partition=2}"]; ok {
		t.Error("partition 2, with no event time yet, has a gauge")
	}
}
