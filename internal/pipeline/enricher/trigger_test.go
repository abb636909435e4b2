package enricher

import (
	"context"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// TestBatchBounds: a batch is full at its record bound or its byte bound,
// whichever comes first, and a poll never asks for more records than
// the bound leaves.
func TestBatchBounds(t *testing.T) {
	l := bounds{records: 3, bytes: 100}
	rec := func(n int) *kgo.Record { return &kgo.Record{Key: make([]byte, 1), Value: make([]byte, n-1)} }
	for _, tt := range []struct {
		name  string
		sizes []int
		full  bool
		room  int
	}{
		{"empty", nil, false, 3},
		{"one small", []int{10}, false, 2},
		{"records bound", []int{10, 10, 10}, true, 1},
		{"bytes bound", []int{60, 40}, true, 1},
		{"just under both", []int{50, 49}, false, 1},
		{"one huge record", []int{1000}, true, 2},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var b batch
			for _, n := range tt.sizes {
				b.take(rec(n))
			}
			if got := l.full(&b); got != tt.full {
				t.Errorf("full = %v, want %v (polled %d, %d bytes)", got, tt.full, b.polled, b.bytes)
			}
			if got := l.room(&b); got != tt.room {
				t.Errorf("room = %d, want %d", got, tt.room)
			}
			if len(tt.sizes) > 0 && b.began.IsZero() {
				t.Error("a batch with records has no start time")
			}
			b.reset()
			if b.polled != 0 || b.bytes != 0 || !b.began.IsZero() {
				t.Errorf("reset left %d polled, %d bytes, began %v", b.polled, b.bytes, b.began)
			}
		})
	}
}

// TestTriggerDue: a full batch ends at once under every trigger; otherwise
// continuous ends after each poll and processing time at its tick, which
// moves on by whole intervals only once it has passed.
func TestTriggerDue(t *testing.T) {
	full := batch{polled: 10}
	part := batch{polled: 1}
	l := bounds{records: 10, bytes: 1 << 20}
	now := time.Now()
	for _, tt := range []struct {
		name string
		tr   trigger
		b    batch
		due  bool
	}{
		{"continuous", trigger{limits: l}, part, true},
		{"before the tick", trigger{limits: l, interval: time.Minute, next: now.Add(time.Minute)}, part, false},
		{"full before the tick", trigger{limits: l, interval: time.Minute, next: now.Add(time.Minute)}, full, true},
		{"at the tick", trigger{limits: l, interval: time.Minute, next: now.Add(-time.Millisecond)}, part, true},
		{"open too long", trigger{limits: l, interval: time.Hour, next: now.Add(time.Hour), maxOpen: time.Minute}, batch{polled: 1, began: now.Add(-time.Minute)}, true},
		{"open, not too long", trigger{limits: l, interval: time.Hour, next: now.Add(time.Hour), maxOpen: time.Minute}, batch{polled: 1, began: now}, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.tr.due(&tt.b); got != tt.due {
				t.Errorf("due = %v, want %v", got, tt.due)
			}
		})
	}

	tr := trigger{limits: l, interval: time.Minute, next: now.Add(time.Minute)}
	if done, err := tr.settled(context.Background(), nil, true); done || err != nil || !tr.next.Equal(now.Add(time.Minute)) {
		t.Errorf("a full batch before the tick moved it to %v (done %v, %v)", tr.next, done, err)
	}
	tr.next = now.Add(-90 * time.Second)
	if done, err := tr.settled(context.Background(), nil, true); done || err != nil || !tr.next.Equal(now.Add(30*time.Second)) {
		t.Errorf("after a late tick the next is %v, want %v", tr.next, now.Add(30*time.Second))
	}
	ctx, cancel := tr.pollContext(context.Background())
	defer cancel()
	if d, ok := ctx.Deadline(); !ok || !d.Equal(tr.next) {
		t.Errorf("poll deadline %v, want the tick %v", d, tr.next)
	}
}

// TestNewBounds: zero bounds take the defaults, negative ones are refused.
func TestNewBounds(t *testing.T) {
	cfg := DefaultConfig()
	cfg.MaxRecordsPerTrigger, cfg.MaxBytesPerTrigger, cfg.FetchMaxBytes = 0, 0, 0
	e, err := New(cfg, nil, nil, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if e.cfg.MaxRecordsPerTrigger != DefaultMaxRecordsPerTrigger || e.cfg.MaxBytesPerTrigger != DefaultMaxBytesPerTrigger || e.cfg.FetchMaxBytes != DefaultFetchMaxBytes {
		t.Errorf("zero bounds became %d records, %d bytes, %d fetch bytes", e.cfg.MaxRecordsPerTrigger, e.cfg.MaxBytesPerTrigger, e.cfg.FetchMaxBytes)
	}
	cfg.MaxRecordsPerTrigger = -1
	if _, err := New(cfg, nil, nil, nil, nil); err == nil {
		t.Error("a negative record bound was accepted")
	}
}

func TestTxnTimeout(t *testing.T) {
	for _, tt := range []struct{ trigger, want time.Duration }{
		{0, 40 * time.Second},
		{100 * time.Millisecond, 40 * time.Second},
		{2 * time.Minute, 4*time.Minute + 30*time.Second},
		{time.Hour, 15 * time.Minute},
	} {
		if got := txnTimeout(tt.trigger); got != tt.want {
			t.Errorf("txnTimeout(%v) = %v, want %v", tt.trigger, got, tt.want)
		}
	}
}
