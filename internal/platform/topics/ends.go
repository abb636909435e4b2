package topics

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
)

// ErrNoTopic reports a topic the cluster does not have.
var ErrNoTopic = errors.New("no such topic")

// Ends tracks a consumer's way to the end of some topics, as the end was
// when the Ends was made: the last stable offset of every partition, the
// end a read_committed consumer reaches. A consumer that keeps control
// records (kgo.KeepControlRecords) sees every offset up to that end, so
// Observe of each polled record tells exactly when it got there.
type Ends struct {
	end  map[string]map[int32]int64
	pos  map[string]map[int32]int64
	left int
}

// ListEnds returns the current ends of topics. Partitions whose end is
// at or below from (a starting offset per partition, such as a group's
// committed offsets; nil means the log start) count as reached.
func ListEnds(ctx context.Context, cl *kgo.Client, from map[string]map[int32]int64, topics ...string) (*Ends, error) {
	return listEnds(ctx, cl, from, nil, topics)
}

// EndsAt returns the Ends of topic's partitions at the given offsets
// (such as ends listed earlier, for a consistent cut), each to be reached
// from its offset in start. Consume still passes on the records past an
// end that a fetch returns with those before it.
func EndsAt(topic string, start, end map[int32]int64) *Ends {
	e := &Ends{end: map[string]map[int32]int64{topic: {}}, pos: map[string]map[int32]int64{topic: {}}}
	for p, o := range end {
		e.end[topic][p] = o
		e.pos[topic][p] = start[p]
		if start[p] < o {
			e.left++
		}
	}
	return e
}

// ListPartitionEnds is ListEnds for some partitions of one topic, read
// from the log start; the topic's other partitions are not tracked.
func ListPartitionEnds(ctx context.Context, cl *kgo.Client, topic string, partitions []int32) (*Ends, error) {
	only := make(map[int32]bool, len(partitions))
	for _, p := range partitions {
		only[p] = true
	}
	return listEnds(ctx, cl, nil, only, []string{topic})
}

func listEnds(ctx context.Context, cl *kgo.Client, from map[string]map[int32]int64, only map[int32]bool, topics []string) (*Ends, error) {
	adm := kadm.NewClient(cl)
	// The two lists are asked for at once: a streaming batch that plans
	// its backlog waits for them.
	var starts kadm.ListedOffsets
	var serr error
	listed := make(chan struct{})
	go func() {
		defer close(listed)
		starts, serr = adm.ListStartOffsets(ctx, topics...)
	}()
	ends, err := adm.ListCommittedOffsets(ctx, topics...)
	<-listed
	if err != nil {
		return nil, fmt.Errorf("list end offsets of %v: %w", topics, err)
	}
	if serr != nil {
		return nil, fmt.Errorf("list start offsets of %v: %w", topics, serr)
	}
	e := &Ends{end: map[string]map[int32]int64{}, pos: map[string]map[int32]int64{}}
	var lerr error
	ends.Each(func(o kadm.ListedOffset) {
		if only != nil && !only[o.Partition] {
			return
		}
		if errors.Is(o.Err, kerr.UnknownTopicOrPartition) {
			lerr = fmt.Errorf("topic %s does not exist: %w", o.Topic, ErrNoTopic)
			return
		}
		if o.Err != nil {
			lerr = fmt.Errorf("end offset of %s[%d]: %w", o.Topic, o.Partition, o.Err)
			return
		}
		start := int64(0)
		if s, ok := starts.Lookup(o.Topic, o.Partition); ok {
			start = s.Offset
		}
		if f, ok := from[o.Topic][o.Partition]; ok && f > start {
			start = f
		}
		if e.end[o.Topic] == nil {
			e.end[o.Topic] = map[int32]int64{}
			e.pos[o.Topic] = map[int32]int64{}
		}
		e.end[o.Topic][o.Partition] = o.Offset
		e.pos[o.Topic][o.Partition] = start
		if start < o.Offset {
			e.left++
		}
	})
	if lerr != nil {
		return nil, lerr
	}
	for _, t := range topics {
		for p := range only {
			if _, ok := e.end[t][p]; !ok {
				return nil, fmt.Errorf("topic %s has no partition %d: %w", t, p, ErrNoTopic)
			}
		}
	}
	return e, nil
}

