package enricher

import (
	"context"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/salesstream/salesstream/internal/platform/topics"
)

// trigger says when the open micro-batch ends and when the run ends, as
// Spark's triggers do:
//
//   - processing time (Config.Trigger > 0): a batch ends at each tick of
//     the interval; continuous (0): after every poll;
//   - available-now (Config.Once): the run works off what the sales topic
//     held when it started, then what the repartition topic holds once
//     that is forwarded, and ends.
//
// Under either, a batch that reaches its bounds (Config.MaxRecordsPerTrigger,
// MaxBytesPerTrigger) ends at once and the next starts: a backlog is worked
// off in bounded transactions, never held until the next tick.
type trigger struct {
	limits   bounds
	interval time.Duration
	next     time.Time // the next tick (processing time)
	// maxOpen ends a batch whose transaction has been open this long, so
	// that it commits before the transaction times out (only a trigger
	// longer than 14 minutes reaches it).
	maxOpen time.Duration

	// Available-now: stage 1 forwards the sales topic up to its ends as
	// of the start; stage 2 then windows the repartition topic up to its
	// ends after stage 1's last commit.
	availableNow bool
	stage        int
	ends         *topics.Ends
}

// txnTimeout is the transaction timeout for a trigger interval: twice the
// interval and half a minute, at least the client's default 40 s and at
// most the 15 minutes brokers allow by default. An instance that dies with
// a transaction open holds back read_committed readers of what it wrote
// until this runs out.
func txnTimeout(interval time.Duration) time.Duration {
	return min(max(2*interval+30*time.Second, 40*time.Second), 15*time.Minute)
}

// newTrigger returns the trigger of s's configuration; an available-now
// trigger lists the sales topic's ends to reach.
func (s *session) newTrigger(ctx context.Context) (*trigger, error) {
	c := &s.e.cfg
	tr := &trigger{
		limits:       bounds{records: c.MaxRecordsPerTrigger, bytes: c.MaxBytesPerTrigger},
		interval:     c.Trigger,
		next:         time.Now().Add(c.Trigger),
		maxOpen:      txnTimeout(c.Trigger) - 30*time.Second,
		availableNow: c.Once,
	}
	if tr.availableNow {
		tr.stage = 1
		if err := tr.listEnds(ctx, s); err != nil {
			return nil, err
		}
	}
	return tr, nil
}

// topic is the topic an available-now trigger drains in its stage.
func (tr *trigger) topic(s *session) string {
	if tr.stage == 2 {
		return s.e.cfg.RepartitionTopic
	}
	return s.e.cfg.SalesTopic
}

func (tr *trigger) listEnds(ctx context.Context, s *session) error {
	ends, err := s.e.listEnds(ctx, s.gts.Client(), tr.topic(s))
	tr.ends = ends
	return err
}

// reached reports whether an available-now trigger has read to the ends
// of its stage: nothing is left to poll for it.
func (tr *trigger) reached() bool { return tr.availableNow && tr.ends.Done() }

// observe notes the progress of a polled record towards the ends.
func (tr *trigger) observe(r *kgo.Record) {
	if tr.availableNow {
		tr.ends.Observe(r.Topic, r.Partition, r.Offset)
	}
}

// processingTime reports whether the trigger is a processing-time one
// (an interval, not available-now nor continuous).
func (tr *trigger) processingTime() bool { return !tr.availableNow && tr.interval > 0 }

// pollContext bounds a poll by the next tick of a processing-time trigger.
func (tr *trigger) pollContext(ctx context.Context) (context.Context, context.CancelFunc) {
	if tr.availableNow || tr.interval == 0 {
		return ctx, func() {}
	}
	return context.WithDeadline(ctx, tr.next)
}

// due reports whether the open batch b ends now.
func (tr *trigger) due(b *batch) bool {
	switch {
	case tr.limits.full(b):
		return true
	case tr.openTooLong(b):
		return true
	case tr.availableNow:
		return tr.ends.Done()
	case tr.interval == 0:
		return true
	}
	return !time.Now().Before(tr.next)
}

// openTooLong reports whether b's transaction has been open for maxOpen.
func (tr *trigger) openTooLong(b *batch) bool {
	return tr.maxOpen > 0 && b.polled > 0 && time.Since(b.began) >= tr.maxOpen
}

// settled moves the trigger on after a batch ended, committed or not, and
// reports whether the run is done. After an abort the session rewound to
// the committed offsets, so an available-now trigger lists its ends again.
func (tr *trigger) settled(ctx context.Context, s *session, committed bool) (bool, error) {
	if !tr.availableNow {
		if tr.interval > 0 {
			for now := time.Now(); !now.Before(tr.next); {
				tr.next = tr.next.Add(tr.interval)
			}
		}
		return false, nil
	}
	if !committed {
		return false, tr.listEnds(ctx, s)
	}
	if !tr.ends.Done() {
		return false, nil // a full batch mid-stage
	}
	if tr.stage == 2 {
		return true, nil
	}
	// Stage 2 now windows what the repartition topic holds, this run's
	// forwarded sales included.
	tr.stage = 2
	s.gts.Client().PauseFetchTopics(s.e.cfg.SalesTopic)
	return false, tr.listEnds(ctx, s)
}
