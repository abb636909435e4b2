package e2e

import (
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
	dir := referenceData(t)
	testPipeline(t, dir+"/sales_incremental_large.csv", dir+"/sales_regions.csv")
}

func testPipeline(t *testing.T, salesPath, regionsPath string) {
	s := schemaStack(t)
	prod := mustRun(t, s, "producer", "--input", salesPath, "--event-time", "original", "--delay", "0")
	if !strings.Contains(prod.stdout+prod.stderr, "sent 1800") {
		t.Errorf("producer did not report 1800 sales sent:\n%s\n%s", prod.stdout, prod.stderr)
	}
	mustRun(t, s, "enricher", "--once", "--regions", regionsPath)
	out := mustRun(t, s, "reader", "--format", "json")

	compareRows(t, out.stdout, batchAggregate(t, salesPath, regionsPath, 10*time.Minute, 5*time.Minute))
	v := mustAudit(t, s, "--regions", regionsPath)
	if v.Sales != 1800 || v.Aggregated != 1800 {
		t.Errorf("audit accounted for %+v, want 1800 sales, all aggregated", v)
	}
}
