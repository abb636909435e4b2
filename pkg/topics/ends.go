package topics

import (
	"context"
	"errors"
	"fmt"

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
	adm := kadm.NewClient(cl)
	ends, err := adm.ListCommittedOffsets(ctx, topics...)
	if err != nil {
		return nil, fmt.Errorf("list end offsets of %v: %w", topics, err)
	}
	starts, err := adm.ListStartOffsets(ctx, topics...)
	if err != nil {
		return nil, fmt.Errorf("list start offsets of %v: %w", topics, err)
	}
	e := &Ends{end: map[string]map[int32]int64{}, pos: map[string]map[int32]int64{}}
	var lerr error
	ends.Each(func(o kadm.ListedOffset) {
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
	return e, nil
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
