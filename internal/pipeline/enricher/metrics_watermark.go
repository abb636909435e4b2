package enricher

import (
	"strconv"

	"github.com/prometheus/client_golang/prometheus"
)

var eventTimeDesc = prometheus.NewDesc("salesstream_enricher_partition_event_time_seconds",
	"Largest event time heard of from each sales partition, in Unix seconds: under --watermark-policy min the least holds the watermark back.",
	[]string{"partition"}, nil)

// eventTimeCollector exports Stats.EventTimes, one gauge per sales
// partition.
type eventTimeCollector struct{ e *Enricher }

func (c eventTimeCollector) Describe(ch chan<- *prometheus.Desc) { ch <- eventTimeDesc }

func (c eventTimeCollector) Collect(ch chan<- prometheus.Metric) {
	for p, ts := range c.e.Stats().EventTimes {
		if ts == minInt64 {
			continue
		}
		ch <- prometheus.MustNewConstMetric(eventTimeDesc, prometheus.GaugeValue, float64(ts)/1000, itoa32(p))
	}
}

func itoa32(p int32) string { return strconv.Itoa(int(p)) }
