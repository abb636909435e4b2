package enricher

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/twmb/franz-go/pkg/kgo"
)

// A repartition record carries one valid sale from stage 1 to stage 2. Its
// key is the sale's region, so every sale of a region lands in one
// partition of the repartition topic (Kafka's default murmur2 hash of the
// key, the same in every instance); its value holds what the windows need
// and what the late topic needs to keep the original record; its headers
// are the original record's.
//
//	Key:   region (UTF-8)
//	Value: 'r' | varint window time ms | varint amount cents |
//	       varint original record timestamp ms | varint source partition |
//	       varint source offset | uvarint original key length + 1 (0: no key) |
//	       original key | original value (the rest)
//
// The repartition record's own timestamp is when stage 1 wrote it, so the
// topic's time-based retention counts from then.

const repartitionFormat = 'r'

// forwarded is a decoded repartition value. key and value alias the
// buffer it was parsed from.
type forwarded struct {
	ts        int64 // the time the sale is windowed on, Unix ms
	cents     int64
	timestamp int64 // the original record's timestamp, Unix ms
	partition int32 // of the sales topic
	offset    int64
	key       []byte // nil if the original record had none
	value     []byte
}

// maxRepartitionValue bounds the length of a repartition value for an
// original key and value of the given lengths.
func maxRepartitionValue(key, value int) int {
	return 1 + 5*binary.MaxVarintLen64 + binary.MaxVarintLen64 + key + value
}

func appendRepartitionValue(b []byte, f *forwarded) []byte {
	b = append(b, repartitionFormat)
	b = binary.AppendVarint(b, f.ts)
	b = binary.AppendVarint(b, f.cents)
	b = binary.AppendVarint(b, f.timestamp)
	b = binary.AppendVarint(b, int64(f.partition))
	b = binary.AppendVarint(b, f.offset)
	if f.key == nil {
		b = binary.AppendUvarint(b, 0)
	} else {
		b = binary.AppendUvarint(b, uint64(len(f.key))+1)
		b = append(b, f.key...)
	}
	return append(b, f.value...)
}

var errRepartitionValue = errors.New("malformed repartition record")

func parseRepartitionValue(v []byte) (forwarded, error) {
	var f forwarded
	if len(v) == 0 || v[0] != repartitionFormat {
		return f, fmt.Errorf("%w: unknown format", errRepartitionValue)
	}
	v = v[1:]
	var ints [5]int64
	for i := range ints {
		n, w := binary.Varint(v)
		if w <= 0 {
			return f, fmt.Errorf("%w: truncated", errRepartitionValue)
		}
		ints[i], v = n, v[w:]
	}
	if ints[3] < 0 || ints[3] > 1<<31-1 {
		return f, fmt.Errorf("%w: source partition %d", errRepartitionValue, ints[3])
	}
	kl, w := binary.Uvarint(v)
	if w <= 0 || kl > uint64(len(v)-w)+1 {
		return f, fmt.Errorf("%w: truncated key", errRepartitionValue)
	}
	v = v[w:]
	f.ts, f.cents, f.timestamp, f.partition, f.offset = ints[0], ints[1], ints[2], int32(ints[3]), ints[4]
	if kl > 0 {
		f.key, v = v[:kl-1:kl-1], v[kl-1:]
	}
	f.value = v
	return f, nil
}

// partitioner places the session's records: those of the state topic in
// the partition set on them (the state of repartition partition p lives in
// changelog partition p), those of the repartition topic by Kafka's
// murmur2 hash of their key, and all others as the client does by default
// (keyed records by the same hash).
type partitioner struct {
	state, repartition    string
	manual, keyed, others kgo.Partitioner
}

func newPartitioner(state, repartition string) kgo.Partitioner {
	return &partitioner{
		state: state, repartition: repartition,
		manual: kgo.ManualPartitioner(),
		keyed:  kgo.StickyKeyPartitioner(nil),
		others: kgo.UniformBytesPartitioner(64<<10, true, true, nil),
	}
}

func (p *partitioner) ForTopic(topic string) kgo.TopicPartitioner {
	switch topic {
	case p.state:
		return p.manual.ForTopic(topic)
	case p.repartition:
		return markerPartitioner{p.keyed.ForTopic(topic)}
	}
	return p.others.ForTopic(topic)
}
