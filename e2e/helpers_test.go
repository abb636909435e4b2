package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/salesstream/salesstream/internal/app"
	"github.com/salesstream/salesstream/internal/platform/kafkatest"
	"github.com/salesstream/salesstream/pkg/registry"
	"github.com/salesstream/salesstream/pkg/serde"
)

// endOffsets returns the end of each partition of topic for a consumer of
// isolation level iso: the last stable offset or the high watermark.
func endOffsets(ctx context.Context, t *testing.T, cl *kgo.Client, topic string, iso kgo.IsolationLevel) map[int32]int64 {
	t.Helper()
	adm := kadm.NewClient(cl)
	list := adm.ListEndOffsets
	if iso == kgo.ReadCommitted() {
		list = adm.ListCommittedOffsets
	}
	offs, err := list(ctx, topic)
	if err != nil {
		t.Fatalf("list end offsets of %s: %v", topic, err)
	}
	ends := map[int32]int64{}
	offs.Each(func(o kadm.ListedOffset) {
		if o.Err != nil {
			t.Fatalf("end offset of %s[%d]: %v", o.Topic, o.Partition, o.Err)
		}
		ends[o.Partition] = o.Offset
	})
	return ends
}

// decodeRows decodes the reader's JSON lines; anything else in them fails t.
func decodeRows(t *testing.T, jsonLines string) []jsonRow {
	t.Helper()
	var rows []jsonRow
	dec := json.NewDecoder(strings.NewReader(jsonLines))
	for dec.More() {
		var r jsonRow
		if err := dec.Decode(&r); err != nil {
			t.Fatalf("reader output is not JSON lines: %v", err)
		}
		rows = append(rows, r)
	}
	return rows
}

// compareRows checks the reader's JSON lines against the expected rows,
// every (region, window) to the cent.
func compareRows(t *testing.T, jsonLines string, want map[summaryKey]summary) {
	t.Helper()
	got := map[summaryKey]jsonRow{}
	for _, r := range decodeRows(t, jsonLines) {
		start, err := time.Parse(time.RFC3339, r.WindowStart)
		if err != nil {
			t.Fatalf("window_start %q: %v", r.WindowStart, err)
		}
		end, err := time.Parse(time.RFC3339, r.WindowEnd)
		if err != nil || end.Sub(start) != 10*time.Minute {
			t.Errorf("row %+v: window_end is not window_start + 10m", r)
		}
		k := summaryKey{r.Region, start.UTC()}
		if _, dup := got[k]; dup {
			t.Errorf("row %+v printed twice", r)
		}
		got[k] = r
	}
	if len(got) != len(want) {
		t.Errorf("reader printed %d rows, batch aggregation has %d", len(got), len(want))
	}
	var missing []string
	bad := 0
	for k, w := range want {
		g, ok := got[k]
		if !ok {
			missing = append(missing, k.Region+"@"+k.Start.Format(time.RFC3339))
			continue
		}
		if g.Sales != fmtCents(w.Cents) || g.Orders != w.Orders {
			if bad++; bad <= 10 {
				t.Errorf("%s %s: sales %s orders %d, want %s and %d", k.Region, k.Start.Format(time.RFC3339), g.Sales, g.Orders, fmtCents(w.Cents), w.Orders)
			}
		}
	}
	if bad > 10 {
		t.Errorf("... %d rows differ in all", bad)
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("%d rows missing, first: %v", len(missing), missing[:min(5, len(missing))])
	}
	extra := 0
	for k := range got {
		if _, ok := want[k]; !ok {
			if extra++; extra <= 5 {
				t.Errorf("unexpected row %s %s", k.Region, k.Start.Format(time.RFC3339))
			}
		}
	}
}

// newClient returns a plain client of s's brokers, closed when t ends if
// the caller has not closed it before.
func newClient(t *testing.T, s endpoints) *kgo.Client {
	t.Helper()
	return kafkatest.Client(t, s.Brokers())
}

// topicEncoders returns the encoders of topic's registered key and value
// schemas, read from s's registry.
func topicEncoders(ctx context.Context, t *testing.T, s endpoints, topic string) (key, value *serde.Encoder) {
	t.Helper()
	reg, err := registry.New(s.RegistryURL())
	if err != nil {
		t.Fatal(err)
	}
	key, value, err = app.Encoders(ctx, serde.New(reg), topic)
	if err != nil {
		t.Fatal(err)
	}
	return key, value
}

// topicWriter returns a client producing to topic, closed when t ends,
// and the encoders of the topic's keys and values.
func topicWriter(ctx context.Context, t *testing.T, s endpoints, topic string) (*kgo.Client, *serde.Encoder, *serde.Encoder) {
	t.Helper()
	keyEnc, valEnc := topicEncoders(ctx, t, s, topic)
	return kafkatest.Client(t, s.Brokers(), kgo.DefaultProduceTopic(topic)), keyEnc, valEnc
}

// watchExit waits for cmd to exit in the background; the channel receives
// the error of its Wait.
func watchExit(cmd *exec.Cmd) <-chan error {
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	return done
}

// awaitExit waits up to d for the process named what to exit, from the
// channel of watchExit, and fails t with its output out if it exits with
// an error or is still running after d.
func awaitExit(t *testing.T, done <-chan error, d time.Duration, what string, out fmt.Stringer) {
	t.Helper()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("%s did not exit cleanly: %v\n%s", what, err, out)
		}
	case <-time.After(d):
		t.Fatalf("%s did not exit within %v:\n%s", what, d, out)
	}
}

// referenceData returns the folder of the reference pipeline's data,
// skipping t where it is absent (failing it in CI, where it must be).
func referenceData(t *testing.T) string {
	t.Helper()
	const dir = "../../shared/reference/pagila"
	if _, err := os.Stat(dir); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("reference data missing in CI: %v", err)
		}
		t.Skipf("reference data not present: %v", err)
	}
	return dir
}

// salesFile writes generated sales, as writeSales does, to sales.csv in a
// temporary folder of t and returns its path.
func salesFile(t *testing.T, n int, gap time.Duration) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "sales.csv")
	writeSales(t, path, n, gap)
	return path
}

// seededSalesFile writes n sales from a generator of the given seed and
// start to a new file in a temporary folder, and returns its path.
func seededSalesFile(t *testing.T, n int, gap time.Duration, seed uint64, start time.Time) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "sales.csv")
	writeSalesSeeded(t, path, n, gap, seed, start)
	return path
}
