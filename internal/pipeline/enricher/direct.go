package enricher

import (
	"encoding/binary"
	"errors"
	"fmt"
	"maps"
	"slices"

	"github.com/twmb/franz-go/pkg/kgo"
)

// The direct path. When, at the start of a micro-batch, this instance owns
// every partition of the sales topic and every partition of the repartition
// topic (one instance alone in its group, as most laptops run it), the
// round trip through the repartition topic would only carry its own sales
// back to itself. The batch then skips it: stage 1 folds each valid sale
// into the table of the repartition partition its region hashes to, at
// once, and at the commit the batch's watermark markers go straight into
// every table's marks instead of onto the topic.
//
// The results are those of the round trip. There, a sale read in batch N
// is windowed in batch N+1 against the watermark of trigger N, which
// follows the markers of batches up to N-1 (stage 2 reads batch N-1's
// markers in batch N); the rows of trigger N+1 hold the sales of batches
// up to N under the markers up to N. On the direct path a sale of batch N
// is windowed in batch N against the watermark of trigger N-1, which,
// since the markers of a batch are observed before its own trigger, also
// follows the markers up to N-1; the rows of trigger N hold the sales up
// to N under the markers up to N. Every lateness decision, window and
// watermark is the same; the rows come one trigger sooner. Tables, marks,
// summary rows, late and dead-letter records and the sales offsets commit
// in one transaction, as on the round trip, so a crash leaves them
// consistent, and the changelog holds the marks for whoever owns a
// partition next.
//
// The group changing its assignment during the batch (another instance
// joining) revokes partitions, and the transactional session then aborts
// the batch: it is replayed, on the round trip if this instance no longer
// owns everything. Before its first direct batch, an instance that comes
// to own everything reads what the round trip left in the repartition
// topic (drain.go), so that no round-trip sale is judged against markers
// written after it. Several instances sharing a group always take the
// round trip.
//
// So that reader --audit can still account for every sale, a direct batch
// writes, in its transaction, windowed-range records to the repartition
// topic: the sales at offsets [from, to) of a sales partition that were not
// dead-lettered were windowed. It writes one per sales partition a poll
// returned, as the poll is read, so that, as on the round trip, the
// transaction holds records from the batch's first poll on (an instance
// killed mid-batch leaves a transaction that its successor aborts). Stage
// 2 reads them back and skips them, so the group's repartition offsets
// still reach the topic's end.

// Windowed-range value: 'w' | varint sales partition | varint from offset |
// varint to offset (exclusive). Its key is nil; the partitioner writes it
// to the partition set on it.
const windowedRangeFormat = 'w'

func isWindowedRange(v []byte) bool { return len(v) > 0 && v[0] == windowedRangeFormat }

func appendWindowedRange(b []byte, partition int32, from, to int64) []byte {
	b = append(b, windowedRangeFormat)
	b = binary.AppendVarint(b, int64(partition))
	b = binary.AppendVarint(b, from)
	return binary.AppendVarint(b, to)
}

var errWindowedRange = errors.New("malformed windowed-range record")

// WindowedRange reads a windowed-range record of the repartition topic:
// the sales of the sales topic's partition at offsets [from, to) that were
// not dead-lettered were windowed without the round trip. ok is false if v
// is not such a record.
func WindowedRange(v []byte) (partition int32, from, to int64, ok bool, err error) {
	if !isWindowedRange(v) {
		return 0, 0, 0, false, nil
	}
	v = v[1:]
	var ints [3]int64
	for i := range ints {
		n, w := binary.Varint(v)
		if w <= 0 {
			return 0, 0, 0, true, fmt.Errorf("%w: truncated", errWindowedRange)
		}
		ints[i], v = n, v[w:]
	}
	if len(v) != 0 || ints[0] < 0 || ints[0] >= maxSalesPartitions || ints[1] < 0 || ints[2] < ints[1] {
		return 0, 0, 0, true, fmt.Errorf("%w: partition %d offsets [%d, %d)", errWindowedRange, ints[0], ints[1], ints[2])
	}
	return int32(ints[0]), ints[1], ints[2], true, nil
}

// RegionPartition returns the repartition partition, of n, that the sales
// of region go to: Kafka's murmur2 hash of the key, as the client's
// default partitioner places keyed records.
func RegionPartition(region string, n int32) int32 {
	return int32(murmur2(region)&0x7fffffff) % n
}

