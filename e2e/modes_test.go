package e2e

import (
	"testing"
	"time"
)

// TestOutputModes runs the enricher in complete and append modes. With
// one micro-batch, complete writes every row, and append writes exactly the
// windows the watermark closed: those ending at or before the largest
// event time minus the 10-minute delay. (The watermark is the query's in
// every layout; TestQueryWatermarkLayouts runs several partitions.) The
// audit agrees in both modes.
func TestOutputModes(t *testing.T) {
	want := batchAggregate(t, "../data/sales.csv", "../data/regions.csv", 10*time.Minute, 5*time.Minute)
	// The last sale of data/sales.csv, from which the watermark follows.
	last := time.Date(2022, 5, 6, 12, 48, 39, 707369000, time.UTC).Truncate(time.Millisecond)
	watermark := last.Add(-10 * time.Minute)
	closed := map[summaryKey]summary{}
	for k, v := range want {
		if !k.Start.Add(10 * time.Minute).After(watermark) {
			closed[k] = v
		}
	}
	if len(closed) == len(want) || len(closed) == 0 {
		t.Fatalf("the watermark closes %d of %d windows: the test cannot tell the modes apart", len(closed), len(want))
	}
	for _, tt := range []struct {
		mode string
		want map[summaryKey]summary
	}{
		{"complete", want},
		{"append", closed},
	} {
		t.Run(tt.mode, func(t *testing.T) {
			s := schemaStack(t)
			// One partition: the watermark of the one repartition
			// partition is the query's, as in Spark.
			mustRun(t, s, "producer", "--input", "../data/sales.csv", "--event-time", "original", "--delay", "0", "--partitions", "1")
			mustRun(t, s, "enricher", "--once", "--output-mode", tt.mode, "--partitions", "1", "--regions", "../data/regions.csv")
			out := mustRun(t, s, "reader", "--format", "json")
			compareRows(t, out.stdout, tt.want)
			// The audit checks the windows the mode writes: in append
			// mode those the watermark closed.
			if v := mustAudit(t, s, "--regions", "../data/regions.csv"); v.Windows != int64(len(tt.want)) || v.Aggregated != 1800 {
				t.Errorf("audit checked %d windows and aggregated %d sales, want %d and 1800", v.Windows, v.Aggregated, len(tt.want))
			}
		})
	}
}
