package e2e

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/salesstream/salesstream/internal/domain/schema"
	"github.com/salesstream/salesstream/internal/pipeline/producer"
)

// TestProducerResume kills the producer three times mid-replay and resumes
// it each time: in the end every row of the CSV is on the sales topic
// exactly once.
func TestProducerResume(t *testing.T) {
	s := schemaStack(t)
	const rows = 40_000
	salesPath := salesFile(t, rows, time.Second)
	for i := range 3 {
		args := []string{"--input", salesPath, "--event-time", "original", "--rate", "10000"}
		if i > 0 {
			args = append(args, "--resume")
		}
		cmd, out := startBin(t, s, "producer", args...)
		exited := watchExit(cmd)
		select {
		case err := <-exited:
			t.Fatalf("producer finished before it was killed (%v):\n%s", err, out)
		case <-time.After(time.Duration(300+300*i) * time.Millisecond):
		}
		cmd.Process.Kill()
		<-exited
	}
	out := mustRun(t, s, "producer", "--input", salesPath, "--event-time", "original", "--delay", "0", "--resume")
	t.Log(out.stdout)

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	seen := map[int]int{}
	for _, r := range readAll(ctx, t, s, schema.SalesTopic, kgo.ReadCommitted()) {
		h := headerMap(r)
		if h[producer.HeaderSource] != salesPath {
			t.Fatalf("record at %d:%d has source %q", r.Partition, r.Offset, h[producer.HeaderSource])
		}
		line, err := strconv.Atoi(h[producer.HeaderLine])
		if err != nil {
			t.Fatalf("record at %d:%d has line %q", r.Partition, r.Offset, h[producer.HeaderLine])
		}
		seen[line]++
	}
	missing, doubled := 0, 0
	for line := 2; line <= rows+1; line++ {
		switch seen[line] {
		case 0:
			missing++
		case 1:
		default:
			doubled++
		}
	}
	if missing > 0 || doubled > 0 || len(seen) != rows {
		t.Errorf("%d rows missing, %d sent more than once, %d distinct lines; want each of %d once", missing, doubled, len(seen), rows)
	}
}
