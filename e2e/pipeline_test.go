package e2e

import (
	"encoding/json"
	"os"
	"sort"
	"strings"
	"testing"
	"time"
)

// jsonRow is a row of the reader's JSON output.
type jsonRow struct {
	Region      string `json:"region"`
	WindowStart string `json:"window_start"`
	WindowEnd   string `json:"window_end"`
	Sales       string `json:"sales"`
	Orders      int64  `json:"orders"`
}

// TestPipelineProjectData runs data/sales.csv through schemas, producer
// (original event times, no delay), enricher (--once) and reader (JSON),
// and compares every row with the batch aggregation.
func TestPipelineProjectData(t *testing.T) {
	testPipeline(t, "../data/sales.csv", "../data/regions.csv")
}

// TestPipelineReferenceData does the same with the reference pipeline's
// own files, whose regions file has quirks and misses some countries.
func TestPipelineReferenceData(t *testing.T) {
	dir := "../../shared/reference/pagila"
	if _, err := os.Stat(dir); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("reference data missing in CI: %v", err)
		}
		t.Skipf("reference data not present: %v", err)
	}
	testPipeline(t, dir+"/sales_incremental_large.csv", dir+"/sales_regions.csv")
}

func testPipeline(t *testing.T, salesPath, regionsPath string) {
	s := stack(t)
	mustRun(t, s, "schemas")
	prod := mustRun(t, s, "producer", "--input", salesPath, "--event-time", "original", "--delay", "0")
	if !strings.Contains(prod.stdout+prod.stderr, "sent 1800") {
		t.Errorf("producer did not report 1800 sales sent:\n%s\n%s", prod.stdout, prod.stderr)
	}
	mustRun(t, s, "enricher", "--once", "--regions", regionsPath)
	out := mustRun(t, s, "reader", "--format", "json")

	want := batchAggregate(t, salesPath, regionsPath, 10*time.Minute, 5*time.Minute)
	got := map[summaryKey]jsonRow{}
	dec := json.NewDecoder(strings.NewReader(out.stdout))
	for dec.More() {
		var r jsonRow
		if err := dec.Decode(&r); err != nil {
			t.Fatalf("reader output is not JSON lines: %v\n%s", err, out.stdout)
		}
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
	for k, w := range want {
		g, ok := got[k]
		if !ok {
			missing = append(missing, k.Region+"@"+k.Start.Format(time.RFC3339))
			continue
		}
		if g.Sales != fmtCents(w.Cents) || g.Orders != w.Orders {
			t.Errorf("%s %s: sales %s orders %d, want %s and %d", k.Region, k.Start.Format(time.RFC3339), g.Sales, g.Orders, fmtCents(w.Cents), w.Orders)
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("%d rows missing, first: %v", len(missing), missing[:min(5, len(missing))])
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			t.Errorf("unexpected row %s %s", k.Region, k.Start.Format(time.RFC3339))
		}
	}
}
