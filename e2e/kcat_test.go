package e2e

import (
	"context"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/salesstream/salesstream/internal/domain/schema"
	"github.com/salesstream/salesstream/internal/platform/kafkatest"
)

// TestKcatSeesOnlyCommittedRows reads the summary topic with kcat, a
// client that knows nothing of salesstream, with isolation.level
// read_committed: it must see exactly the committed rows, and none of a
// transaction that was aborted.
func TestKcatSeesOnlyCommittedRows(t *testing.T) {
	kcat, err := exec.LookPath("kcat")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("kcat is not installed; scripts/test.sh installs it (apt-get install kcat)")
		}
		t.Skip("kcat is not installed (apt-get install kcat)")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	s := schemaStack(t)
	mustRun(t, s, "producer", "--input", "../data/sales.csv", "--event-time", "original", "--delay", "0")
	mustRun(t, s, "enricher", "--once", "--regions", "../data/regions.csv")

	// An aborted transaction on the summary topic, as a crashed enricher
	// would leave.
	cl := kafkatest.Client(t, s.Brokers(), kgo.TransactionalID("kcat-test"), kgo.DefaultProduceTopic(schema.SummaryTopic))
	if err := cl.BeginTransaction(); err != nil {
		t.Fatal(err)
	}
	for i := range 30 {
		if err := cl.ProduceSync(ctx, &kgo.Record{Key: []byte("aborted-" + strconv.Itoa(i)), Value: []byte("never committed")}).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}
	if err := cl.EndTransaction(ctx, kgo.TryAbort); err != nil {
		t.Fatal(err)
	}

	var want []string
	for _, r := range readAll(ctx, t, s, schema.SummaryTopic, kgo.ReadCommitted()) {
		if !r.Attrs.IsControl() {
			want = append(want, strconv.Itoa(int(r.Partition))+":"+strconv.FormatInt(r.Offset, 10))
		}
	}
	slices.Sort(want)
	read := func(isolation string) []string {
		cmd := exec.CommandContext(ctx, kcat, "-C", "-b", strings.Join(s.Brokers(), ","), "-t", schema.SummaryTopic,
			"-o", "beginning", "-e", "-q", "-f", "%p:%o:%k\n", "-X", "isolation.level="+isolation)
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("kcat %s: %v\n%s", isolation, err, out)
		}
		var got []string
		aborted := 0
		for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
			if strings.Contains(line, ":aborted-") {
				aborted++
				continue
			}
			p, o, _ := strings.Cut(line, ":")
			o, _, _ = strings.Cut(o, ":")
			got = append(got, p+":"+o)
		}
		if isolation == "read_uncommitted" && aborted != 30 {
			t.Errorf("kcat read_uncommitted saw %d of the 30 aborted records: the test cannot tell isolation levels apart", aborted)
		}
		if isolation == "read_committed" && aborted != 0 {
			t.Errorf("kcat read_committed saw %d aborted records", aborted)
		}
		slices.Sort(got)
		return got
	}
	read("read_uncommitted")
	got := read("read_committed")
	if len(want) == 0 {
		t.Fatal("no committed summary rows")
	}
	if !slices.Equal(got, want) {
		t.Errorf("kcat read_committed saw %d records, the committed ones are %d", len(got), len(want))
	}
}
