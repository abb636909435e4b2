package enricher

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/salesstream/salesstream/internal/platform/topics"
)

// Topics returns the topics the enricher reads and writes, for creation.
// The sales, summary, repartition and state topics get partitions
// partitions: give the sales topic's partition count, so that stage 2 can
// spread over as many instances as stage 1.
func (e *Enricher) Topics(partitions int32) []topics.Spec {
	specs := []topics.Spec{
		{Name: e.cfg.SalesTopic, Partitions: partitions},
		{Name: e.cfg.SummaryTopic, Partitions: partitions, Compacted: true},
		{Name: e.cfg.DeadLetterTopic, Partitions: 1},
		{Name: e.cfg.RepartitionTopic, Partitions: partitions},
		{Name: e.cfg.StateTopic, Partitions: partitions, Compacted: true},
	}
	if e.cfg.LateTopic != "" {
		specs = append(specs, topics.Spec{Name: e.cfg.LateTopic, Partitions: 1})
	}
	return specs
}

// Run consumes the sales and repartition topics in the consumer group and
// writes a micro-batch at every trigger until ctx ends (nil is then
// returned) or, with Once, until what the topics held is processed and
// committed. It rebuilds the table of each repartition partition the group
// assigns it from the changelog, and drops the tables of partitions taken
// away. An uncommitted micro-batch is simply not committed: the records
// are processed again, by this instance or the one their partition moved
// to. connOpts connect to the cluster.
//
// When the cluster fails under it (a broker restart, a fenced or timed-out
// transaction), Run does what a restart would do, in process: it drops its
// session and state, waits with backoff, restores the state from the
// changelog and resumes from the committed offsets. Only errors that a
// restart cannot mend, such as a state topic built with other window
// settings or by an enricher of an older layout, end it.
func (e *Enricher) Run(ctx context.Context, connOpts []kgo.Opt) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	connOpts = e.observe(ctx, connOpts)
	wait := e.cfg.Retry
	for {
		began := time.Now()
		err := e.runSession(ctx, connOpts)
		if err == nil || ctx.Err() != nil {
			return nil
		}
		var fatal *fatalError
		if !errors.As(err, &fatal) {
			if f := e.fenced(err); f != nil {
				errors.As(f, &fatal)
			}
		}
		if fatal != nil {
			return fatal.err
		}
		e.stats.restarts.Add(1)
		if time.Since(began) > time.Minute {
			wait = e.cfg.Retry // it ran well for a while: a new failure
		}
		e.log.Error("stream failed; restarting from the committed state", "err", err, "wait", wait)
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(wait):
		}
		wait = min(2*wait, 30*time.Second)
	}
}

// fatalError is an error that restarting cannot mend.
type fatalError struct{ err error }

func (f *fatalError) Error() string { return f.err.Error() }
func (f *fatalError) Unwrap() error { return f.err }

// listEnds returns the current end of topic, to be reached from the
// group's committed offsets. It first waits for the transactions written
// to topic to end, so the end includes this instance's last commit.
func (e *Enricher) listEnds(ctx context.Context, cl *kgo.Client, topic string) (*topics.Ends, error) {
	committed, err := kadm.NewClient(cl).FetchOffsets(kadm.RequireStable(ctx), e.cfg.Group)
	if errors.Is(err, kerr.GroupIDNotFound) {
		err = nil // a new group: nothing committed yet
	}
	if err != nil {
		return nil, fmt.Errorf("fetch committed offsets of group %s: %w", e.cfg.Group, err)
	}
	from := map[string]map[int32]int64{}
	committed.Each(func(o kadm.OffsetResponse) {
		if o.Err == nil && o.At >= 0 {
			if from[o.Topic] == nil {
				from[o.Topic] = map[int32]int64{}
			}
			from[o.Topic][o.Partition] = o.At
		}
	})
	if err := topics.WaitStable(ctx, cl, topic, nil); err != nil {
		return nil, err
	}
	return topics.ListEnds(ctx, cl, from, topic)
}

// readyPoll bounds a poll while the session is not ready yet.
const readyPoll = 200 * time.Millisecond

// fmtMillis writes a Unix-ms time, such as a watermark, as RFC 3339, or
// "none yet" for minInt64.
func fmtMillis(ms int64) string {
	if ms == minInt64 {
		return "none yet"
	}
	return time.UnixMilli(ms).UTC().Format(time.RFC3339)
}

const minInt64 = -1 << 63
