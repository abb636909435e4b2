package enricher

import (
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// batch is one micro-batch as it is read: its counts, and where the
// records it makes go. The window state it changes lives in the tasks.
type batch struct {
	began  time.Time // when its first record was polled
	polled int64     // records polled, control records included
	// beside counts the repartition records polled while shares of the
	// sales partitions are in force (shares.go): they are bounded apart,
	// so that they never end a batch before the sales partitions have
	// taken their shares.
	beside   int64
	bytes    int64 // keys and values polled
	records  int64 // sales records (stage 1)
	forwards int64 // sales forwarded (stage 1)
	windowed int64 // repartition records (stage 2)
	agg      int64 // of which folded into a window
	dead     int64
	late     int64
	noRegion noRegion // sales forwarded under Unassigned (stage 1)
	f        facts    // for the batch's progress
	markers  int64    // watermark markers read (stage 2)
	// sources holds, for each sales partition read, the largest valid
	// event time (math.MinInt64 if none), for the watermark markers.
	sources map[int32]int64

	// emit takes each forwarded, dead-letter and late record as it is
	// made: the session produces it into the open transaction, so the
	// batch holds no record until its commit.
	emit func(*kgo.Record)
	// fold, set on a batch that takes the direct path (direct.go),
	// windows a valid sale at once instead of forwarding it.
	// f is passed by value, so that it need not escape to the heap.
	fold   func(region string, f forwarded, r *kgo.Record)
	direct directBatch

	// Kept across batches: region names as record keys, shared by the
	// records that carry them (kgo does not change a record's key), and
	// the free end of a block that forwarded values are carved from.
	keys map[string][]byte
	slab []byte
}

func (b *batch) reset() { *b = batch{emit: b.emit, keys: b.keys, slab: b.slab} }

// take counts a polled record against the batch's bounds.
func (b *batch) take(r *kgo.Record) {
	if b.polled == 0 {
		b.began = time.Now()
	}
	b.polled++
	b.bytes += int64(len(r.Key) + len(r.Value))
}

// key returns region as a record key.
func (b *batch) key(region string) []byte {
	if k, ok := b.keys[region]; ok {
		return k
	}
	if b.keys == nil {
		b.keys = map[string][]byte{}
	}
	k := []byte(region)
	if len(b.keys) < maxInterned {
		b.keys[region] = k
	}
	return k
}

// maxInterned bounds the region names kept as keys and strings.
const maxInterned = 1 << 12

// buf returns an empty slice of capacity n, carved from a shared block
// when n is small, so that forwarded values do not cost an allocation
// each. The block is never written twice: a carved slice stays valid.
func (b *batch) buf(n int) []byte {
	const block = 64 << 10
	if n > block/16 {
		return make([]byte, 0, n)
	}
	if cap(b.slab) < n {
		b.slab = make([]byte, 0, block)
	}
	s := b.slab[:0:n]
	b.slab = b.slab[:n][n:]
	return s
}

// bounds limit a micro-batch, as Spark's maxOffsetsPerTrigger does: a
// batch that reaches either ends at once, whatever the trigger, and the
// next one starts.
type bounds struct {
	records int64 // records polled, transaction markers included
	bytes   int64 // bytes of keys and values polled
}

// full reports whether b reached a bound.
func (l bounds) full(b *batch) bool {
	return b.polled-b.beside >= l.records || b.bytes >= l.bytes
}

// room returns how many more records b may take, at least 1.
func (l bounds) room(b *batch) int {
	return int(max(1, l.records-(b.polled-b.beside)))
}
