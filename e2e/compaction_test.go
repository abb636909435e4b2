package e2e

import (
	"context"
	"path/filepath"
	"regexp"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// TestRestartReadsOnlyOpenWindows checks that a restart's cost follows the
// open windows, not the history: after hours of event time go through the
// enricher in many micro-batches, and the state topic is compacted, a
// restarted enricher reads only about as many state records as there are
// open windows, and still ends with the exact result.
func TestRestartReadsOnlyOpenWindows(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	s := schemaStack(t)
	salesPath := salesFile(t, 20_000, time.Second)

	enr, enrOut := startBin(t, s, "enricher", "--trigger", "20ms", "--partitions", "1", "--regions", "../data/regions.csv")
	mustRun(t, s, "producer", "--input", salesPath, "--event-time", "original", "--rate", "10000", "--partitions", "1")
	waitFor(t, time.Minute, "the enricher to commit every sale", func() bool {
		end, committed := salesProgress(t, s)
		return end == 20_000 && committed == 20_000
	})
	enr.Process.Signal(syscall.SIGTERM)
	if err := enr.Wait(); err != nil {
		t.Fatalf("enricher: %v\n%s", err, enrOut)
	}

	const stateTopic = "salesstream-enricher-state"
	written := countData(ctx, t, s, stateTopic)
	// Tombstones of closed windows go once delete.retention.ms passed;
	// make that now, and compact.
	cl := newClient(t, s)
	defer cl.Close()
	zero := "0"
	if _, err := kadm.NewClient(cl).AlterTopicConfigs(ctx, []kadm.AlterConfig{{Name: "delete.retention.ms", Value: &zero}}, stateTopic); err != nil {
		t.Fatal(err)
	}
	s.Cluster().Compact()
	kept := countData(ctx, t, s, stateTopic)

	// More sales, a day later, so the restarted enricher has work and
	// restores its state to do it.
	more := filepath.Join(t.TempDir(), "more.csv")
	writeSalesSeeded(t, more, 500, time.Second, 11, time.Date(2023, 1, 4, 0, 0, 0, 0, time.UTC))
	mustRun(t, s, "producer", "--input", more, "--event-time", "original", "--delay", "0", "--partitions", "1")
	out := mustRun(t, s, "enricher", "--once", "--log-level", "info", "--partitions", "1", "--regions", "../data/regions.csv")
	m := regexp.MustCompile(`window state restored.* windows=(\d+) records_read=(\d+)`).FindStringSubmatch(out.stderr)
	if m == nil {
		t.Fatalf("the restarted enricher did not log its restore:\n%s", out.stderr)
	}
	windows, _ := strconv.Atoi(m[1])
	read, _ := strconv.Atoi(m[2])
	t.Logf("state records: %d written over the run, %d after compaction; the restart read %d for %d open windows", written, kept, read, windows)
	if written < 5*read {
		t.Errorf("the run wrote only %d state records: too few micro-batches to tell history from open windows", written)
	}
	// Open windows, one meta record, and the last batch, which compaction
	// keeps whole.
	if read > windows+100 {
		t.Errorf("the restart read %d state records for %d open windows", read, windows)
	}
	assertSummary(t, s, concatCSV(t, salesPath, more), "../data/regions.csv")
}

// countData counts the data records of topic, control records aside.
func countData(ctx context.Context, t *testing.T, s endpoints, topic string) int {
	t.Helper()
	n := 0
	for _, r := range readAll(ctx, t, s, topic, kgo.ReadCommitted()) {
		if !r.Attrs.IsControl() {
			n++
		}
	}
	return n
}
