package producer

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/salesstream/salesstream/internal/domain/sales"
	"github.com/salesstream/salesstream/internal/platform/kafkatest"
	"github.com/salesstream/salesstream/internal/platform/metricstest"
)

func TestMetricsOfARun(t *testing.T) {
	brokers := newCluster(t, salesTopic, rejectTopic)
	reg := prometheus.NewRegistry()
	m := NewMetrics(reg)
	p, err := New(kafkatest.Client(t, brokers), testKeyEnc{}, testValEnc{}, Config{
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
	fams := metricstest.Gather(t, reg)
	for _, c := range []struct {
		name   string
		labels []string
		want   float64
	}{
		{"salesstream_producer_sales_sent_total", nil, 4},
		{"salesstream_producer_sales_acknowledged_total", nil, 4},
		{"salesstream_producer_send_latency_seconds", nil, 4},
		{"salesstream_producer_rows_read_total", nil, 7},
		{"salesstream_producer_bad_rows_total", []string{"reason", "bad_amount"}, 1},
		{"salesstream_producer_bad_rows_total", []string{"reason", "bad_payment_id"}, 1},
		{"salesstream_producer_bad_rows_total", []string{"reason", "bad_row"}, 1},
	} {
		if got := metricstest.Value(fams, c.name, c.labels...); got != c.want {
			t.Errorf("%s%v = %v, want %v", c.name, c.labels, got, c.want)
		}
	}
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
