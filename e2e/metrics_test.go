package e2e

import (
	"io"
	"net/http"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestEnricherMetricsAndHealth runs the enricher with --http-addr and reads
// its health and Prometheus endpoints while it works.
func TestEnricherMetricsAndHealth(t *testing.T) {
	s := schemaStack(t)
	mustRun(t, s, "producer", "--input", "../data/sales.csv", "--event-time", "original", "--delay", "0")
	addr := "127.0.0.1:" + strconv.Itoa(freePort(t))
	enr, out := startBin(t, s, "enricher", "--trigger", "100ms", "--regions", "../data/regions.csv", "--http-addr", addr)
	get := func(path string) (int, string) {
		resp, err := http.Get("http://" + addr + path)
		if err != nil {
			return 0, err.Error()
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	waitFor(t, 30*time.Second, "the enricher to report 1800 records read and windowed", func() bool {
		_, body := get("/metrics")
		return strings.Contains(body, "salesstream_enricher_records_total 1800") && strings.Contains(body, "salesstream_enricher_windowed_total 1800")
	})
	if code, _ := get("/healthz"); code != 200 {
		t.Errorf("/healthz answered %d", code)
	}
	if code, _ := get("/readyz"); code != 200 {
		t.Errorf("/readyz answered %d while consuming", code)
	}
	_, body := get("/metrics")
	for _, want := range []string{`salesstream_enricher_late_events_total{reason="all_windows_closed"} 0`, `salesstream_enricher_dead_letters_total{reason="bad_payload"} 0`, "salesstream_enricher_state_rows",
		"salesstream_enricher_repartitioned_total 1800", "salesstream_enricher_partitions 3", "go_goroutines"} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	enr.Process.Signal(syscall.SIGTERM)
	if err := enr.Wait(); err != nil {
		t.Errorf("enricher did not stop cleanly on SIGTERM: %v\n%s", err, out)
	}
}
