package e2e

import (
	"strings"
	"testing"
	"time"

	"github.com/salesstream/salesstream/internal/domain/schema"
)

// TestOnceReplayInBoundedBatchesMakesNoLateSale replays 60,000 generated
// sales (about 17 hours of original event times, --delay 0) into three
// sales partitions and works them off with `enricher --once` in batches of
// at most 5,000 records. Each batch takes a share of every partition in
// proportion to its lag, so the query's watermark never runs ahead of a
// partition: no sale is late, and the summary equals the batch
// aggregation of the file.
func TestOnceReplayInBoundedBatchesMakesNoLateSale(t *testing.T) {
	s := schemaStack(t)
	const n = 60_000
	salesPath := salesFile(t, n, time.Second)
	regionsPath := "../data/regions.csv"
	ensureTopic(t, s, schema.SalesTopic, 3)
	mustRun(t, s, "producer", "--input", salesPath, "--event-time", "original", "--delay", "0")
	enr := mustRun(t, s, "enricher", "--once", "--regions", regionsPath, "--max-records-per-trigger", "5000")
	if !strings.Contains(enr.stderr, "stats.late=0 ") {
		t.Errorf("the enricher counted late sales:\n%s", lastLine(enr.stderr))
	}
	out := mustRun(t, s, "reader", "--format", "json")

	compareRows(t, out.stdout, batchAggregate(t, salesPath, regionsPath, 10*time.Minute, 5*time.Minute))
	v := mustAudit(t, s, "--regions", regionsPath)
	if v.Sales != n || v.Aggregated != n || v.Late != 0 || v.Dead != 0 {
		t.Errorf("audit accounted for %+v, want %d sales, all aggregated, none late or dead", v, n)
	}
}
