package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/salesstream/salesstream/internal/platform/metricstest"
)

// chromium returns the path of the Chromium binary. Without one the test
// is skipped, unless CI=true, where it fails: scripts/test.sh installs it.
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("chromium is not installed (apt-get install chromium; scripts/test.sh does it)")
	}
	t.Skip("chromium is not installed (apt-get install chromium); skipping the browser test")
	return ""
}

// browser is a headless Chromium driven through chromedp, collecting the
// console errors of the pages it loads.
type browser struct {
	ctx    context.Context
	mu     sync.Mutex
	errors []string
}

// newBrowser starts Chromium with exactly the flags below and a fresh
// user-data directory; it stops when t ends.
func newBrowser(t *testing.T) *browser {
	t.Helper()
	path := chromium(t)
	profile, err := os.MkdirTemp("", "chromium-profile-")
	if err != nil {
		t.Fatal(err)
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("no-first-run", true),
		chromedp.UserDataDir(profile),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(func() {
		cancel()
		cancelAlloc()
		removeProfile(t, profile)
	})
	b := &browser{ctx: ctx}
	chromedp.ListenTarget(ctx, func(ev any) {
		var msg string
		switch ev := ev.(type) {
		case *runtime.EventConsoleAPICalled:
			if ev.Type == runtime.APITypeError {
				for _, a := range ev.Args {
					msg += string(a.Value) + " "
				}
				msg = "console.error: " + msg
			}
		case *runtime.EventExceptionThrown:
			msg = "exception: " + ev.ExceptionDetails.Text
			if ev.ExceptionDetails.Exception != nil {
				msg += " " + ev.ExceptionDetails.Exception.Description
			}
		case *log.EventEntryAdded:
			if ev.Entry.Level == log.LevelError {
				msg = "log: " + ev.Entry.Text + " " + ev.Entry.URL
			}
		}
		if msg != "" {
			b.mu.Lock()
			b.errors = append(b.errors, msg)
			b.mu.Unlock()
		}
	})
	// The first Run starts the browser, which lives as long as its
	// context: give it ctx itself, not a context with a timeout.
	if err := chromedp.Run(ctx, log.Enable(), chromedp.EmulateViewport(1400, 1500)); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return b
}

// run runs actions within timeout.
func (b *browser) run(t *testing.T, timeout time.Duration, actions ...chromedp.Action) {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, timeout)
	defer cancel()
	if err := chromedp.Run(ctx, actions...); err != nil {
		t.Fatalf("browser: %v", err)
	}
}

// eval evaluates a JavaScript expression into out.
func (b *browser) eval(t *testing.T, expr string, out any) {
	t.Helper()
	b.run(t, 10*time.Second, chromedp.Evaluate(expr, out))
}

// waitJS waits until the expression is true, or fails after timeout.
func (b *browser) waitJS(t *testing.T, timeout time.Duration, what, expr string) {
	t.Helper()
	waitFor(t, timeout, what, func() bool {
		var ok bool
		ctx, cancel := context.WithTimeout(b.ctx, 5*time.Second)
		defer cancel()
		return chromedp.Run(ctx, chromedp.Evaluate(expr, &ok)) == nil && ok
	})
}

func (b *browser) consoleErrors() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.errors...)
}

// screenshot saves the page in the test's artifact directory.
func (b *browser) screenshot(t *testing.T, name string) string {
	t.Helper()
	var png []byte
	b.run(t, 30*time.Second, chromedp.FullScreenshot(&png, 100))
	path := filepath.Join(t.ArtifactDir(), name)
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s", path)
	return path
}

// cell is one sales cell of the dashboard's table.
type cell struct {
	Region string `json:"region"`
	Start  string `json:"start"`
	Sales  string `json:"sales"`
	Text   string `json:"text"`
}

const cellsJS = `Array.from(document.querySelectorAll('#sales-table td[data-sales]')).map(td => ({region: td.dataset.region, start: td.dataset.start, sales: td.dataset.sales, text: td.textContent}))`