// WaitStable waits until every transaction that had written to the given
// partitions of topic (all of them if partitions is nil) when it was
// called has ended: until each partition's last stable offset reaches the
// high watermark the partition had then. Ends listed afterwards therefore
// include every transaction that committed before the call, even one whose
// commit markers were still on their way. It asks again every few
// milliseconds, backing off to a second, until ctx ends.
func WaitStable(ctx context.Context, cl *kgo.Client, topic string, partitions []int32) error {
	adm := kadm.NewClient(cl)
	hw, err := adm.ListEndOffsets(ctx, topic)
	if err != nil {
		return fmt.Errorf("list high watermarks of %s: %w", topic, err)
	}
	want := map[int32]int64{}
	var lerr error
	hw.Each(func(o kadm.ListedOffset) {
		if o.Err != nil {
			lerr = errors.Join(lerr, fmt.Errorf("high watermark of %s[%d]: %w", o.Topic, o.Partition, o.Err))
			return
		}
		want[o.Partition] = o.Offset
	})
	if lerr != nil {
		return lerr
	}
	if partitions != nil {
		only := map[int32]int64{}
		for _, p := range partitions {
			w, ok := want[p]
			if !ok {
				return fmt.Errorf("topic %s has no partition %d: %w", topic, p, ErrNoTopic)
			}
			only[p] = w
		}
		want = only
	}
	wait := 10 * time.Millisecond
	for {
		lso, err := adm.ListCommittedOffsets(ctx, topic)
		if err != nil {
			return fmt.Errorf("list last stable offsets of %s: %w", topic, err)
		}
		stable := true
		lso.Each(func(o kadm.ListedOffset) {
			if w, ok := want[o.Partition]; ok && (o.Err != nil || o.Offset < w) {
				stable = false
			}
		})
		if stable {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("wait for open transactions on %s to end: %w", topic, ctx.Err())
		case <-time.After(wait):
		}
		wait = min(2*wait, time.Second)
	}
}

// Observe records that the record at offset of topic's partition was read.
func (e *Ends) Observe(topic string, partition int32, offset int64) {
	end, ok := e.end[topic][partition]
	if !ok {
		return
	}
	pos := e.pos[topic][partition]
	if offset+1 <= pos {
		return
	}
	if pos < end && offset+1 >= end {
		e.left--
	}
	e.pos[topic][partition] = offset + 1
}

// Done reports whether every partition reached its end.
func (e *Ends) Done() bool { return e.left == 0 }

// Offsets returns the end offsets, by topic and partition.
func (e *Ends) Offsets() map[string]map[int32]int64 { return e.end }

// Consume polls cl, which must consume the topics of e keeping control
// records, until every partition reached its end, and calls fn with each
// data record on the way; control records only mark progress. It stops at
// the first error of a fetch, of fn, or of ctx.
func (e *Ends) Consume(ctx context.Context, cl *kgo.Client, fn func(*kgo.Record) error) error {
	for !e.Done() {
		fs := cl.PollFetches(ctx)
		if err := ctx.Err(); err != nil {
			return err
		}
		var ferr error
		fs.EachError(func(t string, p int32, err error) {
			ferr = errors.Join(ferr, fmt.Errorf("read %s[%d]: %w", t, p, err))
		})
		if ferr != nil {
			return ferr
		}
		for it := fs.RecordIter(); !it.Done(); {
			r := it.Next()
			e.Observe(r.Topic, r.Partition, r.Offset)
			if r.Attrs.IsControl() {
				continue
			}
			if err := fn(r); err != nil {
				return err
			}
		}
	}
	return nil
}

// Lag returns, for each partition of topic, how many offsets are left to
// its end.
func (e *Ends) Lag(topic string) map[int32]int64 {
	out := make(map[int32]int64, len(e.end[topic]))
	for p, end := range e.end[topic] {
		out[p] = max(end-e.pos[topic][p], 0)
	}
	return out
}
