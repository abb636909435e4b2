package reader

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/salesstream/salesstream/internal/platform/topics"
)

// TestFollowStream checks that a streaming Follow hands every committed
// record up to the end to Committed in offset order, in chunks, then
// calls Table with the counts and no rows, then follows new commits; and
// that an error of Committed ends it.
func TestFollowStream(t *testing.T) {
	const topic = "summary-stream"
	e := newEnv(t)
	ctx := testContext(t)
	cl := e.writer(ctx, t, topics.Spec{Name: topic, Partitions: 1, Compacted: true})
	n := streamChunk + 500 // more than one chunk
	var recs []*kgo.Record
	for i := range n {
		recs = append(recs, e.summary(t, topic, "Europe", w0, 0, int64(i)))
	}
	recs = append(recs, e.tombstone(t, topic, "Europe", w0), &kgo.Record{Topic: topic, Key: []byte("not avro"), Value: []byte("junk")})
	if err := cl.ProduceSync(ctx, recs...).FirstErr(); err != nil {
		t.Fatal(err)
	}
	e.transact(t, "aborted", false, e.summary(t, topic, "Asia", w0, 1, 1))

	var (
		mu      sync.Mutex
		got     []Change
		chunks  int
		table   *Result
		errs    []error
		live    = make(chan struct{})
		liveSet bool
	)
	fctx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan error, 1)
	go func() {
		done <- Follow(fctx, []kgo.Opt{kgo.SeedBrokers(e.Stack.Brokers()...)}, e.Serde, topic, Follower{
			Stream: true,
			Table: func(res Result) error {
				mu.Lock()
				defer mu.Unlock()
				table = &res
				return nil
			},
			Committed: func(cs []Change) error {
				mu.Lock()
				defer mu.Unlock()
				if len(cs) > streamChunk {
					t.Errorf("a chunk of %d changes, want at most %d", len(cs), streamChunk)
				}
				chunks++
				got = append(got, cs...)
				if table != nil && !liveSet {
					liveSet = true
					close(live)
				}
				if len(got) > n+1+1 {
					return errors.New("enough")
				}
				return nil
			},
			Error: func(err error) { mu.Lock(); errs = append(errs, err); mu.Unlock() },
		})
	}()
	deadline := time.Now().Add(20 * time.Second)
	for {
		mu.Lock()
		ok := table != nil
		mu.Unlock()
		if ok || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	mu.Lock()
	if table == nil {
		mu.Unlock()
		t.Fatal("Table was not called within 20 s")
	}
	if len(table.Rows) != 0 || table.Records != n+2 || table.Undecodable != 1 {
		t.Errorf("Table got %d rows, %d records, %d undecodable; want no rows, %d records, 1 undecodable", len(table.Rows), table.Records, table.Undecodable, n+2)
	}
	if len(got) != n+1 || chunks < 2 {
		t.Fatalf("Committed got %d changes in %d chunks before Table, want %d in at least 2", len(got), chunks, n+1)
	}
	for i, c := range got[:n] {
		if c.Deleted || c.Row.Orders != int64(i) {
			t.Fatalf("change %d = %+v, want the row of %d orders", i, c, i)
		}
	}
	if !got[n].Deleted {
		t.Errorf("last change %+v, want the tombstone", got[n])
	}
	if len(errs) != 1 {
		t.Errorf("errors %v, want the undecodable record's", errs)
	}
	mu.Unlock()
	// A commit after the start comes through Committed; the next ends
	// Follow with Committed's error.
	e.transact(t, "later", true, e.summary(t, topic, "Oceania", w1, 5, 1))
	select {
	case <-live:
	case <-time.After(20 * time.Second):
		t.Fatal("a later commit did not reach Committed")
	}
	e.transact(t, "later", true, e.summary(t, topic, "Oceania", w1, 6, 2))
	select {
	case err := <-done:
		if err == nil || err.Error() != "enough" {
			t.Errorf("Follow returned %v, want Committed's error", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("Follow did not end on Committed's error")
	}
}
