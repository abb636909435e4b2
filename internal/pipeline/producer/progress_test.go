package producer

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/salesstream/salesstream/internal/domain/sales"
	"github.com/salesstream/salesstream/internal/platform/kafkatest"
)

// TestProgressIsReported: Progress is called about twice a second, also
// for a paced run that sends far fewer than 256 sales a second (the
// reference pace is one every 750 ms); an unpaced run reports at most
// once per 256 rows and at the end.
func TestProgressIsReported(t *testing.T) {
	for _, tc := range []struct {
		name      string
		delay     time.Duration
		tick      time.Duration // the fake clock's advance at each reading
		rows      int
		wantAtMin int // Progress calls, the final one included
		wantAtMax int
	}{
		{"paced at the reference pace", 750 * time.Millisecond, time.Second, 10, 11, 11},
		{"unpaced", 0, time.Second, 300, 2, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var (
				mu  sync.Mutex
				now = t0
			)
			clock := func() time.Time {
				mu.Lock()
				defer mu.Unlock()
				now = now.Add(tc.tick)
				return now
			}
			calls := 0
			brokers := newCluster(t, salesTopic, rejectTopic)
			p, err := New(kafkatest.Client(t, brokers), testKeyEnc{}, testValEnc{}, Config{
				Topic: salesTopic, RejectTopic: rejectTopic, EventTime: Original, Delay: tc.delay,
				Clock: clock, Progress: func(Stats) { calls++ },
			})
			if err != nil {
				t.Fatal(err)
			}
			items := make([]sourceItem, tc.rows)
			for i := range items {
				items[i] = sourceItem{s: sales.Sale{PaymentID: int32(i), CustomerID: 1, Amount: 1, PaymentDate: t0, Country: "Chile"}}
			}
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			if _, err := p.Run(ctx, &sliceSource{items: items}); err != nil {
				t.Fatal(err)
			}
			if calls < tc.wantAtMin || calls > tc.wantAtMax {
				t.Fatalf("Progress called %d times, want %d to %d", calls, tc.wantAtMin, tc.wantAtMax)
			}
		})
	}
}
