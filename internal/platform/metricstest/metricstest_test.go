package metricstest

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

func TestValue(t *testing.T) {
	reg := prometheus.NewRegistry()
	c := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "rows_total", Help: "h"}, []string{"stage", "topic"})
	g := prometheus.NewGauge(prometheus.GaugeOpts{Name: "lag", Help: "h"})
	h := prometheus.NewHistogram(prometheus.HistogramOpts{Name: "latency_seconds", Help: "h"})
	reg.MustRegister(c, g, h)
	c.WithLabelValues("read", "sales").Add(3)
	c.WithLabelValues("write", "sales").Add(5)
	g.Set(-2.5)
	h.Observe(1)
	h.Observe(2)
	fams := Gather(t, reg)
	tests := []struct {
		name   string
		labels []string
		want   float64
	}{
		{"rows_total", []string{"stage", "write"}, 5},
		{"rows_total", []string{"topic", "sales", "stage", "read"}, 3},
		{"rows_total", []string{"stage", "window"}, -1},
		{"rows_total", []string{"reason", "write"}, -1},
		{"lag", nil, -2.5},
		{"latency_seconds", nil, 2},
		{"missing_total", nil, -1},
	}
	for _, tt := range tests {
		if got := Value(fams, tt.name, tt.labels...); got != tt.want {
			t.Errorf("Value(%s%v) = %v, want %v", tt.name, tt.labels, got, tt.want)
		}
	}
}
