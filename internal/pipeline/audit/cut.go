package audit

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
)

// offsets are offsets by topic and partition.
type offsets map[string]map[int32]int64

func (o offsets) at(topic string, p int32) int64 { return o[topic][p] }

func (o offsets) equal(q offsets) bool {
	return maps.EqualFunc(o, q, func(a, b map[int32]int64) bool { return maps.Equal(a, b) })
}

// cut is a consistent cut of the enricher's topics: the group's committed
// offsets, and the end of every topic it reads or writes as of the same
// commit, so that the outputs hold exactly what those offsets account for.
type cut struct {
	committed offsets // the group's, of the sales and repartition topics
	ends      offsets // last stable offsets
	starts    offsets // log start offsets
	caughtUp  bool    // nothing read but uncommitted, nothing in flight
	attempts  int
	pending   bool // the last try found offsets pending in a transaction
}

// cutTimeout bounds how long takeCut tries for a consistent cut when it
// is not told to wait longer.
const cutTimeout = 30 * time.Second

// takeCut takes a consistent cut: it fetches the group's committed
// offsets, lists the high watermarks of topics, their last stable offsets
// (the ends), the high watermarks again, and fetches the offsets again. It
// keeps the cut when both fetches agree and the three listings are equal:
// then no commit landed in between, as a fetch that finds offsets still
// pending in a transaction (RequireStable) makes the try fail, and no
// transaction was open on any
// partition, so every transaction below the ends is decided and a
// committed one is in the offsets (a commit that the offsets hold but
// whose markers had not all been written leaves a partition open). With
// wait > 0 it goes on until the group has caught up (committed the end of
// the sales topic and windowed all it forwarded) or wait has passed.
func takeCut(ctx context.Context, adm *kadm.Client, group, salesTopic, repTopic string, wait time.Duration, topics []string) (cut, error) {
	start := time.Now()
	pause := 10 * time.Millisecond
	var c cut
	for {
		c.attempts++
		ok, err := c.try(ctx, adm, group, salesTopic, repTopic, topics)
		if err != nil {
			return c, err
		}
		switch {
		case ok && (c.caughtUp || time.Since(start) >= wait):
			starts, err := listed(adm.ListStartOffsets(ctx, topics...))
			if err != nil {
				return c, fmt.Errorf("list start offsets: %w", err)
			}
			c.starts = starts
			return c, nil
		case !ok && c.pending && time.Since(start) >= max(wait, cutTimeout):
			return c, notYet(fmt.Sprintf("a transaction of the group %s is still open, its offsets pending (an enricher stopped in the middle of a commit)", group),
				"restart that enricher (it aborts the open transaction) or wait for the transaction to time out, then audit again (--audit-wait waits)")
		case !ok && time.Since(start) >= max(wait, cutTimeout):
			return c, notYet(fmt.Sprintf("no consistent cut of group %s in %d tries over %v: a commit landed or a transaction was open at every try", group, c.attempts, time.Since(start).Round(time.Second)),
				"audit again; an enricher stopped in the middle of a commit holds its transaction open until it restarts or the transaction times out")
		}
		select {
		case <-ctx.Done():
			return c, fmt.Errorf("take a consistent cut of group %s: %w", group, ctx.Err())
		case <-time.After(pause):
		}
		pause = min(2*pause, 200*time.Millisecond)
	}
}

// try takes one cut into c and reports whether it is consistent.
func (c *cut) try(ctx context.Context, adm *kadm.Client, group, salesTopic, repTopic string, topics []string) (bool, error) {
	before, err := c.stableOffsets(ctx, adm, group, salesTopic, repTopic)
	if err != nil || c.pending {
		return false, err
	}
	hwBefore, err := listed(adm.ListEndOffsets(ctx, topics...))
	if err != nil {
		return false, fmt.Errorf("list high watermarks: %w", err)
	}
	ends, err := listed(adm.ListCommittedOffsets(ctx, topics...))
	if err != nil {
		return false, fmt.Errorf("list end offsets: %w", err)
	}
	hwAfter, err := listed(adm.ListEndOffsets(ctx, topics...))
	if err != nil {
		return false, fmt.Errorf("list high watermarks: %w", err)
	}
	after, err := c.stableOffsets(ctx, adm, group, salesTopic, repTopic)
	if err != nil || c.pending {
		return false, err
	}
	if !before.equal(after) || !hwBefore.equal(ends) || !hwAfter.equal(ends) {
		return false, nil
	}
	c.committed, c.ends = after, ends
	c.caughtUp = after.reached(ends, salesTopic) && after.reached(ends, repTopic)
	return true, nil
}

