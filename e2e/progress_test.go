package e2e

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/salesstream/salesstream/internal/domain/schema"
	"github.com/salesstream/salesstream/internal/pipeline/enricher/progress"
	"github.com/salesstream/salesstream/internal/platform/metricstest"
)

// progressBody is what /progress serves.
type progressBody struct {
	Broker         progress.Broker     `json:"broker"`
	Settings       map[string]any      `json:"settings"`
	RecentProgress []progress.Progress `json:"recentProgress"`
	Partitions     []progress.Source   `json:"partitions"`
}

// httpGet returns the status and body of url, or 0 and the error.
func httpGet(url string) (int, string) {
	c := http.Client{Timeout: 5 * time.Second}
	resp, err := c.Get(url)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func getProgress(t *testing.T, base string) progressBody {
	t.Helper()
	code, body := httpGet(base + "/progress")
	if code != 200 {
		t.Fatalf("/progress answered %d: %s", code, body)
	}
	var p progressBody
	if err := json.Unmarshal([]byte(body), &p); err != nil {
		t.Fatalf("/progress is not JSON: %v\n%s", err, body)
	}
	return p
}

// getMetrics parses /metrics with the Prometheus text parser.
func getMetrics(t *testing.T, base string) map[string]*dto.MetricFamily {
	t.Helper()
	code, body := httpGet(base + "/metrics")
	if code != 200 {
		t.Fatalf("/metrics answered %d: %s", code, body)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := parser.TextToMetricFamilies(strings.NewReader(body))
	if err != nil {
		t.Fatalf("/metrics does not parse as Prometheus text: %v", err)
	}
	return fams
}

// TestProgressAndMetrics runs a controlled stream: 600 sales, then 40
// sales a day older than the watermark, and checks that /progress and
// /metrics account for exactly what was produced, read and written.
func TestProgressAndMetrics(t *testing.T) {
	s := schemaStack(t)
	t0 := time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC)
	onTime := seededSalesFile(t, 600, time.Second, 11, t0)
	late := seededSalesFile(t, 40, time.Second, 11, t0.Add(-24*time.Hour)) // same seed: the same regions, so the same partitions
	addr := "127.0.0.1:" + strconv.Itoa(freePort(t))
	base := "http://" + addr
	enr, out := startBin(t, s, "enricher", "--trigger", "300ms", "--regions", "../data/regions.csv", "--http-addr", addr)
	waitFor(t, 30*time.Second, "/progress to answer", func() bool { code, _ := httpGet(base + "/progress"); return code == 200 })
	if p := getProgress(t, base); p.Settings["window"] != "10m0s" || p.Settings["trigger"] != "300ms" || !p.Broker.Up {
		t.Errorf("/progress before any batch: settings %v, broker %+v", p.Settings, p.Broker)
	}
	mustRun(t, s, "producer", "--input", onTime, "--event-time", "original", "--delay", "0")
	windowed := func(n float64) func() bool {
		return func() bool {
			return metricstest.Value(getMetrics(t, base), "salesstream_enricher_processed_rows_total", "stage", "window") == n
		}
	}
	waitFor(t, 60*time.Second, "600 sales windowed", windowed(600))
	// The watermark moves at the trigger after the sales are windowed.
	waitFor(t, 30*time.Second, "a watermark", func() bool {
		return metricstest.Value(getMetrics(t, base), "salesstream_enricher_watermark_seconds") > float64(t0.Unix())
	})
	mustRun(t, s, "producer", "--input", late, "--event-time", "original", "--delay", "0")
	waitFor(t, 60*time.Second, "640 sales windowed", windowed(640))

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cl := newClient(t, s)
	defer cl.Close()
	salesEnds := endOffsets(ctx, t, cl, schema.SalesTopic, kgo.ReadCommitted())
	waitFor(t, 30*time.Second, "lag 0 on every partition read", func() bool {
		fams := getMetrics(t, base)
		f := fams["salesstream_enricher_consumer_lag_records"]
		if f == nil || len(f.Metric) == 0 {
			return false
		}
		for _, m := range f.Metric {
			if m.Gauge.GetValue() != 0 {
				return false
			}
		}
		return true
	})

	p := getProgress(t, base)
	if len(p.RecentProgress) == 0 || p.RecentProgress[0].BatchID != 1 {
		t.Fatalf("/progress does not hold every batch from the first: %d batches", len(p.RecentProgress))
	}
	var input, late40, dropped, rows, windowedRows int64
	maxEnd := map[int32]int64{}
	minStart := map[int32]int64{}
	for i, b := range p.RecentProgress {
		if b.BatchID != int64(i+1) {
			t.Errorf("batch %d has id %d", i+1, b.BatchID)
		}
		input += b.NumInputRows
		late40 += b.State.NumLateEvents
		dropped += b.State.LateByReason["all_windows_closed"]
		rows += b.Sink.NumOutputRows
		windowedRows += b.Sink.WindowedInput
		if b.DurationMs.Total < b.DurationMs.Commit || b.Timestamp.IsZero() {
			t.Errorf("batch %d: durations %+v, trigger %v", b.BatchID, b.DurationMs, b.Timestamp)
		}
		for _, src := range b.Sources {
			if src.Topic != schema.SalesTopic {
				continue
			}
			if st, ok := minStart[src.Partition]; !ok || src.StartOffset < st {
				minStart[src.Partition] = src.StartOffset
			}
			if src.EndOffset > maxEnd[src.Partition] {
				maxEnd[src.Partition] = src.EndOffset
			}
		}
	}
	if input != 640 || windowedRows != 640 {
		t.Errorf("/progress: %d input rows and %d windowed, produced 640", input, windowedRows)
	}
	if late40 != 40 || dropped != 40 {
		t.Errorf("/progress: %d late events (%d with every window closed), produced 40 a day behind the watermark", late40, dropped)
	}
	for part, end := range salesEnds {
		if end > 0 && (maxEnd[part] != end || minStart[part] != 0) {
			t.Errorf("/progress read %s[%d] from %d to %d, the partition holds 0 to %d", schema.SalesTopic, part, minStart[part], maxEnd[part], end)
		}
	}
	summary := 0
	for _, r := range readAll(ctx, t, s, schema.SummaryTopic, kgo.ReadCommitted()) {
		if !r.Attrs.IsControl() {
			summary++
		}
	}
	if rows != int64(summary) {
		t.Errorf("/progress: %d rows written, the summary topic holds %d committed rows", rows, summary)
	}
	last := p.RecentProgress[len(p.RecentProgress)-1]
	if last.EventTime.Watermark.IsZero() || last.EventTime.Max.Sub(last.EventTime.Watermark) < 10*time.Minute {
		t.Errorf("last batch: watermark %v, max event time %v", last.EventTime.Watermark, last.EventTime.Max)
	}

	fams := getMetrics(t, base)
	for _, c := range []struct {
		name   string
		labels []string
		want   float64
	}{
		{"salesstream_enricher_input_rows_total", []string{"topic", schema.SalesTopic}, 640},
		{"salesstream_enricher_processed_rows_total", []string{"stage", "forward"}, 640},
		{"salesstream_enricher_late_events_total", []string{"reason", "all_windows_closed"}, 40},
		{"salesstream_enricher_late_events_total", []string{"reason", "some_windows_closed"}, 0},
		{"salesstream_enricher_dead_letters_total", []string{"reason", "not_framed"}, 0},
		{"salesstream_enricher_summary_rows_total", nil, float64(summary)},
		{"salesstream_enricher_batch_duration_seconds", []string{"phase", "total"}, float64(len(p.RecentProgress))},
		{"salesstream_enricher_transaction_aborts_total", nil, 0},
		{"salesstream_enricher_restarts_total", nil, 0},
	} {
		if got := metricstest.Value(fams, c.name, c.labels...); got != c.want {
			t.Errorf("%s%v = %v, want %v", c.name, c.labels, got, c.want)
		}
	}
	if v := metricstest.Value(fams, "salesstream_enricher_last_commit_timestamp_seconds"); v < float64(time.Now().Add(-time.Minute).Unix()) {
		t.Errorf("last commit time %v is not recent", v)
	}
	if v := metricstest.Value(fams, "salesstream_enricher_max_event_time_seconds"); v != float64(last.EventTime.Max.UnixMilli())/1000 {
		t.Errorf("max event time %v, /progress says %v", v, last.EventTime.Max)
	}
	if v := metricstest.Value(fams, "salesstream_enricher_state_rows"); v != float64(last.State.NumRowsTotal) || v <= 0 {
		t.Errorf("state rows %v, /progress says %d", v, last.State.NumRowsTotal)
	}
	if !strings.Contains(out.String(), "enricher starting") || !strings.Contains(out.String(), "progress.input_rows=") {
		t.Errorf("the log lacks the settings line or the per-batch progress:\n%s", out)
	}
	enr.Process.Kill()
	enr.Wait()
}

// TestDashboardWhileBrokerDown stops the broker under a running enricher:
// /progress, /api/dashboard and the page answer at once and say since when
// the broker is down; after it is back they say it is up.
func TestDashboardWhileBrokerDown(t *testing.T) {
	s := newRestartable(t)
	mustRun(t, s, "schemas")
	salesPath := salesFile(t, 300, time.Second)
	mustRun(t, s, "producer", "--input", salesPath, "--event-time", "original", "--delay", "0", "--partitions", "1")
	addr := "127.0.0.1:" + strconv.Itoa(freePort(t))
	base := "http://" + addr
	enr, out := startBin(t, s, "enricher", "--trigger", "200ms", "--partitions", "1", "--regions", "../data/regions.csv", "--http-addr", addr)
	waitFor(t, 60*time.Second, "300 sales windowed", func() bool {
		code, _ := httpGet(base + "/metrics")
		return code == 200 && metricstest.Value(getMetrics(t, base), "salesstream_enricher_processed_rows_total", "stage", "window") == 300
	})
	stopped := time.Now()
	s.stopKafka()
	var p progressBody
	waitFor(t, 30*time.Second, "/progress to say the broker is down", func() bool {
		p = getProgress(t, base)
		return !p.Broker.Up
	})
	if p.Broker.DownSince.Before(stopped.Add(-time.Second)) || p.Broker.DownSince.After(time.Now()) || p.Broker.Error == "" {
		t.Errorf("broker %+v; stopped at %v", p.Broker, stopped)
	}
	if len(p.RecentProgress) == 0 {
		t.Error("/progress lost its batches while the broker is down")
	}
	for _, path := range []string{"/", "/api/dashboard", "/charts/rates.svg", "/charts/sales.svg", "/progress"} {
		began := time.Now()
		code, body := httpGet(base + path)
		if code != 200 || time.Since(began) > 2*time.Second {
			t.Errorf("GET %s while the broker is down: %d after %v: %.200s", path, code, time.Since(began), body)
		}
	}
	_, body := httpGet(base + "/api/dashboard")
	var d struct {
		Broker progress.Broker `json:"broker"`
	}
	if err := json.Unmarshal([]byte(body), &d); err != nil || d.Broker.Up || !d.Broker.DownSince.Equal(p.Broker.DownSince) {
		t.Errorf("/api/dashboard broker %+v (%v), /progress says %+v", d.Broker, err, p.Broker)
	}
	s.startKafka()
	waitFor(t, 60*time.Second, "/progress to say the broker is up again", func() bool { return getProgress(t, base).Broker.Up })
	enr.Process.Kill()
	enr.Wait()
	if t.Failed() {
		t.Logf("enricher output:\n%s", out)
	}
}

// TestHTTPAddrInUse: the enricher refuses a --http-addr already in use at
// start, naming it.
func TestHTTPAddrInUse(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	addr := ln.Addr().String()
	r := runBin(t, fixed{brokers: "127.0.0.1:1", registry: "http://127.0.0.1:1"}, 30*time.Second, "enricher", "--http-addr", addr)
	if r.code == 0 || !strings.Contains(r.stderr, "--http-addr "+addr+" is already in use") {
		t.Errorf("exit %d, stderr:\n%s", r.code, r.stderr)
	}
}
