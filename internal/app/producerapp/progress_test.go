package producerapp

import (
	"strings"
	"testing"
	"time"

	"github.com/salesstream/salesstream/internal/pipeline/producer"
)

func TestProgressLine(t *testing.T) {
	tests := []struct {
		name    string
		st      producer.Stats
		total   int64
		limited bool
		want    string
	}{
		{"known total", producer.Stats{Read: 125, Sent: 119, Bad: 1, Elapsed: 90 * time.Second}, 1800, false,
			"sent 119 of 1800 rows (6.7%), 1 bad, 1.3 rows/s, 21m11s left"},
		{"nothing sent yet", producer.Stats{}, 1800, false, "sent 0 of 1800 rows (0.0%), 0 bad, 0.0 rows/s, time left unknown"},
		{"resumed with a limit: skipped rows are not progress", producer.Stats{Read: 110, Skipped: 100, Sent: 10, Elapsed: 10 * time.Second}, 20, true,
			"sent 10 of 20 rows (50.0%), 0 bad, 1.0 rows/s, 10s left"},
		{"resumed through the file: skipped rows are done", producer.Stats{Read: 1010, Skipped: 1000, Sent: 10, Elapsed: 10 * time.Second}, 1800, false,
			"sent 10 of 1800 rows (56.1%), 0 bad, 1.0 rows/s, 13m10s left"},
		{"unknown total", producer.Stats{Read: 10, Sent: 10, Elapsed: 2 * time.Second}, 0, false, "sent 10 rows, 0 bad, 5.0 rows/s"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := progressLine(tt.st, tt.total, tt.limited); got != tt.want {
				t.Errorf("progressLine = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestToSendAndCountLines(t *testing.T) {
	if n := countLines(strings.NewReader("h\n1\n\n2\n3")); n != 4 {
		t.Errorf("countLines = %d, want 4 (header and three rows)", n)
	}
	for _, tt := range []struct{ rows, limit, want int64 }{{1800, 0, 1800}, {1800, 5, 5}, {3, 5, 3}, {0, 5, 5}, {0, 0, 0}} {
		if got := toSend(tt.rows, tt.limit); got != tt.want {
			t.Errorf("toSend(%d, %d) = %d, want %d", tt.rows, tt.limit, got, tt.want)
		}
	}
}
