package demo

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/salesstream/salesstream/internal/platform/syncbuf"
)

// TestRun runs the demo on the project's data, sped up to about two
// seconds, and checks the story it tells.
func TestRun(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var out bytes.Buffer
	err := Run(ctx, Config{
		Sales: "../../../data/sales.csv", Regions: "../../../data/regions.csv",
		Duration: 2 * time.Second, Trigger: 200 * time.Millisecond, Limit: 5, Out: &out,
	})
	if err != nil {
		t.Fatalf("demo: %v\n%s", err, out.String())
	}
	text := out.String()
	for _, want := range []string{
		"pagila.sales.summary.avro-value", "created",
		"producer: sent 1800 sales, 0 bad rows",
		"enricher: 1800 sales in",
		" late, 0 dead-lettered",
		"WINDOW START (UTC)", "ORDERS",
		"event times are re-based to now: the first sale happens now", "the data spans 108h48m0s", "4.5 days",
		"distinct (region, window) rows",
		"(5 of ",
		"audit: EQUAL: ", "1800 sales: ",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("demo output lacks %q:\n%s", want, text)
		}
	}
	checkLateAccounted(t, text)
}

// checkLateAccounted checks that the audit accounts for every sale and
// finds as many late as the enricher reported: the replay's speed-up can
// make sales late (the demo says why), and the audit must see each.
func checkLateAccounted(t *testing.T, text string) {
	t.Helper()
	enr := regexp.MustCompile(`enricher: 1800 sales in \d+ micro-batches, (\d+) late, 0 dead-lettered`).FindStringSubmatch(text)
	aud := regexp.MustCompile(`audit: EQUAL: \d+ windows checked; 1800 sales: (\d+) aggregated \(\d+ of them partly late\), (\d+) late, 0 dead-lettered, 0 not yet windowed, 0 unaccounted`).FindStringSubmatch(text)
	if enr == nil || aud == nil {
		t.Fatalf("no enricher line or no equal audit line accounting for 1800 sales:\n%s", text)
	}
	late, _ := strconv.Atoi(enr[1])
	agg, _ := strconv.Atoi(aud[1])
	audLate, _ := strconv.Atoi(aud[2])
	partly := 0
	if m := regexp.MustCompile(`\((\d+) of them partly late\)`).FindStringSubmatch(text); m != nil {
		partly, _ = strconv.Atoi(m[1])
	}
	if audLate+partly != late || agg+audLate != 1800 {
		t.Errorf("the enricher reported %d late; the audit found %d late and %d partly late, %d aggregated:\n%s", late, audLate, partly, agg, text)
	}
	if late > 0 && !strings.Contains(text, "they are kept on pagila.sales.avro.late") {
		t.Errorf("%d late sales and no word of why:\n%s", late, text)
	}
}

func TestSpanOf(t *testing.T) {
	span, rows, err := spanOf("../../../data/sales.csv")
	if err != nil {
		t.Fatal(err)
	}
	// The first and last sales of data/sales.csv.
	first := time.Date(2022, 5, 2, 0, 0, 13, 644687000, time.UTC)
	last := time.Date(2022, 5, 6, 12, 48, 39, 707369000, time.UTC)
	if rows != 1800 || span != last.Sub(first) {
		t.Errorf("spanOf = %v, %d rows; want %v, 1800", span, rows, last.Sub(first))
	}
	if _, _, err := spanOf("no-such.csv"); err == nil {
		t.Error("a missing file gave no error")
	}
}

// TestServe runs the demo with Serve: it prints the dashboard's address,
// which answers with the run's batches and sales, and stays up until the
// context ends.
func TestServe(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	runCtx, stop := context.WithCancel(ctx)
	out := &syncbuf.Buffer{}
	done := make(chan error, 1)
	go func() {
		done <- Run(runCtx, Config{
			Sales: "../../../data/sales.csv", Regions: "../../../data/regions.csv",
			Duration: 2 * time.Second, Trigger: 200 * time.Millisecond, Limit: 5, Out: out,
			Serve: true, HTTPAddr: "127.0.0.1:0",
		})
	}()
	addr := regexp.MustCompile(`stays up at (http://[0-9.:]+/)`)
	var base string
	for base == "" {
		if m := addr.FindStringSubmatch(out.String()); m != nil {
			base = m[1]
			break
		}
		select {
		case err := <-done:
			t.Fatalf("the demo ended before serving: %v\n%s", err, out)
		case <-ctx.Done():
			t.Fatalf("no dashboard address printed:\n%s", out)
		case <-time.After(50 * time.Millisecond):
		}
	}
	if !strings.Contains(out.String(), "dashboard: "+base) {
		t.Errorf("the address was not printed at start:\n%s", out)
	}
	resp, err := http.Get(base + "api/dashboard")
	if err != nil {
		t.Fatal(err)
	}
	var d struct {
		Batches int `json:"batches"`
		Sales   struct {
			Rows []json.RawMessage `json:"rows"`
		} `json:"sales"`
	}
	err = json.NewDecoder(resp.Body).Decode(&d)
	resp.Body.Close()
	if err != nil || d.Batches == 0 || len(d.Sales.Rows) == 0 {
		t.Errorf("/api/dashboard: %+v, %v", d, err)
	}
	select {
	case err := <-done:
		t.Fatalf("the demo did not stay up: %v", err)
	case <-time.After(300 * time.Millisecond):
	}
	stop()
	if err := <-done; err != nil {
		t.Errorf("the demo stopped with %v", err)
	}
	checkLateAccounted(t, out.String())
}

// TestFlags: -h names the demo, not the binary's build-cache path.
func TestFlags(t *testing.T) {
	var (
		cfg Config
		v   bool
	)
	fs := Flags(&cfg, &v)
	var b bytes.Buffer
	fs.SetOutput(&b)
	fs.Usage()
	if !strings.HasPrefix(b.String(), "Usage of demo:") || !strings.Contains(b.String(), "-duration") {
		t.Errorf("usage %q", b.String())
	}
	if err := fs.Parse([]string{"--trigger", "2s"}); err != nil || cfg.Trigger != 2*time.Second || cfg.Limit != 40 {
		t.Errorf("parse: %v, %+v", err, cfg)
	}
}
