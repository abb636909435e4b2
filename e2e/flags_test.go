package e2e

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"

	"github.com/salesstream/salesstream/internal/domain/schema"
)

// nowhere is where binaries that must not connect would connect.
var nowhere = fixed{"127.0.0.1:1", "http://127.0.0.1:1"}

// TestBadSettingsAreOneLine: a bad flag value, an unknown flag, or settings
// a run would refuse (also with --print-config) make the binary exit 1
// with one short line on stderr that names the flag, says what is right,
// and, for a bad flag, points to -h; nothing else is printed.
func TestBadSettingsAreOneLine(t *testing.T) {
	tests := []struct {
		bin  string
		args []string
		want []string
	}{
		{"enricher", []string{"--trigger", "5"}, []string{`enricher: --trigger "5": not a duration such as 750ms or 2m`, "enricher -h lists every flag"}},
		{"enricher", []string{"--output-mode", "upsert"}, []string{`--output-mode "upsert"`, "use update, complete or append", "-h"}},
		{"producer", []string{"--event-time", "later"}, []string{`--event-time "later"`, "want now, original or shifted", "producer -h"}},
		{"reader", []string{"--format", "yaml"}, []string{`--format "yaml"`, "want table, json or csv", "reader -h"}},
		{"schemas", []string{"--registry-ulr", "http://x"}, []string{"unknown flag --registry-ulr", "schemas -h"}},
		{"devstack", []string{"--kafka-addr"}, []string{"--kafka-addr needs a value, as in --kafka-addr 127.0.0.1:9092", "devstack -h"}},
		{"enricher", []string{"--window", "5m", "--slide", "10m", "--print-config"}, []string{"enricher: --slide 10m must not exceed --window 5m"}},
		{"enricher", []string{"--watermark", "-5m"}, []string{"enricher: --watermark -5m must not be negative"}},
		{"reader", []string{"--summary-topic", "", "--print-config"}, []string{"reader: --summary-topic must not be empty"}},
		{"enricher", []string{"--partitions", "0"}, []string{"enricher: --partitions 0: a topic needs at least one partition", "e.g. --partitions 3"}},
		{"producer", []string{"--partitions", "-2"}, []string{"producer: --partitions -2: a topic needs at least one partition"}},
	}
	for _, tt := range tests {
		t.Run(tt.bin+" "+strings.Join(tt.args, " "), func(t *testing.T) {
			r := runBin(t, nowhere, 30*time.Second, tt.bin, tt.args...)
			lines := strings.Split(strings.TrimRight(r.stderr, "\n"), "\n")
			if r.code != 1 || len(lines) != 1 || len(lines[0]) > 200 || r.stdout != "" {
				t.Fatalf("exit %d, stdout %q, stderr %d lines:\n%s\nwant exit 1 and one short line on stderr", r.code, r.stdout, len(lines), r.stderr)
			}
			for _, w := range tt.want {
				if !strings.Contains(lines[0], w) {
					t.Errorf("stderr %q lacks %q", lines[0], w)
				}
			}
		})
	}
	t.Run("help", func(t *testing.T) {
		r := runBin(t, nowhere, 30*time.Second, "enricher", "-h")
		if r.code != 0 || !strings.Contains(r.stderr, "Usage of enricher:") || !strings.Contains(r.stderr, "-trigger") {
			t.Fatalf("-h: exit %d, stderr:\n%s", r.code, r.stderr)
		}
	})
}

// TestTopicSettings: every binary that uses the sales or summary topic
// takes it from --sales-topic / --summary-topic or SALES_TOPIC /
// SUMMARY_TOPIC, and the devstack takes its settings from the
// environment, as --print-config shows.
func TestTopicSettings(t *testing.T) {
	t.Setenv("SALES_TOPIC", "shop.sales")
	t.Setenv("SUMMARY_TOPIC", "shop.summary")
	t.Setenv("DEVSTACK_DATA_DIR", "/tmp/elsewhere")
	tests := []struct {
		bin  string
		want []string
	}{
		{"producer", []string{"--sales-topic shop.sales env SALES_TOPIC"}},
		{"enricher", []string{"--sales-topic shop.sales env SALES_TOPIC", "--summary-topic shop.summary env SUMMARY_TOPIC"}},
		{"reader", []string{"--summary-topic shop.summary env SUMMARY_TOPIC"}},
		{"schemas", []string{"--sales-topic shop.sales env SALES_TOPIC", "--summary-topic shop.summary env SUMMARY_TOPIC"}},
		{"devstack", []string{"--data-dir /tmp/elsewhere env DEVSTACK_DATA_DIR", "--kafka-addr 127.0.0.1:9092 default"}},
	}
	for _, tt := range tests {
		t.Run(tt.bin, func(t *testing.T) {
			r := runBin(t, nowhere, 30*time.Second, tt.bin, "--print-config")
			if r.code != 0 {
				t.Fatalf("exit %d:\n%s", r.code, r.stderr)
			}
			var lines []string
			for _, l := range strings.Split(r.stdout, "\n") {
				lines = append(lines, strings.Join(strings.Fields(l), " "))
			}
			for _, w := range tt.want {
				if !strings.Contains(strings.Join(lines, "\n"), w) {
					t.Errorf("--print-config lacks %q:\n%s", w, r.stdout)
				}
			}
		})
	}
}

// TestPipelineOtherTopics runs the four jobs on topics of other names,
// given by environment variable and by flag: the summary equals the batch
// aggregation, and the default topics are never created.
func TestPipelineOtherTopics(t *testing.T) {
	s := stack(t)
	t.Setenv("SALES_TOPIC", "shop.sales")
	mustRun(t, s, "schemas", "--summary-topic", "shop.summary")
	mustRun(t, s, "producer", "--input", "../data/sales.csv", "--event-time", "original", "--delay", "0")
	mustRun(t, s, "enricher", "--once", "--regions", "../data/regions.csv", "--summary-topic", "shop.summary")
	out := mustRun(t, s, "reader", "--format", "json", "--summary-topic", "shop.summary")
	compareRows(t, out.stdout, batchAggregate(t, "../data/sales.csv", "../data/regions.csv", 10*time.Minute, 5*time.Minute))

	cl := newClient(t, s)
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	tds, err := kadm.NewClient(cl).ListTopics(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, topic := range []string{schema.SalesTopic, schema.SummaryTopic} {
		if tds.Has(topic) {
			t.Errorf("default topic %s was created", topic)
		}
	}
	if !tds.Has("shop.sales") || !tds.Has("shop.summary") {
		t.Errorf("topics %v lack shop.sales or shop.summary", tds.Names())
	}
}
