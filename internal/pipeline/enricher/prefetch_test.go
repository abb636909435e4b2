package enricher

import (
	"context"
	"errors"
	"maps"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/salesstream/salesstream/internal/platform/topics"
)

// TestPlanTakesTheEndsListedAhead: a streaming batch plans its shares from
// the ends listed ahead when there are some, without a request of its own
// (the session here has no client: a request would panic), and only once.
func TestPlanTakesTheEndsListedAhead(t *testing.T) {
	const sales = "sales"
	s := &session{e: &Enricher{cfg: Config{SalesTopic: sales}}, asg: &assignments{},
		src: &sourceClock{asg: &assignments{}, lastData: map[int32]time.Time{0: {}, 1: {}}}}
	ch := make(chan listed, 1)
	ch <- listed{ends: topics.EndsAt(sales, map[int32]int64{0: 40, 1: 50, 2: 7}, map[int32]int64{0: 100, 1: 50, 2: 9})}
	s.ahead = ch
	lag, end, err := s.lagAtStart(context.Background(), &trigger{interval: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	wantLag, wantEnd := map[int32]int64{0: 60, 1: 0}, map[int32]int64{0: 100, 1: 50, 2: 9} // partition 2 is not owned
	if !maps.Equal(lag, wantLag) || !maps.Equal(end, wantEnd) {
		t.Errorf("lag %v and ends %v, want %v and %v", lag, end, wantLag, wantEnd)
	}
	if s.ahead != nil {
		t.Error("the listing is kept after the plan took it")
	}
}

// TestListAheadAfterAFullBatch: when a batch that filled up ends under a
// processing-time trigger, the ends of the sales partitions are listed in
// the background from the group's positions, and the next plan takes them
// rather than the ends as they are when it plans; but it lists them again
// if that listing failed or the group changed the instance's partitions
// since.
func TestListAheadAfterAFullBatch(t *testing.T) {
	for _, tc := range []struct {
		name  string
		spoil func(s *session, l *listed)
		want0 int64 // partition 0's end the plan takes
	}{
		{"taken", func(*session, *listed) {}, 3},
		{"listing failed", func(_ *session, l *listed) { l.err = errors.New("listing failed") }, 4},
		{"group changed since", func(s *session, _ *listed) { s.asg.changes.Add(1) }, 4},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, produce := listAheadSession(t)
			ctx := testContext(t)
			s.ahead = s.listAhead(ctx, &trigger{interval: time.Second}, true)
			if s.ahead == nil {
				t.Fatal("the ends were not listed ahead")
			}
			var l listed
			select {
			case l = <-s.ahead:
			case <-ctx.Done():
				t.Fatal("the listing ahead did not come before the deadline")
			}
			tc.spoil(s, &l)
			ch := make(chan listed, 1)
			ch <- l
			s.ahead = ch
			produce() // a sale written since the listing
			lag, end, err := s.lagAtStart(ctx, &trigger{interval: time.Second})
			if err != nil {
				t.Fatal(err)
			}
			if want := map[int32]int64{0: tc.want0, 1: 2}; !maps.Equal(lag, want) || !maps.Equal(end, want) {
				t.Errorf("lag %v and ends %v, want both %v", lag, end, want)
			}
		})
	}
}

// listAheadSession returns a session, with a client of a cluster whose
// two sales partitions hold 3 and 2 records, at the end of a batch that
// took its shares; and a function that writes one more sale to partition 0.
func listAheadSession(t *testing.T) (*session, func()) {
	t.Helper()
	opts, cl := manualCluster(t)
	ctx := testContext(t)
	const sales = "sales"
	if err := topics.Ensure(ctx, cl, topics.Spec{Name: sales, Partitions: 2}); err != nil {
		t.Fatal(err)
	}
	var recs []*kgo.Record
	for i := range 5 {
		recs = append(recs, &kgo.Record{Topic: sales, Partition: int32(i % 2), Value: []byte("x")})
	}
	if err := cl.ProduceSync(ctx, recs...).FirstErr(); err != nil {
		t.Fatal(err)
	}
	gts, err := kgo.NewGroupTransactSession(append(opts, kgo.TransactionalID("t"), kgo.ConsumerGroup("g"), kgo.ConsumeTopics(sales))...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(gts.Close)
	s := &session{e: &Enricher{cfg: Config{SalesTopic: sales}}, gts: gts, asg: &assignments{},
		src: &sourceClock{asg: &assignments{}, lastData: map[int32]time.Time{0: {}, 1: {}}}}
	s.sh.set(3, map[int32]int64{0: 3, 1: 2}, map[int32]int64{0: 3, 1: 2}, false)
	s.sh.take(0, 1)
	s.sh.take(1, 0)
	if !s.sh.met() {
		t.Fatalf("shares %v not taken by %v", s.sh.share, s.sh.taken)
	}
	return s, func() {
		if err := cl.ProduceSync(ctx, &kgo.Record{Topic: sales, Partition: 0, Value: []byte("y")}).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}
}

// TestListAheadOnlyForAProcessingTimeBacklog: the ends are listed ahead
// only under a processing-time trigger, for a backlog after the batch that
// ends, when it leaves no share to take and no earlier listing is under way;
// otherwise the next batch plans as it would have (available-now from its
// own ends, continuous and caught-up batches not at all, remaining shares
// as they are, and after a slow listing from a listing of its own).
func TestListAheadOnlyForAProcessingTimeBacklog(t *testing.T) {
	for _, tc := range []struct {
		name    string
		tr      trigger
		backlog bool
		shares  bool
		busy    bool
	}{
		{"available-now", trigger{availableNow: true}, true, false, false},
		{"continuous", trigger{}, true, false, false},
		{"caught up", trigger{interval: time.Second}, false, false, false},
		{"shares left", trigger{interval: time.Second}, true, true, false},
		{"a listing under way", trigger{interval: time.Second}, true, false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := &session{e: &Enricher{cfg: Config{SalesTopic: "sales"}}}
			if tc.shares {
				s.sh.set(10, map[int32]int64{0: 20}, map[int32]int64{0: 20}, false)
			}
			s.listing.Store(tc.busy)
			// With no client: asking would panic.
			if s.listAhead(context.Background(), &tc.tr, tc.backlog) != nil {
				t.Error("the ends were listed ahead")
			}
		})
	}
}
