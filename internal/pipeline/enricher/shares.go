package enricher

import (
	"context"
	"fmt"
	"maps"
	"math/bits"
	"slices"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/salesstream/salesstream/internal/platform/topics"
)

// Lag-proportional shares of a bounded micro-batch, as Spark's
// maxOffsetsPerTrigger splits its limit across topic partitions: when the
// sales partitions owned lag by more than the batch's record budget, each
// gets a share of the budget in proportion to its lag at the batch's
// start, is paused once it has taken its share, and the batch ends when
// every partition has its share. Every partition thus advances by the same
// fraction of its backlog, and so by about as much event time, and the
// query's watermark (the largest event time seen, minus the delay) does
// not run ahead of the partitions a fetch happened to return later.
//
// Under a processing-time trigger, a backlog within the budget is planned
// the same way, each partition's share being its whole lag: the batch
// reads to the end offsets listed at its start, as Spark's batch reads to
// the latest offsets it lists, and not to wherever the fetches happened
// to be at the tick.

// shareOut splits budget among the partitions of lag in proportion to
// their lag: floors first, then the remainder one by one to the largest
// fractional parts (ties to the lower partition). No share exceeds its
// lag; a partition without lag gets none, so its part goes to the others.
// If the lags sum to at most budget, each share is the whole lag.
func shareOut(budget int64, lag map[int32]int64) map[int32]int64 {
	var total int64
	for _, l := range lag {
		total += max(l, 0)
	}
	out := make(map[int32]int64, len(lag))
	if total <= budget {
		for p, l := range lag {
			out[p] = max(l, 0)
		}
		return out
	}
	type rest struct {
		p    int32
		frac int64 // budget*lag mod total: the fractional part, scaled
	}
	var rests []rest
	given := int64(0)
	for _, p := range slices.Sorted(maps.Keys(lag)) {
		l := max(lag[p], 0)
		q, r := mulDiv(budget, l, total)
		out[p] = q
		given += q
		if l > 0 {
			rests = append(rests, rest{p, r})
		}
	}
	slices.SortStableFunc(rests, func(a, b rest) int {
		switch {
		case a.frac > b.frac:
			return -1
		case a.frac < b.frac:
			return 1
		}
		return 0
	})
	for i := 0; given < budget && len(rests) > 0; i = (i + 1) % len(rests) {
		p := rests[i].p
		if out[p] < max(lag[p], 0) {
			out[p]++
			given++
		}
	}
	return out
}

// mulDiv returns the quotient and remainder of a*b/c for non-negative
// a <= c and b, computed in 128 bits so that a*b cannot overflow.
func mulDiv(a, b, c int64) (q, r int64) {
	hi, lo := bits.Mul64(uint64(a), uint64(b))
	uq, ur := bits.Div64(hi, lo, uint64(c))
	return int64(uq), int64(ur)
}

// minPoll is the least a poll asks for while shares are in force, so that
// a partition close to its share does not make polls of one record; a
// partition may exceed its share by less than this.
const minPoll = 16

// shares is the open micro-batch's shares of the sales partitions: what
// each may take and has taken, and which are paused for having taken it.
type shares struct {
	topic  string
	share  map[int32]int64 // nil when no share is in force
	taken  map[int32]int64 // offsets taken since start
	start  map[int32]int64 // each partition's position at the start
	paused []int32
	// The repartition topic, paused in a batch once it gave as many
	// records as the budget, so that a batch holds at most twice the
	// budget.
	besideTopic  string
	besidePaused bool
	// capped says the budget cut the shares below the lags: a batch that
	// takes them is full, and a backlog remains.
	capped bool
}

// set puts shares of budget in force for partitions lagging by lag
// behind their end offsets, if they lag by more than budget in all, or,
// with whole, if they lag at all (each share then is the whole lag).
func (s *shares) set(budget int64, lag, end map[int32]int64, whole bool) {
	var total int64
	for _, l := range lag {
		total += max(l, 0)
	}
	if total == 0 || total <= budget && !whole {
		return
	}
	s.capped = total > budget
	s.share = shareOut(budget, lag)
	s.taken = make(map[int32]int64, len(lag))
	s.start = make(map[int32]int64, len(lag))
	for p, l := range lag {
		s.start[p] = end[p] - max(l, 0)
	}
}

// ownedBy reports whether every partition with a share is in owned.
func (s *shares) ownedBy(owned map[int32]time.Time) bool {
	for p := range s.share {
		if _, ok := owned[p]; !ok {
			return false
		}
	}
	return true
}

// active reports whether shares are in force.
func (s *shares) active() bool { return s.share != nil }

// pending reports whether shares are in force and not all taken.
func (s *shares) pending() bool { return s.active() && !s.met() }

