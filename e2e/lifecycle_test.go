package e2e

import (
	"context"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/salesstream/salesstream/internal/domain/schema"
	"github.com/salesstream/salesstream/internal/pipeline/producer"
)

// metricValue returns the value of an unlabelled metric in a Prometheus
// text exposition, or -1 if it is absent.
func metricValue(body, name string) float64 {
	for _, l := range strings.Split(body, "\n") {
		if v, ok := strings.CutPrefix(l, name+" "); ok {
			f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			if err == nil {
				return f
			}
		}
	}
	return -1
}

// TestEnricherReadyOnlyWhenRestored watches /readyz from the start: the
// first 200 comes only once the group assigned the repartition partitions
// and their state was restored, well before the 2-minute trigger.
func TestEnricherReadyOnlyWhenRestored(t *testing.T) {
	s := schemaStack(t)
	mustRun(t, s, "producer", "--input", "../data/sales.csv", "--event-time", "original", "--delay", "0")
	// A first run leaves window state to restore.
	mustRun(t, s, "enricher", "--once", "--regions", "../data/regions.csv")
	addr := "127.0.0.1:" + strconv.Itoa(freePort(t))
	enr, out := startBin(t, s, "enricher", "--regions", "../data/regions.csv", "--http-addr", addr)
	base := "http://" + addr
	deadline := time.Now().Add(60 * time.Second)
	for {
		if time.Now().After(deadline) {
			t.Fatalf("/readyz never answered 200 within a minute:\n%s", out)
		}
		code, _ := httpGet(base + "/readyz")
		if code == http.StatusOK {
			break
		}
		if code != 0 && code != http.StatusServiceUnavailable {
			t.Fatalf("/readyz answered %d", code)
		}
		time.Sleep(10 * time.Millisecond)
	}
	_, metrics := httpGet(base + "/metrics")
	if p := metricValue(metrics, "salesstream_enricher_partitions"); p != 3 {
		t.Errorf("ready with %v repartition partitions owned, want all 3", p)
	}
	log := out.String()
	for p := range 3 {
		if !regexp.MustCompile(`msg="window state restored" topic=\S+ partition=` + strconv.Itoa(p) + ` `).MatchString(log) {
			t.Errorf("ready before repartition partition %d's state was restored:\n%s", p, log)
		}
	}
	if !strings.Contains(log, "msg=ready") {
		t.Errorf("no \"ready\" log line:\n%s", log)
	}
	stop(t, enr, out)
}

// TestFencedEnricherStops starts a second enricher with the first one's
// transactional id: the first must stop at once, non-zero, with an error
// naming the id and the other instance, while the second works on.
func TestFencedEnricherStops(t *testing.T) {
	s := schemaStack(t)
	mustRun(t, s, "producer", "--input", "../data/sales.csv", "--event-time", "original", "--delay", "0", "--limit", "100")
	addrA := "127.0.0.1:" + strconv.Itoa(freePort(t))
	a, outA := startBin(t, s, "enricher", "--trigger", "200ms", "--regions", "../data/regions.csv", "--http-addr", addrA)
	waitFor(t, 60*time.Second, "the first enricher to be ready", func() bool {
		code, _ := httpGet("http://" + addrA + "/readyz")
		return code == http.StatusOK
	})
	exited := watchExit(a)

	addrB := "127.0.0.1:" + strconv.Itoa(freePort(t))
	b, outB := startBin(t, s, "enricher", "--trigger", "200ms", "--regions", "../data/regions.csv", "--http-addr", addrB)
	select {
	case err := <-exited:
		if err == nil {
			t.Errorf("the fenced enricher exited 0:\n%s", outA)
		}
	case <-time.After(45 * time.Second):
		code, _ := httpGet("http://" + addrA + "/readyz")
		t.Fatalf("the fenced enricher still runs 45 s after the second started (/readyz %d):\n%s", code, outA)
	}
	log := outA.String()
	if n := strings.Count(log, "is in use by another enricher instance"); n != 1 {
		t.Errorf("the fence is said %d times, want once:\n%s", n, log)
	}
	for _, want := range []string{"transactional id salesstream-enricher-0 is in use by another enricher instance", "--transactional-id"} {
		if !strings.Contains(log, want) {
			t.Errorf("the fenced enricher's output lacks %q:\n%s", want, log)
		}
	}
	// The second goes on: it is ready and windows new sales.
	waitFor(t, 60*time.Second, "the second enricher to be ready", func() bool {
		code, _ := httpGet("http://" + addrB + "/readyz")
		return code == http.StatusOK
	})
	mustRun(t, s, "producer", "--input", "../data/sales.csv", "--event-time", "original", "--delay", "0", "--resume", "--limit", "50")
	waitFor(t, 60*time.Second, "the second enricher to window the new sales", func() bool {
		_, m := httpGet("http://" + addrB + "/metrics")
		return metricValue(m, "salesstream_enricher_windowed_total") >= 50
	})
	stop(t, b, outB)
}

