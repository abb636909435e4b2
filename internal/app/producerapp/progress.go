package producerapp

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/salesstream/salesstream/internal/pipeline/producer"
)

// progressLine says how far a run is: rows sent of total (0 if unknown),
// the percentage done, the rate of sales sent and the time left at that
// rate. Rows done are those sent and the bad ones, and, when total is the
// file's rows (not a --limit), those a resumed run skipped.
func progressLine(st producer.Stats, total int64, limited bool) string {
	rate := float64(st.Sent) / max(st.Elapsed.Seconds(), 1e-9)
	if total <= 0 {
		return fmt.Sprintf("sent %d rows, %d bad, %.1f rows/s", st.Sent, st.Bad, rate)
	}
	done := st.Sent + st.Bad
	if !limited {
		done += st.Skipped
	}
	done = min(done, total)
	left := "time left unknown"
	if rate > 0 {
		left = (time.Duration(float64(total-done) / rate * float64(time.Second))).Round(time.Second).String() + " left"
	}
	return fmt.Sprintf("sent %d of %d rows (%.1f%%), %d bad, %.1f rows/s, %s",
		st.Sent, total, 100*float64(done)/float64(total), st.Bad, rate, left)
}

// countRows returns the data rows of a local CSV (lines after the header,
// blank lines aside), or 0 for an s3:// input or one it cannot read: the
// progress then shows no total.
func countRows(path string) int64 {
	if strings.HasPrefix(path, "s3://") {
		return 0
	}
	f, err := os.Open(path)
	if err != nil {
		return 0
	}
	defer f.Close()
	return countLines(f) - 1
}

func countLines(r io.Reader) int64 {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	var n int64
	for sc.Scan() {
		if strings.TrimSpace(sc.Text()) != "" {
			n++
		}
	}
	return max(n, 1)
}

// toSend returns the rows a run will send of a file of rows data rows,
// with limit (0: none): 0 if unknown.
func toSend(rows, limit int64) int64 {
	switch {
	case limit > 0 && (rows <= 0 || limit < rows):
		return limit
	case rows > 0:
		return rows
	}
	return 0
}

// rowsHeld returns how many records topic holds: its end offsets less
// its start offsets, summed over partitions.
func rowsHeld(ctx context.Context, cl *kgo.Client, topic string) (int64, error) {
	adm := kadm.NewClient(cl)
	starts, err := adm.ListStartOffsets(ctx, topic)
	if err == nil {
		err = starts.Error()
	}
	if err != nil {
		return 0, fmt.Errorf("list start offsets of %s: %w", topic, err)
	}
	ends, err := adm.ListEndOffsets(ctx, topic)
	if err == nil {
		err = ends.Error()
	}
	if err != nil {
		return 0, fmt.Errorf("list end offsets of %s: %w", topic, err)
	}
	var n int64
	ends.Each(func(o kadm.ListedOffset) {
		if s, ok := starts.Lookup(o.Topic, o.Partition); ok {
			n += o.Offset - s.Offset
		}
	})
	return n, nil
}