// take counts a polled record of partition p at offset: what p took is
// the offsets from its start to offset, so that offsets a read_committed
// fetch skips (aborted records) count too. It reports whether p has just
// taken its share and is to be paused.
func (s *shares) take(p int32, offset int64) bool {
	sh, ok := s.share[p]
	if !ok {
		return false
	}
	was := s.taken[p]
	s.taken[p] = max(was, offset+1-s.start[p])
	if was < sh && s.taken[p] >= sh {
		s.paused = append(s.paused, p)
		return true
	}
	return false
}

// full reports whether the budget capped the shares and every partition
// took its share: the batch is full.
func (s *shares) full() bool { return s.capped && s.met() }

// met reports whether every partition with a share has taken it.
func (s *shares) met() bool {
	if s.share == nil {
		return false
	}
	for p, sh := range s.share {
		if sh > 0 && s.taken[p] < sh {
			return false
		}
	}
	return true
}

// pollMax bounds the next poll, given room in the batch: by the smallest
// share not yet taken (at least minPoll), so that one poll does not take
// a partition past its share.
func (s *shares) pollMax(room int) int {
	if s.share == nil {
		return room
	}
	least := int64(room)
	for p, sh := range s.share {
		if left := sh - s.taken[p]; left > 0 {
			least = min(least, left)
		}
	}
	return int(min(int64(room), max(least, minPoll)))
}

// end lifts the shares at the end of the batch and resumes the partitions
// paused for them.
func (s *shares) end(cl *kgo.Client) {
	if len(s.paused) > 0 {
		cl.ResumeFetchPartitions(map[string][]int32{s.topic: s.paused})
	}
	s.endBatch(cl)
	*s = shares{topic: s.topic, besideTopic: s.besideTopic}
}

// endBatch resumes the repartition topic, if paused for the batch.
func (s *shares) endBatch(cl *kgo.Client) {
	if s.besidePaused {
		cl.ResumeFetchTopics(s.besideTopic)
		s.besidePaused = false
	}
}

// lagAtStart returns, for the batch that begins, how far each sales
// partition owned lags, and the end offsets it lags behind. Under the available-now
// trigger's first stage the ends it listed at the start and its progress
// tell, without a request. Otherwise they come from the listing asked for
// as the last batch ended (prefetch.go), or are listed now, from the
// positions the group's client holds (startShares asks only after a batch
// that filled up: a backlog).
func (s *session) lagAtStart(ctx context.Context, tr *trigger) (lag, end map[int32]int64, err error) {
	sales := s.e.cfg.SalesTopic
	owned := s.src.lastData
	if tr.availableNow {
		if tr.stage != 1 {
			return nil, nil, nil
		}
		return ownedLag(tr.ends.Lag(sales), owned), tr.ends.Offsets()[sales], nil
	}
	ends, ok, err := s.takeAhead(ctx)
	if !ok && err == nil {
		ends, err = topics.ListEnds(ctx, s.gts.Client(), map[string]map[int32]int64{sales: s.salesPositions()}, sales)
	}
	if err != nil {
		return nil, nil, err
	}
	return ownedLag(ends.Lag(sales), owned), ends.Offsets()[sales], nil
}

// ownedLag keeps the lags of the partitions owned.
func ownedLag[V any](lag map[int32]int64, owned map[int32]V) map[int32]int64 {
	out := make(map[int32]int64, len(owned))
	for p := range owned {
		out[p] = lag[p]
	}
	return out
}

// startShares puts the shares of the batch in force at its first poll
// once the sales partitions owned are known. Shares not all taken when a
// batch ends (it filled up with repartition records first) stay in force
// in the next batch, as Spark's batch keeps the offset range it planned,
// unless the partitions owned changed. Until shares are decided, polls
// are kept small (minPoll), so that no partition runs ahead meanwhile.
func (s *session) startShares(ctx context.Context, tr *trigger) error {
	s.src.apply(time.Now())
	if s.sh.active() && !s.sh.ownedBy(s.src.lastData) {
		s.sh.end(s.gts.Client())
	}
	if s.sharesSet || s.sh.active() {
		return nil
	}
	if !tr.availableNow && !s.lastFull {
		s.sharesSet = true // caught up: no shares, no request
		return nil
	}
	if len(s.src.lastData) == 0 {
		return nil // not assigned yet
	}
	lag, end, err := s.lagAtStart(ctx, tr)
	if err != nil {
		return fmt.Errorf("list the sales partitions' lag: %w", err)
	}
	s.sharesSet = true
	s.sh.set(shareBudget(int64(tr.limits.room(&s.b)), lag), lag, end, tr.processingTime())
	return nil
}