// TestLateWarning runs the README's quick full run after a live run: every
// sale of the old file is late, and the enricher says so once, at WARN,
// with the watermark, where it came from and what to do.
func TestLateWarning(t *testing.T) {
	s := schemaStack(t)
	mustRun(t, s, "producer", "--synthetic", "--limit", "50", "--delay", "0")
	mustRun(t, s, "enricher", "--once", "--regions", "../data/regions.csv")
	mustRun(t, s, "producer", "--input", "../data/sales.csv", "--event-time", "original", "--delay", "0")
	r := mustRun(t, s, "enricher", "--once", "--regions", "../data/regions.csv")
	var warns []string
	for _, l := range strings.Split(r.stderr, "\n") {
		if strings.Contains(l, "level=WARN") && strings.Contains(l, "late") {
			warns = append(warns, l)
		}
	}
	if len(warns) != 1 {
		t.Fatalf("want one WARN line about late sales, got %d:\n%s", len(warns), r.stderr)
	}
	for _, want := range []string{"watermark=20", "earlier run", "salesstream-enricher-state", "--group", "--state-topic", "--event-time now"} {
		if !strings.Contains(warns[0], want) {
			t.Errorf("the late warning lacks %q: %s", want, warns[0])
		}
	}
	if !strings.Contains(r.stdout, "1800 late") {
		t.Errorf("the summary does not count the 1800 late sales: %s", r.stdout)
	}
}

// TestProducerResumeLimit: --limit counts the rows a resumed run sends,
// not the rows it skips.
func TestProducerResumeLimit(t *testing.T) {
	s := schemaStack(t)
	mustRun(t, s, "producer", "--input", "../data/sales.csv", "--event-time", "original", "--delay", "0", "--limit", "10")
	mustRun(t, s, "producer", "--input", "../data/sales.csv", "--event-time", "original", "--delay", "0", "--resume", "--limit", "5")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	lines := map[string]int{}
	for _, r := range readAll(ctx, t, s, schema.SalesTopic, kgo.ReadCommitted()) {
		lines[headerMap(r)[producer.HeaderLine]]++
	}
	if len(lines) != 15 {
		t.Fatalf("the topic holds %d distinct lines, want 15 (10, then 5 more): %v", len(lines), lines)
	}
	for line := 2; line <= 16; line++ {
		if n := lines[strconv.Itoa(line)]; n != 1 {
			t.Errorf("line %d sent %d times, want once", line, n)
		}
	}
}

// TestStartingOffsets: a new group started with --starting-offsets latest
// skips the sales already sent and windows those sent after, and the
// audit accounts for those alone; earliest (the default) reads them all;
// a bad value names the flag.
func TestStartingOffsets(t *testing.T) {
	s := schemaStack(t)
	mustRun(t, s, "producer", "--input", "../data/sales.csv", "--event-time", "original", "--delay", "0", "--limit", "100")
	latest := []string{"--once", "--regions", "../data/regions.csv", "--starting-offsets", "latest", "--group", "g-latest", "--state-topic", "s-latest", "--transactional-id", "t-latest"}
	if r := mustRun(t, s, "enricher", latest...); !strings.Contains(r.stdout, "consumed 0 sales") {
		t.Errorf("a new group at latest consumed old sales:\n%s", r.stdout)
	}
	mustRun(t, s, "producer", "--input", "../data/sales.csv", "--event-time", "original", "--delay", "0", "--resume", "--limit", "50")
	if r := mustRun(t, s, "enricher", latest...); !strings.Contains(r.stdout, "consumed 50 sales") || !strings.Contains(r.stdout, "50 aggregated") {
		t.Errorf("the group at latest did not window the 50 new sales:\n%s", r.stdout)
	}
	// The audit reads the sales from where the group began: the 100
	// before are not the enricher's to account for.
	r, v := runAudit(t, s, "--regions", "../data/regions.csv", "--group", "g-latest", "--state-topic", "s-latest")
	if r.code != 0 || !v.Equal || v.Sales != 50 || v.Aggregated != 50 || v.Unaccounted != 0 ||
		!strings.Contains(r.stdout, "the group began at the latest sales (--starting-offsets latest)") {
		t.Errorf("audit of the group at latest: exit %d, %+v\n%s%s", r.code, v, r.stdout, r.stderr)
	}
	earliest := []string{"--once", "--regions", "../data/regions.csv", "--group", "g-earliest", "--state-topic", "s-earliest", "--transactional-id", "t-earliest"}
	if r := mustRun(t, s, "enricher", earliest...); !strings.Contains(r.stdout, "consumed 150 sales") {
		t.Errorf("a new group at earliest did not read all 150 sales:\n%s", r.stdout)
	}
	r = runBin(t, s, time.Minute, "enricher", "--once", "--starting-offsets", "newest")
	if r.code == 0 || !strings.Contains(r.stderr, `starting-offsets`) || !strings.Contains(r.stderr, `"newest": want earliest`) {
		t.Errorf("a bad --starting-offsets exited %d:\n%s", r.code, r.stderr)
	}
}
