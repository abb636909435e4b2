package e2e

import (
	"context"
	"encoding/json"
	"maps"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/salesstream/salesstream/internal/domain/money"
	"github.com/salesstream/salesstream/internal/domain/schema"
	"github.com/salesstream/salesstream/internal/platform/kafkatest"
)

// jsonLinesOf decodes JSON lines; a trailing partial line is ignored.
func jsonLinesOf(t *testing.T, out string) []jsonRow {
	t.Helper()
	var rows []jsonRow
	for _, line := range strings.Split(out, "\n") {
		if !strings.HasPrefix(line, "{") || !strings.HasSuffix(line, "}") {
			continue
		}
		var r jsonRow
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("reader printed %q: %v", line, err)
		}
		rows = append(rows, r)
	}
	return rows
}

// summaryTransaction writes one summary row of region in a transaction of
// its own, committed or aborted.
func summaryTransaction(t *testing.T, s endpoints, region string, commit bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	keyEnc, valEnc := topicEncoders(ctx, t, s, schema.SummaryTopic)
	start := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC).UnixMilli()
	k, err := keyEnc.Append(nil, &schema.SummaryKey{Region: region, WindowStart: start})
	if err != nil {
		t.Fatal(err)
	}
	v, err := valEnc.Append(nil, &schema.SummaryValue{Region: region, Sales: schema.AppendDecimal(nil, money.Cents(4200)), Orders: 1,
		WindowStart: start, WindowEnd: start + 600_000})
	if err != nil {
		t.Fatal(err)
	}
	cl := kafkatest.Client(t, s.Brokers(), kgo.TransactionalID("follow-test-"+region))
	defer cl.Close()
	if err := cl.BeginTransaction(); err != nil {
		t.Fatal(err)
	}
	if err := cl.ProduceSync(ctx, &kgo.Record{Topic: schema.SummaryTopic, Key: k, Value: v}).FirstErr(); err != nil {
		t.Fatal(err)
	}
	if err := cl.EndTransaction(ctx, kgo.TransactionEndTry(commit)); err != nil {
		t.Fatal(err)
	}
}

// TestReaderFollow starts reader --follow on a running pipeline: it prints
// the table, then the rows of the batches committed after it started, so
// that its last row per (region, window) equals a batch read; a row of an
// aborted transaction never shows; --region and --since filter.
func TestReaderFollow(t *testing.T) {
	s := schemaStack(t)
	t0 := time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC)
	first := seededSalesFile(t, 300, time.Second, 3, t0)
	second := seededSalesFile(t, 300, time.Second, 4, t0.Add(290*time.Second))
	enr, _ := startBin(t, s, "enricher", "--trigger", "200ms", "--partitions", "1", "--regions", "../data/regions.csv")
	defer func() { enr.Process.Kill(); enr.Wait() }()
	mustRun(t, s, "producer", "--input", first, "--event-time", "original", "--delay", "0", "--partitions", "1")
	waitFor(t, 60*time.Second, "the first sales windowed", func() bool {
		end, committed := salesProgress(t, s)
		return end == 300 && committed == 300 && repartitionDrained(t, s)
	})
	before := jsonLinesOf(t, mustRun(t, s, "reader", "--format", "json").stdout)

	follow, out := startBin(t, s, "reader", "--follow", "--format", "json")
	waitFor(t, 30*time.Second, "reader --follow to print the table", func() bool { return len(jsonLinesOf(t, out.String())) >= len(before) })

	mustRun(t, s, "producer", "--input", second, "--event-time", "original", "--delay", "0", "--partitions", "1")
	waitFor(t, 60*time.Second, "the second sales windowed", func() bool {
		end, committed := salesProgress(t, s)
		return end == 600 && committed == 600 && repartitionDrained(t, s)
	})
	summaryTransaction(t, s, "Atlantis", false)
	summaryTransaction(t, s, "Lemuria", true)
	after := jsonLinesOf(t, mustRun(t, s, "reader", "--format", "json").stdout)
	want := map[string]jsonRow{}
	for _, r := range after {
		want[r.Region+"@"+r.WindowStart] = r
	}
	if _, ok := want["Lemuria@2030-01-01T00:00:00Z"]; !ok {
		t.Fatalf("the batch reader lacks the committed test row")
	}
	var followed []jsonRow
	waitFor(t, 30*time.Second, "reader --follow to print the committed rows", func() bool {
		followed = jsonLinesOf(t, out.String())
		got := map[string]jsonRow{}
		for _, r := range followed {
			got[r.Region+"@"+r.WindowStart] = r
		}
		return maps.Equal(got, want)
	})
	if len(followed) <= len(before) {
		t.Errorf("reader --follow printed %d rows, no more than its first table's %d", len(followed), len(before))
	}
	for _, r := range followed {
		if r.Region == "Atlantis" {
			t.Errorf("reader --follow printed a row of an aborted transaction: %+v", r)
		}
	}
	follow.Process.Signal(syscall.SIGINT)
	if err := follow.Wait(); err != nil {
		t.Errorf("reader --follow did not stop cleanly on Ctrl-C: %v\n%s", err, out)
	}

	// Filters.
	europe := jsonLinesOf(t, mustRun(t, s, "reader", "--format", "json", "--region", "Europe").stdout)
	since := jsonLinesOf(t, mustRun(t, s, "reader", "--format", "json", "--since", "2024-03-01 12:05", "--until", "2030-01-01").stdout)
	wantEurope, wantSince := 0, 0
	for _, r := range after {
		if r.Region == "Europe" {
			wantEurope++
		}
		if r.WindowStart >= "2024-03-01T12:05:00Z" && r.WindowStart < "2030-01-01T00:00:00Z" {
			wantSince++
		}
	}
	if len(europe) != wantEurope || wantEurope == 0 {
		t.Errorf("--region Europe printed %d rows, want %d", len(europe), wantEurope)
	}
	for _, r := range europe {
		if r.Region != "Europe" {
			t.Errorf("--region Europe printed %+v", r)
		}
	}
	if len(since) != wantSince || wantSince == 0 || wantSince == len(after) {
		t.Errorf("--since/--until printed %d rows, want %d of %d", len(since), wantSince, len(after))
	}
	table := mustRun(t, s, "reader", "--limit", "3").stdout
	if !strings.Contains(table, "WINDOW START (UTC)") {
		t.Errorf("the table's header does not say UTC:\n%s", table)
	}
	if r := runBin(t, s, 30*time.Second, "reader", "--since", "yesterday"); r.code == 0 || !strings.Contains(r.stderr, "--since") {
		t.Errorf("--since yesterday: exit %d, %s", r.code, r.stderr)
	}
}