// murmur2 is Kafka's hash of a record key (its Utils.murmur2).
func murmur2(key string) uint32 {
	const (
		seed = 0x9747b28c
		m    = 0x5bd1e995
		r    = 24
	)
	n := len(key)
	h := uint32(seed) ^ uint32(n)
	for ; len(key) >= 4; key = key[4:] {
		k := uint32(key[0]) | uint32(key[1])<<8 | uint32(key[2])<<16 | uint32(key[3])<<24
		k *= m
		k ^= k >> r
		k *= m
		h *= m
		h ^= k
	}
	switch len(key) {
	case 3:
		h ^= uint32(key[2]) << 16
		fallthrough
	case 2:
		h ^= uint32(key[1]) << 8
		fallthrough
	case 1:
		h ^= uint32(key[0])
		h *= m
	}
	h ^= h >> 13
	h *= m
	h ^= h >> 15
	return h
}

// directBatch is the direct path's part of the open micro-batch.
type directBatch struct {
	decided bool
	on      bool
	// ends holds, per sales partition read, one past the last offset
	// polled, control records included: the next range starts there.
	ends map[int32]int64
	// missing counts sales whose repartition partition had no table: the
	// group took it away mid-batch, and the batch must not commit.
	missing int64
	// data says the batch polled a record other than a transaction
	// marker or a windowed-range record.
	data bool
}

// note notes a polled record of the batch; rep is the repartition topic.
func (d *directBatch) note(r *kgo.Record, rep string) {
	if !d.data && !r.Attrs.IsControl() && (r.Topic != rep || !isWindowedRange(r.Value)) {
		d.data = true
	}
}

// bookkeeping reports whether b polled records, all of them transaction
// markers or windowed-range records: nothing to window or write, only
// offsets to commit. Such a batch ends at once instead of at the tick, so
// that the group's offsets pass the last direct batch's range records
// without waiting a trigger interval.
func (b *batch) bookkeeping() bool { return b.polled > 0 && !b.direct.data }

// windowedRange emits the windowed-range record of the polled records
// first to last of one sales partition, from where the batch's previous
// poll of it ended, so that a partition's ranges in a batch are adjacent.
func (s *session) windowedRange(first, last *kgo.Record) {
	d := &s.b.direct
	if d.ends == nil {
		d.ends = map[int32]int64{}
	}
	p, from := first.Partition, first.Offset
	if end, ok := d.ends[p]; ok {
		from = end
	}
	d.ends[p] = last.Offset + 1
	s.b.emit(&kgo.Record{Topic: s.e.cfg.RepartitionTopic, Partition: p % s.partitions,
		Value: appendWindowedRange(nil, p, from, last.Offset+1)})
}

// decideDirect fixes, at the open batch's first record or at its commit,
// whether the batch takes the direct path: only if this instance owns
// every sales and repartition partition, with their tables restored.
func (s *session) decideDirect() bool {
	d := &s.b.direct
	if d.decided {
		return d.on
	}
	d.decided = true
	d.on = !s.e.cfg.RoundTrip && s.ownsAll() && s.drain.valid(s) && !s.drain.active
	if d.on {
		s.b.fold = s.foldDirect
	}
	return d.on
}

// ownsAll reports whether this instance owns every sales and repartition
// partition, with their tables restored.
func (s *session) ownsAll() bool {
	return s.e.stats.ready.Load() && s.sales > 0 && int32(len(s.src.lastData)) == s.sales &&
		int32(len(s.tasks)) == s.partitions
}

// foldDirect is stage 2 for a sale of a direct batch: the fold into the
// table of the repartition partition its region goes to.
func (s *session) foldDirect(region string, f forwarded, r *kgo.Record) {
	tk := s.tasks[s.regionPartition(region)]
	if tk == nil {
		s.b.direct.missing++
		return
	}
	s.e.foldSale(&s.b, tk, region, &f, r.Headers)
}

// regionPartition returns RegionPartition of region, remembered for up to
// maxInterned regions.
func (s *session) regionPartition(region string) int32 {
	if p, ok := s.regionParts[region]; ok {
		return p
	}
	p := RegionPartition(region, s.partitions)
	if s.regionParts == nil {
		s.regionParts = map[string]int32{}
	}
	if len(s.regionParts) < maxInterned {
		s.regionParts[region] = p
	}
	return p
}

// commitDirect gives the batch's markers to every table, as stage 2 would
// read them in the next batch. It fails if a sale found no table.
func (s *session) commitDirect(ms []marker) error {
	if n := s.b.direct.missing; n > 0 {
		return fmt.Errorf("%d sales of the batch found no table: the group took their repartition partitions away", n)
	}
	for _, p := range slices.Sorted(maps.Keys(s.tasks)) {
		for _, mk := range ms {
			s.e.noteMarker(&s.b, s.tasks[p], mk)
		}
	}
	return nil
}
