package producer

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/salesstream/salesstream/internal/domain/sales"
)

func TestMetricsOfARun(t *testing.T) {
	brokers := newCluster(t, salesTopic, rejectTopic)
	reg := prometheus.NewRegistry()
	m := NewMetrics(reg)
	p, err := New(newClient(t, brokers), testKeyEnc{}, testValEnc{}, Config{
		Topic: salesTopic, RejectTopic: rejectTopic, EventTime: Original, Metrics: m,
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := p.Run(ctx, csvReader(t, runRows)); err != nil {
		t.Fatal(err)
	}
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	value := func(name, reason string) float64 {
		for _, mf := range mfs {
			if mf.GetName() != name {
				continue
			}
			for _, m := range mf.Metric {
				if reason != "" && (len(m.Label) != 1 || m.Label[0].GetValue() != reason) {
					continue
				}
				return metricNumber(m)
			}
		}
		return -1
	}
	for _, c := range []struct {
		name, reason string
		want         float64
	}{
		{"salesstream_producer_sales_sent_total", "", 4},
		{"salesstream_producer_sales_acknowledged_total", "", 4},
		{"salesstream_producer_send_latency_seconds", "", 4},
		{"salesstream_producer_rows_read_total", "", 7},
		{"salesstream_producer_bad_rows_total", "bad_amount", 1},
		{"salesstream_producer_bad_rows_total", "bad_payment_id", 1},
		{"salesstream_producer_bad_rows_total", "bad_row", 1},
	} {
		if got := value(c.name, c.reason); got != c.want {
			t.Errorf("%s{%s} = %v, want %v", c.name, c.reason, got, c.want)
		}
	}
}

// metricNumber is a counter's or gauge's value, or a histogram's count.
func metricNumber(m *dto.Metric) float64 {
	switch {
	case m.Counter != nil:
		return m.Counter.GetValue()
	case m.Gauge != nil:
		return m.Gauge.GetValue()
	case m.Histogram != nil:
		return float64(m.Histogram.GetSampleCount())
	}
	return -1
}

func TestBadReason(t *testing.T) {
	for _, tt := range []struct {
		err  sales.RowError
		want string
	}{
		{sales.RowError{Field: "amount"}, "bad_amount"},
		{sales.RowError{Field: "payment_date"}, "bad_payment_date"},
		{sales.RowError{}, "bad_row"},
	} {
		if got := BadReason(&tt.err); got != tt.want {
			t.Errorf("BadReason(%+v) = %q, want %q", tt.err, got, tt.want)
		}
	}
}

func TestCountLines(t *testing.T) {
	for in, want := range map[string]int{"": 0, "h\n": 1, "h\na\nb\n": 3, "h\na\n\nb": 3} {
		if got, err := countLines(strings.NewReader(in)); err != nil || got != want {
			t.Errorf("countLines(%q) = %d, %v, want %d", in, got, err, want)
		}
	}
}
