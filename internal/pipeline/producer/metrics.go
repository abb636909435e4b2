package producer

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/salesstream/salesstream/internal/domain/sales"
	"github.com/salesstream/salesstream/internal/platform/source"
)

// Metrics are the producer's Prometheus metrics. A nil *Metrics records
// nothing.
type Metrics struct {
	sent      prometheus.Counter
	acked     prometheus.Counter
	latency   prometheus.Histogram
	read      prometheus.Counter
	rowsTotal prometheus.Gauge
	bad       *prometheus.CounterVec
}

// NewMetrics returns the producer's metrics, registered in reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		sent: prometheus.NewCounter(prometheus.CounterOpts{Name: "salesstream_producer_sales_sent_total",
			Help: "Sales handed to the Kafka client to send."}),
		acked: prometheus.NewCounter(prometheus.CounterOpts{Name: "salesstream_producer_sales_acknowledged_total",
			Help: "Sales acknowledged by the brokers (acks=all)."}),
		latency: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "salesstream_producer_send_latency_seconds",
			Help:    "Time from handing a sale to the client to its acknowledgement.",
			Buckets: prometheus.ExponentialBuckets(0.001, 2.5, 12)}),
		read: prometheus.NewCounter(prometheus.CounterOpts{Name: "salesstream_producer_rows_read_total",
			Help: "Input rows read, good and bad."}),
		rowsTotal: prometheus.NewGauge(prometheus.GaugeOpts{Name: "salesstream_producer_rows",
			Help: "Rows of the input file, its header excluded (absent for synthetic input): rows_read_total / rows is the replay's progress."}),
		bad: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "salesstream_producer_bad_rows_total",
			Help: "Input rows that did not parse, kept on the reject topic, by reason: the column at fault (bad_<column>) or bad_row when the row does not split into the columns."},
			[]string{"reason"}),
	}
	reg.MustRegister(m.sent, m.acked, m.latency, m.read, m.bad)
	return m
}

func (m *Metrics) onSent() {
	if m != nil {
		m.sent.Inc()
	}
}

func (m *Metrics) onAck(r time.Time) {
	if m != nil {
		m.acked.Inc()
		m.latency.Observe(time.Since(r).Seconds())
	}
}

func (m *Metrics) onRead() {
	if m != nil {
		m.read.Inc()
	}
}

func (m *Metrics) onBad(e *sales.RowError) {
	if m != nil {
		m.bad.WithLabelValues(BadReason(e)).Inc()
	}
}

// BadReason names why a row is bad: bad_<column> for the column at fault,
// bad_row when the row does not split into the columns.
func BadReason(e *sales.RowError) string {
	if e.Field == "" {
		return "bad_row"
	}
	return "bad_" + e.Field
}

// CountRows sets the rows gauge to the rows of the input at path (its
// lines but the header), read once through opener, and registers the
// gauge in reg. A nil *Metrics does nothing.
func (m *Metrics) CountRows(ctx context.Context, opener *source.Opener, path string, reg prometheus.Registerer) error {
	if m == nil {
		return nil
	}
	rc, err := opener.Open(ctx, path)
	if err != nil {
		return err
	}
	defer rc.Close()
	n, err := countLines(rc)
	if err != nil {
		return fmt.Errorf("count the rows of %s: %w", path, err)
	}
	m.rowsTotal.Set(float64(max(0, n-1)))
	if err := reg.Register(m.rowsTotal); err != nil && !errors.As(err, new(prometheus.AlreadyRegisteredError)) {
		return fmt.Errorf("register the rows gauge: %w", err)
	}
	return nil
}

// countLines counts the non-empty lines of r.
func countLines(r io.Reader) (int, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	n := 0
	for sc.Scan() {
		if len(sc.Bytes()) > 0 {
			n++
		}
	}
	return n, sc.Err()
}
