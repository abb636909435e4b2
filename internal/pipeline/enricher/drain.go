package enricher

import (
	"context"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/salesstream/salesstream/internal/platform/topics"
)

// Before its first direct batch, an instance reads what the round trip left
// in the repartition topic: sales forwarded and watermark markers written
// before it owned every partition (by itself or by instances that have
// since left), or by an enricher run with --round-trip. On the round trip a
// sale is always windowed before the markers written after it are read, as
// a repartition partition is read in order; a direct batch gives its
// markers to the tables at once, so round-trip sales still unread would be
// judged against a watermark that ran ahead of them. So, when the instance
// comes to own every partition, it first pauses the sales topic and runs
// round-trip batches that read the repartition topic up to its end as of
// then (a drain), as stage 2 would read it with no new sale; once one of
// them commits at that end, the direct path starts, and holds as long as
// the group changes nothing. With no sale arriving during the drain, the
// results are the round trip's in which the next sales arrived after those
// batches, as a batch boundary depends on when data arrives.

// drain is the state of the draining of the round trip's records.
type drain struct {
	active bool
	ends   *topics.Ends // of the repartition topic, while active
	// done is set when a drain committed at its ends; at is the count
	// of assignment changes then (it holds while none happens).
	done bool
	at   int64
	// dirty says a sales record was read during the drain, so the drain
	// batch may have forwarded sales: it does not count as done.
	dirty bool
}

// changes returns the count of the group's changes to s's partitions.
func (s *session) changes() int64 { return s.asg.changes.Load() + s.src.asg.changes.Load() }

// valid reports whether a drain completed since the group last changed
// s's partitions.
func (d *drain) valid(s *session) bool { return d.done && d.at == s.changes() }

// startDrain starts a drain at the start of a batch when the instance owns
// every partition but has not drained since it came to: it lists the
// repartition topic's ends from the group's committed offsets and, unless
// they are reached already, pauses the sales topic until the drain
// commits. Under the available-now trigger it drains only while it reads
// the sales topic (stage 1).
func (s *session) startDrain(ctx context.Context, tr *trigger) error {
	d := &s.drain
	if s.e.cfg.RoundTrip || d.active || d.valid(s) || s.b.polled > 0 || s.tx.open ||
		(tr.availableNow && tr.stage != 1) || !s.ownsAll() {
		return nil
	}
	at := s.changes()
	ends, err := s.e.listEnds(ctx, s.gts.Client(), s.e.cfg.RepartitionTopic)
	if err != nil {
		return err
	}
	if ends.Done() {
		*d = drain{done: true, at: at}
		return nil
	}
	*d = drain{active: true, ends: ends, at: at}
	s.gts.Client().PauseFetchTopics(s.e.cfg.SalesTopic)
	s.e.log.Info("reading what the round trip left in the repartition topic before taking the direct path",
		"topic", s.e.cfg.RepartitionTopic)
	return nil
}

// followDrain abandons an active drain once the group changed s's
// partitions or s no longer owns every one: the ends it reads to may then
// name partitions s will never read, and with the sales topic paused the
// instance would wait on them for good. The sales topic is resumed; the
// open batch goes on as a round-trip batch, and the next batch that finds
// s owning every partition drains again.
func (s *session) followDrain() {
	d := &s.drain
	if !d.active || d.at == s.changes() && s.ownsAll() {
		return
	}
	*d = drain{}
	s.gts.Client().ResumeFetchTopics(s.e.cfg.SalesTopic)
	s.e.log.Info("the group changed during the drain: taking the round trip", "topic", s.e.cfg.RepartitionTopic)
}

// observe notes the last record of a fetched partition during a drain.
func (d *drain) observe(topic string, last *kgo.Record, c Config) {
	if !d.active {
		return
	}
	switch topic {
	case c.RepartitionTopic:
		d.ends.Observe(topic, last.Partition, last.Offset)
	case c.SalesTopic:
		d.dirty = true
	}
}

// endDrain follows a batch's end during a drain: the drain is done if the
// batch committed at its ends, reading no sale, and no change of the
// group's came in between; otherwise, unless the batch only filled up
// before the ends, it is dropped, to start again at the next batch. The
// sales topic is resumed when the drain ends either way.
func (s *session) endDrain(committed bool) {
	d := &s.drain
	if !d.active {
		return
	}
	if committed && !d.ends.Done() && !d.dirty && d.at == s.changes() {
		return // a batch that filled up: the drain goes on
	}
	done := committed && d.ends.Done() && !d.dirty && d.at == s.changes()
	*d = drain{done: done, at: d.at}
	// Under the available-now trigger the sales topic is paused for good
	// once stage 1 is over; a drain runs only in stage 1.
	s.gts.Client().ResumeFetchTopics(s.e.cfg.SalesTopic)
}
