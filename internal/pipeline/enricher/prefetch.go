package enricher

import (
	"context"

	"github.com/salesstream/salesstream/internal/platform/topics"
)

// A streaming batch that shows a backlog plans the next one from the
// sales partitions' ends, listed from the offsets the batch committed
// (shares.go). The listing is two requests to the brokers; rather than
// wait for it at the next batch's first read, the session asks for it as
// soon as the batch has committed and its offsets are known, while the
// next batch's first poll is under way. The ends are those listed after
// the commit either way.

// listed is the result of an ends listing asked for ahead.
type listed struct {
	ends *topics.Ends
	err  error
}

// listAhead asks, in the background, for the sales partitions' ends the
// next batch will plan from, if it will plan: under a processing-time
// trigger, after a batch that filled up and left no share to take. Only
// that next batch's plan uses them; the run loop drops them when it ends.
// At most one listing is under way: while an earlier one (dropped) has
// not returned, the next batch lists its ends itself.
func (s *session) listAhead(ctx context.Context, tr *trigger) {
	if tr.availableNow || tr.interval <= 0 || !s.lastFull || s.sh.active() {
		return
	}
	if s.listing == nil {
		s.listing = make(chan struct{}, 1)
	}
	select {
	case s.listing <- struct{}{}:
	default:
		return
	}
	from := s.salesPositions()
	ch := make(chan listed, 1)
	s.ahead = ch
	cl, sales, token := s.gts.Client(), s.e.cfg.SalesTopic, s.listing
	go func() {
		ends, err := topics.ListEnds(ctx, cl, map[string]map[int32]int64{sales: from}, sales)
		<-token
		ch <- listed{ends, err}
	}()
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

// takeAhead returns the ends listed ahead, if any were asked for, and
// forgets them.
func (s *session) takeAhead(ctx context.Context) (*topics.Ends, bool, error) {
	if s.ahead == nil {
		return nil, false, nil
	}
	ch := s.ahead
	s.ahead = nil
	select {
	case l := <-ch:
		return l.ends, true, l.err
	case <-ctx.Done():
		return nil, true, ctx.Err()
	}
}
