package producer

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/salesstream/salesstream/internal/domain/schema"
)

// Headers that tie a record to its CSV row, so a resumed run knows what
// was acknowledged; package schema defines and documents them.
const (
	HeaderSource = schema.HeaderSource
	HeaderLine   = schema.HeaderLine
)

// Resume says what an earlier run of the same source had acknowledged: per
// partition of the sales topic, the last CSV line written there, and the
// last bad line written to the reject topic. An idempotent producer keeps
// each partition in send order, so every line up to a partition's last one
// that maps to that partition was acknowledged, and no line after it was.
type Resume struct {
	// Partitions is the sales topic's partition count.
	Partitions int
	// Lines maps a partition to its last acknowledged line.
	Lines map[int32]int
	// Rejected is the last bad line kept on the reject topic.
	Rejected int
}

// Partitioner is the producer's partitioner; resuming computes with it
// where each line went.
func Partitioner() kgo.Partitioner { return kgo.StickyKeyPartitioner(nil) }

// skip reports whether the sale on line, keyed key, was acknowledged by
// the earlier run.
func (r *Resume) skip(topic string, tp kgo.TopicPartitioner, line int, key []byte) bool {
	if r == nil || r.Partitions == 0 {
		return false
	}
	p := tp.Partition(&kgo.Record{Topic: topic, Key: key}, r.Partitions)
	return line <= r.Lines[int32(p)]
}

// LoadResume reads the tails of the sales and reject topics and returns
// where a run of source stopped. cl must be a client that can consume; it
// is left with no partitions assigned.
func LoadResume(ctx context.Context, cl *kgo.Client, topic, rejectTopic, source string) (*Resume, error) {
	r := &Resume{Lines: map[int32]int{}}
	lines, n, err := lastLines(ctx, cl, topic, source)
	if err != nil {
		return nil, err
	}
	r.Partitions, r.Lines = n, lines
	rej, _, err := lastLines(ctx, cl, rejectTopic, source)
	if err != nil {
		return nil, err
	}
	for _, l := range rej {
		r.Rejected = max(r.Rejected, l)
	}
	return r, nil
}

// tailChunk is how many records lastLines reads back at a time.
const tailChunk = 1000

// lastLines returns, per partition of topic, the largest line of the last
// record from source, and the partition count. It reads each partition
// backwards, a chunk at a time, until it finds a record of source.
func lastLines(ctx context.Context, cl *kgo.Client, topic, source string) (map[int32]int, int, error) {
	adm := kadm.NewClient(cl)
	ends, err := adm.ListEndOffsets(ctx, topic)
	if err != nil {
		return nil, 0, fmt.Errorf("list end offsets of %s: %w", topic, err)
	}
	starts, err := adm.ListStartOffsets(ctx, topic)
	if err != nil {
		return nil, 0, fmt.Errorf("list start offsets of %s: %w", topic, err)
	}
	out := map[int32]int{}
	n := 0
	var lerr error
	ends.Each(func(o kadm.ListedOffset) {
		if lerr != nil {
			return
		}
		if errors.Is(o.Err, kerr.UnknownTopicOrPartition) {
			return // no topic yet: nothing was sent
		}
		if o.Err != nil {
			lerr = fmt.Errorf("end offset of %s[%d]: %w", topic, o.Partition, o.Err)
			return
		}
		n++
		start := int64(0)
		if s, ok := starts.Lookup(topic, o.Partition); ok {
			start = s.Offset
		}
		for hi := o.Offset; hi > start; hi -= tailChunk {
			lo := max(start, hi-tailChunk)
			line, found, err := scan(ctx, cl, topic, o.Partition, lo, hi, source)
			if err != nil {
				lerr = err
				return
			}
			if found {
				out[o.Partition] = line
				return
			}
		}
	})
	return out, n, lerr
}

// scan reads topic's partition from lo to hi and returns the line of the
// last record of source in that range.
func scan(ctx context.Context, cl *kgo.Client, topic string, partition int32, lo, hi int64, source string) (int, bool, error) {
	cl.AddConsumePartitions(map[string]map[int32]kgo.Offset{topic: {partition: kgo.NewOffset().At(lo)}})
	defer cl.RemoveConsumePartitions(map[string][]int32{topic: {partition}})
	line, found := 0, false
	for pos := lo; pos < hi; {
		fs := cl.PollFetches(ctx)
		if err := ctx.Err(); err != nil {
			return 0, false, err
		}
		var ferr error
		fs.EachError(func(t string, p int32, err error) { ferr = fmt.Errorf("read %s[%d]: %w", t, p, err) })
		if ferr != nil {
			return 0, false, ferr
		}
		fs.EachRecord(func(r *kgo.Record) {
			switch {
			case r.Offset >= hi:
				// Past the range: the rest of it is gone (retention
				// deleted it under the read, which went on from the
				// log's new start), so the range is read.
				pos = hi
				return
			case r.Offset < pos:
				return
			}
			pos = r.Offset + 1
			src, l := "", 0
			for _, h := range r.Headers {
				switch h.Key {
				case HeaderSource:
					src = string(h.Value)
				case HeaderLine:
					l, _ = strconv.Atoi(string(h.Value))
				}
			}
			if src == source && l > 0 {
				line, found = l, true
			}
		})
	}
	return line, found, nil
}