// pageSales returns the table's sales by "region@start", and its windows.
func pageSales(t *testing.T, b *browser) (map[string]string, []string) {
	t.Helper()
	var cells []cell
	b.eval(t, cellsJS, &cells)
	var windows []string
	b.eval(t, `Array.from(new Set(Array.from(document.querySelectorAll('#sales-table td[data-start]')).map(td => td.dataset.start)))`, &windows)
	got := map[string]string{}
	for _, c := range cells {
		if c.Text != c.Sales {
			t.Errorf("cell %s@%s shows %q, holds %q", c.Region, c.Start, c.Text, c.Sales)
		}
		got[c.Region+"@"+normTime(t, c.Start)] = c.Sales
	}
	for i := range windows {
		windows[i] = normTime(t, windows[i])
	}
	sort.Sort(sort.Reverse(sort.StringSlice(windows)))
	return got, windows
}

func normTime(t *testing.T, s string) string {
	t.Helper()
	ts, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatalf("time %q: %v", s, err)
	}
	return ts.UTC().Format(time.RFC3339)
}

// readerSales runs the reader and returns its sales by "region@start" for
// the given windows (RFC 3339).
func readerSales(t *testing.T, s endpoints, windows []string) map[string]string {
	t.Helper()
	keep := map[string]bool{}
	for _, w := range windows {
		keep[w] = true
	}
	want := map[string]string{}
	for _, r := range decodeRows(t, mustRun(t, s, "reader", "--format", "json").stdout) {
		if keep[normTime(t, r.WindowStart)] {
			want[r.Region+"@"+normTime(t, r.WindowStart)] = r.Sales
		}
	}
	return want
}

// latestWindows returns the n latest window starts the reader prints.
func latestWindows(t *testing.T, s endpoints, n int) []string {
	t.Helper()
	set := map[string]bool{}
	for _, r := range decodeRows(t, mustRun(t, s, "reader", "--format", "json").stdout) {
		set[normTime(t, r.WindowStart)] = true
	}
	var ws []string
	for w := range set {
		ws = append(ws, w)
	}
	sort.Sort(sort.Reverse(sort.StringSlice(ws)))
	return ws[:min(n, len(ws))]
}

func diffSales(got, want map[string]string) string {
	var d []string
	for k, v := range want {
		if got[k] != v {
			d = append(d, fmt.Sprintf("%s: page %q, reader %q", k, got[k], v))
		}
	}
	for k, v := range got {
		if _, ok := want[k]; !ok {
			d = append(d, fmt.Sprintf("%s: page %q, not in the reader's output", k, v))
		}
	}
	sort.Strings(d)
	return strings.Join(d[:min(10, len(d))], "\n")
}

