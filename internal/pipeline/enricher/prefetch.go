package enricher

import (
	"context"

	"github.com/salesstream/salesstream/internal/platform/topics"
)

// A streaming batch that shows a backlog plans the next one from the
// sales partitions' ends, listed from the offsets the batch commits
// (shares.go). The listing is two requests to the brokers; rather than
// wait for it at the next batch's first read, the session asks for it as
// soon as the batch ends, while its transaction commits: the sales
// topic's ends do not depend on that commit, and the offsets it commits
// are those the batch has read. If the commit fails, the listing is
// dropped; if it failed, or the group changed the instance's partitions
// since it was asked for, the plan lists the ends itself.

// listed is the result of an ends listing asked for ahead, when the
// group's changes to the instance's partitions numbered at.
type listed struct {
	ends *topics.Ends
	err  error
	at   int64
}

// listAhead asks, in the background, for the sales partitions' ends the
// next batch will plan from, if it will plan: under a processing-time
// trigger, after the open batch, which ends, if a backlog waits after it
// and it leaves no share to take. It returns the channel the listing
// comes on, or nil. Only that next batch's plan uses it; the run loop
// drops it when that batch ends. At most one listing is under way: while
// an earlier one (dropped) has not returned, the next batch lists its
// ends itself.
func (s *session) listAhead(ctx context.Context, tr *trigger, backlog bool) chan listed {
	if !tr.processingTime() || !backlog || s.sh.pending() || !s.listing.CompareAndSwap(false, true) {
		return nil
	}
	from, at := s.salesPositions(), s.changes()
	ch := make(chan listed, 1)
	cl, sales := s.gts.Client(), s.e.cfg.SalesTopic
	go func() {
		ends, err := topics.ListEnds(ctx, cl, map[string]map[int32]int64{sales: from}, sales)
		s.listing.Store(false)
		ch <- listed{ends, err, at}
	}()
	return ch
}

// salesPositions returns the group's positions in the sales partitions:
// the committed offsets, or past them what the open batch has read.
func (s *session) salesPositions() map[int32]int64 {
	cl, sales := s.gts.Client(), s.e.cfg.SalesTopic
	from := map[int32]int64{}
	for p, o := range cl.CommittedOffsets()[sales] {
		from[p] = o.Offset
	}
	for p, o := range cl.UncommittedOffsets()[sales] {
		from[p] = o.Offset
	}
	return from
}

// takeAhead returns the ends listed ahead and forgets them. It reports
// false if none were asked for, the listing failed, or the group changed
// the instance's partitions since (a partition come since would be
// counted from its log start): the plan then lists the ends itself.
func (s *session) takeAhead(ctx context.Context) (*topics.Ends, bool, error) {
	if s.ahead == nil {
		return nil, false, nil
	}
	ch := s.ahead
	s.ahead = nil
	select {
	case l := <-ch:
		return l.ends, l.err == nil && l.at == s.changes(), nil
	case <-ctx.Done():
		return nil, false, ctx.Err()
	}
}