// stableOffsets returns the group's offsets (groupOffsets). If some are
// still pending in an open transaction, it sets c.pending and returns no
// offsets and no error: the cut must be taken again.
func (c *cut) stableOffsets(ctx context.Context, adm *kadm.Client, group, salesTopic, repTopic string) (offsets, error) {
	o, err := groupOffsets(ctx, adm, group, salesTopic, repTopic)
	c.pending = errors.Is(err, errUnstable)
	if c.pending {
		return nil, nil
	}
	return o, err
}

// errUnstable reports that a transaction holding offsets of the group was
// still open when they were fetched: the cut must be taken again.
var errUnstable = errors.New("offsets of the group pending in an open transaction")

// groupOffsets returns the group's committed offsets of the sales and
// repartition topics; a partition without one is absent (nothing read
// yet, offset 0). Offsets still pending in an open transaction
// (RequireStable) give errUnstable, for the caller to ask again.
func groupOffsets(ctx context.Context, adm *kadm.Client, group, salesTopic, repTopic string) (offsets, error) {
	resp, err := adm.FetchOffsets(kadm.RequireStable(ctx), group)
	if errors.Is(err, kerr.GroupIDNotFound) {
		err, resp = nil, nil
	}
	if err == nil {
		return committedOffsets(resp, group, salesTopic, repTopic)
	}
	if errors.Is(err, kerr.UnstableOffsetCommit) {
		return nil, errUnstable
	}
	return nil, fmt.Errorf("fetch committed offsets of group %s: %w", group, err)
}

// committedOffsets picks the sales and repartition topics' offsets out of
// a group's fetched offsets. A partition's error is not dropped: a pending
// transaction (UnstableOffsetCommit, which the broker reports per
// partition) gives errUnstable, any other error fails.
func committedOffsets(resp kadm.OffsetResponses, group, salesTopic, repTopic string) (offsets, error) {
	out := offsets{salesTopic: {}, repTopic: {}}
	var perr error
	unstable := false
	resp.Each(func(o kadm.OffsetResponse) {
		switch {
		case out[o.Topic] == nil:
		case errors.Is(o.Err, kerr.UnstableOffsetCommit):
			unstable = true
		case o.Err != nil:
			perr = errors.Join(perr, fmt.Errorf("%s[%d]: %w", o.Topic, o.Partition, o.Err))
		case o.At >= 0:
			out[o.Topic][o.Partition] = o.At
		}
	})
	switch {
	case perr != nil:
		return nil, fmt.Errorf("fetch committed offsets of group %s: %w", group, perr)
	case unstable:
		return nil, errUnstable
	case len(out[salesTopic]) == 0:
		return nil, notYet(fmt.Sprintf("the group %s has no committed offsets of the sales topic %s", group, salesTopic),
			"give --group the enricher's group, and audit once the enricher has committed a micro-batch (it logs \"micro-batch committed\")")
	}
	return out, nil
}

// reached reports whether the committed offsets of topic have reached
// its ends on every partition; a partition without a committed offset
// counts as at 0, so an empty partition that no consumer ever commits
// does not keep the group from having caught up.
func (o offsets) reached(ends offsets, topic string) bool {
	for p, end := range ends[topic] {
		if o.at(topic, p) != end {
			return false
		}
	}
	return true
}

// listed turns listed offsets into offsets, failing on any partition's error.
func listed(l kadm.ListedOffsets, err error) (offsets, error) {
	if err != nil {
		return nil, err
	}
	out := offsets{}
	var lerr error
	l.Each(func(o kadm.ListedOffset) {
		if o.Err != nil {
			lerr = errors.Join(lerr, fmt.Errorf("%s[%d]: %w", o.Topic, o.Partition, o.Err))
			return
		}
		if out[o.Topic] == nil {
			out[o.Topic] = map[int32]int64{}
		}
		out[o.Topic][o.Partition] = o.Offset
	})
	return out, lerr
}