// TestDashboardInBrowser drives headless Chromium against a running
// enricher: the dashboard loads without console errors and shows every
// chart, its table equals the reader's JSON for the same windows, and it
// shows new values after more sales commit, without a reload. Then the
// registry's /ui lists the six artifacts and shows a schema.
func TestDashboardInBrowser(t *testing.T) {
	b := newBrowser(t)
	s := schemaStack(t)
	dir := t.TempDir()
	first, more := filepath.Join(dir, "first.csv"), filepath.Join(dir, "more.csv")
	t0 := time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC)
	writeSalesSeeded(t, first, 900, 2*time.Second, 5, t0)
	// More sales in the latest windows: their values change.
	writeSalesSeeded(t, more, 200, time.Second, 6, t0.Add(1700*time.Second))
	mustRun(t, s, "producer", "--input", first, "--event-time", "original", "--delay", "0")
	addr := "127.0.0.1:" + strconv.Itoa(freePort(t))
	base := "http://" + addr
	enr, out := startBin(t, s, "enricher", "--trigger", "300ms", "--regions", "../data/regions.csv", "--http-addr", addr)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("enricher output:\n%s", out)
		}
	})
	windowed := func(n float64) func() bool {
		return func() bool {
			code, _ := httpGet(base + "/metrics")
			return code == 200 && metricstest.Value(getMetrics(t, base), "salesstream_enricher_processed_rows_total", "stage", "window") == n
		}
	}
	waitFor(t, 60*time.Second, "900 sales windowed", windowed(900))

	b.run(t, 30*time.Second, chromedp.Navigate(base+"/"))
	b.eval(t, `window.__loadedOnce = true`, nil)
	b.waitJS(t, 20*time.Second, "every chart to load", `(() => { const imgs = Array.from(document.querySelectorAll('img.chart'));
		return imgs.length === 6 && imgs.every(i => i.complete && i.naturalWidth > 0 && i.src.includes('/charts/')); })()`)
	windows := latestWindows(t, s, 6)
	want := readerSales(t, s, windows)
	var got map[string]string
	var shown []string
	waitFor(t, 20*time.Second, "the table to equal the reader's latest windows", func() bool {
		got, shown = pageSales(t, b)
		return maps.Equal(got, want)
	})
	if strings.Join(shown, ",") != strings.Join(windows, ",") {
		t.Errorf("the table shows windows %v, the reader's latest are %v", shown, windows)
	}
	var status string
	b.eval(t, `document.getElementById('status').textContent`, &status)
	if !strings.Contains(status, "Kafka up") {
		t.Errorf("status %q", status)
	}
	var batchBefore string
	b.eval(t, `document.getElementById('kpi-batch').textContent`, &batchBefore)
	b.screenshot(t, "dashboard.png")

	mustRun(t, s, "producer", "--input", more, "--event-time", "original", "--delay", "0")
	waitFor(t, 60*time.Second, "1100 sales windowed", windowed(1100))
	windows = latestWindows(t, s, 6)
	want2 := readerSales(t, s, windows)
	if maps.Equal(want, want2) {
		t.Fatal("the second sales changed nothing in the latest windows: the test proves nothing")
	}
	waitFor(t, 20*time.Second, "the page to show the new values", func() bool {
		got, _ = pageSales(t, b)
		return maps.Equal(got, want2)
	})
	if !maps.Equal(got, want2) {
		t.Errorf("page and reader differ:\n%s", diffSales(got, want2))
	}
	var same bool
	b.eval(t, `window.__loadedOnce === true`, &same)
	if !same {
		t.Error("the page was reloaded; it should update in place")
	}
	var batchAfter string
	b.eval(t, `document.getElementById('kpi-batch').textContent`, &batchAfter)
	if batchAfter == batchBefore {
		t.Errorf("the last batch shown stayed %s", batchAfter)
	}
	b.screenshot(t, "dashboard-updated.png")
	if errs := b.consoleErrors(); len(errs) > 0 {
		t.Errorf("console errors on the dashboard: %v", errs)
	}

	// The registry's pages.
	b.run(t, 30*time.Second, chromedp.Navigate(s.RegistryURL()+"/ui"))
	var artifacts []string
	b.eval(t, `Array.from(document.querySelectorAll('#artifacts tr.artifact td:nth-child(2) a')).map(a => a.textContent)`, &artifacts)
	sort.Strings(artifacts)
	wantArtifacts := []string{"pagila.sales.avro-key", "pagila.sales.avro-value", "pagila.sales.csv", "pagila.sales.regions.csv",
		"pagila.sales.summary.avro-key", "pagila.sales.summary.avro-value"}
	if strings.Join(artifacts, ",") != strings.Join(wantArtifacts, ",") {
		t.Errorf("/ui lists %v, want the six artifacts %v", artifacts, wantArtifacts)
	}
	b.run(t, 30*time.Second, chromedp.Click(`a[href$="/pagila.sales.avro-value"]`, chromedp.ByQuery), chromedp.WaitVisible(`pre.schema`, chromedp.ByQuery))
	var schemaText string
	b.eval(t, `document.querySelector('pre.schema').textContent`, &schemaText)
	var schema struct {
		Type   string `json:"type"`
		Fields []struct {
			Name string `json:"name"`
		} `json:"fields"`
	}
	if err := json.Unmarshal([]byte(schemaText), &schema); err != nil || schema.Type != "record" || len(schema.Fields) == 0 {
		t.Errorf("the artifact page shows no Avro record schema (%v):\n%s", err, schemaText)
	}
	b.screenshot(t, "registry-artifact.png")
	if errs := b.consoleErrors(); len(errs) > 0 {
		t.Errorf("console errors: %v", errs)
	}
	enr.Process.Kill()
	enr.Wait()
}

// removeProfile removes the browser's user-data directory once the
// browser has stopped: Chromium's helper processes may still write to it
// for a moment after the browser exits, so it tries again until the
// directory is gone, within a deadline.
func removeProfile(t *testing.T, dir string) {
	deadline := time.Now().Add(10 * time.Second)
	for {
		err := os.RemoveAll(dir)
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Errorf("remove the browser's user-data directory: %v", err)
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
}