// shareBudget is what the shares of a batch that begins sum to at most:
// the records the batch has room for, less what polls may take past the
// shares (under minPoll a partition with lag). So the batch ends by its
// shares being taken, within its record bound, and not by that bound a
// few records short of them, which would leave those few records to a
// micro-batch, and a transaction, of their own. With so many lagging
// partitions that the slack would take more than half the room, the
// budget is half the room.
func shareBudget(room int64, lag map[int32]int64) int64 {
	var lagging int64
	for _, l := range lag {
		if l > 0 {
			lagging++
		}
	}
	if slack := (minPoll - 1) * lagging; room > 2*slack {
		return room - slack
	}
	return max(room/2, 1)
}

// pollMax bounds the next poll, given room in the batch.
func (s *session) pollMax(room int) int {
	if s.drain.active {
		return room // a drain reads the repartition topic alone
	}
	if !s.sharesSet && !s.sh.active() {
		return min(room, minPoll)
	}
	return s.sh.pollMax(room)
}

// backlogAfter returns whether a backlog waits after the open batch,
// which ends: full says it filled up or every partition took its share,
// sawSales that it read sales. A batch that read no sale (a slow fetch, a
// tick) tells nothing of the backlog: the last verdict stands. The run
// loop passes it to listAhead and endShares.
func (s *session) backlogAfter(full, sawSales bool) bool {
	if sawSales || full {
		return full || s.behind
	}
	return s.lastFull
}

// endShares ends the batch's shares once it ended, unless some are still
// to be taken and it committed; backlog is backlogAfter's verdict.
func (s *session) endShares(backlog, committed bool) {
	s.lastFull = backlog
	s.behind = false
	s.sharesSet = false
	if committed && s.sh.pending() {
		s.sh.endBatch(s.gts.Client())
		return
	}
	s.sh.end(s.gts.Client())
}

// sharePartition counts n polled records of one partition, the last at
// offset last, against the shares: a sales partition that took its share
// is paused; while shares are in force, repartition records count apart
// (batch.beside), up to budget a batch, after which the repartition topic
// is paused until the batch ends. A share counts offsets up to the largest
// taken, so the last record of a fetch tells it all.
func (s *session) sharePartition(topic string, partition int32, last, n, budget int64) {
	if !s.sh.active() {
		return
	}
	cl := s.gts.Client()
	if topic == s.sh.topic {
		if s.sh.take(partition, last) {
			cl.PauseFetchPartitions(map[string][]int32{topic: {partition}})
		}
		return
	}
	s.b.beside += n
	if s.b.beside >= budget && !s.sh.besidePaused {
		cl.PauseFetchTopics(topic)
		s.sh.besidePaused = true
	}
}

// due reports whether the open batch ends now. While shares are in force
// and not all taken, the tick does not end it, as the trigger does not end
// a Spark batch whose offsets are planned: it ends when the shares are
// taken, at its bounds, before its transaction times out, or when the
// available-now trigger reached its ends.
func (s *session) due(tr *trigger) bool {
	if s.drain.active {
		return s.drain.ends.Done() || tr.limits.full(&s.b) || tr.openTooLong(&s.b)
	}
	if s.sh.met() || s.b.bookkeeping() {
		return true
	}
	if !s.sh.active() && !s.planPending(tr) {
		return tr.due(&s.b)
	}
	return tr.limits.full(&s.b) || tr.openTooLong(&s.b) || (tr.availableNow && tr.ends.Done())
}

// planPending reports whether the open batch read sales before its shares
// were decided, though a backlog may wait (at a start, or after a batch
// that showed one): the poll that returned the group's first records came
// before the assignment was known. Such a batch does not end at a tick
// that passed meanwhile, with the few records of that poll, which would
// let the watermark run ahead of the partitions it did not reach; the
// next read decides the shares.
func (s *session) planPending(tr *trigger) bool {
	return !s.sharesSet && s.lastFull && tr.processingTime() && s.b.records > 0 &&
		len(s.src.lastData) > 0 // with no sales partition left (revoked), no plan can be made
}

// noteBehind notes whether a fetch of a sales partition showed records
// beyond those it returned (its last stable offset), a backlog: the next
// batch then lists the lag and shares it out. It costs no request.
func (s *session) noteBehind(fs kgo.Fetches) {
	if s.behind {
		return
	}
	fs.EachPartition(func(p kgo.FetchTopicPartition) {
		if p.Topic != s.sh.topic || len(p.Records) == 0 {
			return
		}
		end := p.LastStableOffset
		if end < 0 {
			end = p.HighWatermark
		}
		if end > p.Records[len(p.Records)-1].Offset+1 {
			s.behind = true
		}
	})
}
