package enricher

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/salesstream/salesstream/internal/platform/textenum"
)

// The query's watermark crosses the shuffle as Flink carries watermarks
// through one: at each commit, stage 1 writes, for every sales partition
// it read in the micro-batch (or found idle), a marker to every partition
// of the repartition topic, in the transaction of the forwarded sales and
// after them. A marker holds the largest valid event time of that sales
// partition in the micro-batch, so a marker is exactly-once like the sales
// it follows and needs no state in stage 1. Stage 2 keeps, per repartition
// partition, the largest event time of every sales partition so far (and
// whether it is idle), in the changelog with the window rows, and at each
// trigger gives its table the query's event time under the policy; the
// table's watermark is that minus the delay, never going backwards. Every
// repartition partition receives every marker, so all of them reach the
// same watermark, and one that receives no sale still closes its windows.

// WatermarkPolicy says how the query's watermark combines the largest
// event times of the sales partitions.
type WatermarkPolicy int

// The policies.
const (
	// MaxPolicy is Spark's: the largest event time of all partitions,
	// minus the delay. Events of a partition that lags behind the others
	// by more than the delay are late.
	MaxPolicy WatermarkPolicy = iota
	// MinPolicy is Flink's: the smallest of the partitions' largest
	// event times, minus the delay, so a lagging partition loses no data.
	// A partition that has not reported yet holds the watermark back,
	// unless it is idle (see Config.IdleTimeout).
	MinPolicy
)

// watermarkPolicyNames is WatermarkPolicy's table of names, read by
// ParseWatermarkPolicy and String.
func watermarkPolicyNames() textenum.Names[WatermarkPolicy] {
	return textenum.Names[WatermarkPolicy]{What: "watermark policy", Type: "WatermarkPolicy", List: []string{"max", "min"},
		Notes: []string{"Spark's: the largest event time of all partitions", "Flink's: the smallest, so a lagging partition loses nothing"}}
}

// ParseWatermarkPolicy reads "max" or "min".
func ParseWatermarkPolicy(s string) (WatermarkPolicy, error) { return watermarkPolicyNames().Parse(s) }

// String returns the policy's flag value: max or min.
func (p WatermarkPolicy) String() string { return watermarkPolicyNames().String(p) }

// MarshalText returns the policy's flag value.
func (p WatermarkPolicy) MarshalText() ([]byte, error) { return []byte(p.String()), nil }

// UnmarshalText sets the policy from text as ParseWatermarkPolicy reads
// it, or to MaxPolicy with ParseWatermarkPolicy's error.
func (p *WatermarkPolicy) UnmarshalText(b []byte) (err error) {
	*p, err = ParseWatermarkPolicy(string(b))
	return err
}

// Marker value: 'k' | varint sales partition | varint largest event time
// of the micro-batch (math.MinInt64: none valid) | byte flags (1: idle).
// Its key is nil; the partitioner writes it to the partition set on it.
const markerFormat = 'k'

// marker is one sales partition's report to one repartition partition.
type marker struct {
	partition int32 // of the sales topic
	maxEvent  int64 // largest valid event time read in the micro-batch
	idle      bool  // no record for the idle timeout
}

// maxSalesPartitions bounds the sales partitions stage 2 keeps a mark
// for, so that a corrupt marker cannot grow its state without limit.
const maxSalesPartitions = 1 << 16

func isMarker(v []byte) bool { return len(v) > 0 && v[0] == markerFormat }

func appendMarker(b []byte, m marker) []byte {
	b = append(b, markerFormat)
	b = binary.AppendVarint(b, int64(m.partition))
	b = binary.AppendVarint(b, m.maxEvent)
	var flags byte
	if m.idle {
		flags = 1
	}
	return append(b, flags)
}

var errMarker = errors.New("malformed watermark marker")

func parseMarker(v []byte) (marker, error) {
	if !isMarker(v) {
		return marker{}, fmt.Errorf("%w: unknown format", errMarker)
	}
	v = v[1:]
	p, w := binary.Varint(v)
	if w <= 0 || p < 0 || p >= maxSalesPartitions {
		return marker{}, fmt.Errorf("%w: sales partition", errMarker)
	}
	v = v[w:]
	ts, w := binary.Varint(v)
	if w <= 0 || len(v) != w+1 || v[w] > 1 {
		return marker{}, fmt.Errorf("%w: truncated or bad flags", errMarker)
	}
	return marker{partition: int32(p), maxEvent: ts, idle: v[w] == 1}, nil
}

// sourceMark is what stage 2 knows of one sales partition.
type sourceMark struct {
	maxEvent int64 // largest valid event time so far, math.MinInt64 if none
	idle     bool
}

// marks are a repartition partition's sourceMarks by sales partition, as
// now and as of the last commit.
type marks struct {
	cur, good map[int32]sourceMark
	changed   map[int32]bool // since the last changelog
}

func newMarks() *marks {
	return &marks{cur: map[int32]sourceMark{}, good: map[int32]sourceMark{}, changed: map[int32]bool{}}
}

// observe folds in a marker: the largest event time only grows; the idle
// flag is the marker's.
func (m *marks) observe(mk marker) {
	s, ok := m.cur[mk.partition]
	if !ok {
		s.maxEvent = minInt64
	}
	s.maxEvent = max(s.maxEvent, mk.maxEvent)
	s.idle = mk.idle
	m.cur[mk.partition] = s
	m.changed[mk.partition] = true
}

// commit makes the current marks the ones to roll back to.
func (m *marks) commit() { m.good = maps.Clone(m.cur) }

// rollback returns to the marks of the last commit.
func (m *marks) rollback() {
	m.cur = maps.Clone(m.good)
	clear(m.changed)
}

// eventTime is the query's event time under policy, for a sales topic of
// salesPartitions partitions: the watermark follows it. math.MinInt64
// means none yet.
func (m *marks) eventTime(policy WatermarkPolicy, salesPartitions int32) int64 {
	if policy == MaxPolicy {
		ts := int64(minInt64)
		for _, s := range m.cur {
			ts = max(ts, s.maxEvent)
		}
		return ts
	}
	ts, active := int64(minInt64), false
	for p := range max(salesPartitions, int32(len(m.cur))) {
		s, ok := m.cur[p]
		if ok && s.idle {
			continue
		}
		if !ok || s.maxEvent == minInt64 {
			return minInt64 // a partition not heard from holds it back
		}
		if !active || s.maxEvent < ts {
			ts, active = s.maxEvent, true
		}
	}
	return ts
}

// Marks changelog record: key 'S' | uint32 sales partition;
// value: int64 largest event time | byte flags (1: idle).
const marksKeyPrefix = 'S'

func marksKey(p int32) []byte {
	return binary.BigEndian.AppendUint32([]byte{marksKeyPrefix}, uint32(p))
}

func isMarksKey(k []byte) bool { return len(k) == 5 && k[0] == marksKeyPrefix }

func marksValue(s sourceMark) []byte {
	b := binary.BigEndian.AppendUint64(make([]byte, 0, 9), uint64(s.maxEvent))
	if s.idle {
		return append(b, 1)
	}
	return append(b, 0)
}

func parseMarksRecord(k, v []byte) (int32, sourceMark, error) {
	p := int32(binary.BigEndian.Uint32(k[1:]))
	if p < 0 || p >= maxSalesPartitions || len(v) != 9 || v[8] > 1 {
		return 0, sourceMark{}, fmt.Errorf("malformed watermark record of sales partition %d (%d bytes)", p, len(v))
	}
	return p, sourceMark{maxEvent: int64(binary.BigEndian.Uint64(v)), idle: v[8] == 1}, nil
}

// marksChangelog emits a record for every mark of tk changed since the
// last call.
func (e *Enricher) marksChangelog(tk *task, emit func(*kgo.Record)) {
	for _, p := range slices.Sorted(maps.Keys(tk.marks.changed)) {
		emit(&kgo.Record{Topic: e.cfg.StateTopic, Partition: tk.partition,
			Key: marksKey(p), Value: marksValue(tk.marks.cur[p])})
	}
	clear(tk.marks.changed)
}

// observeMarker is stage 2 for one marker record.
func (e *Enricher) observeMarker(b *batch, tk *task, r *kgo.Record) {
	mk, err := parseMarker(r.Value)
	if err != nil {
		tk.touched = true
		b.markers++
		e.deadLetter(b, r, err)
		return
	}
	e.noteMarker(b, tk, mk)
}

// noteMarker folds marker mk into tk's marks.
func (e *Enricher) noteMarker(b *batch, tk *task, mk marker) {
	tk.touched = true
	b.markers++
	tk.marks.observe(mk)
	if !mk.idle {
		// The query took input: in complete mode every table writes
		// its whole result, as Spark's one table does.
		tk.t.NoteInput()
	}
}

// noteSource records, in stage 1, that the micro-batch read a record of
// sales partition p, valid with event time ts or not (math.MinInt64).
func (b *batch) noteSource(p int32, ts int64) {
	if b.sources == nil {
		b.sources = map[int32]int64{}
	}
	if cur, ok := b.sources[p]; !ok || ts > cur {
		b.sources[p] = ts
	}
}

// sourceClock is stage 1's view of the sales partitions it owns: when
// each last had a record, and whether it was announced idle.
type sourceClock struct {
	asg      *assignments // of the sales topic
	lastData map[int32]time.Time
	idle     map[int32]bool
}

func newSourceClock(salesTopic string) *sourceClock {
	return &sourceClock{asg: &assignments{topic: salesTopic}, lastData: map[int32]time.Time{}, idle: map[int32]bool{}}
}

// apply follows the group's changes to the sales partitions owned; a
// partition assigned counts as having had data now.
func (c *sourceClock) apply(now time.Time) {
	drop, add := netChanges(c.asg.take())
	for _, p := range drop {
		delete(c.lastData, p)
		delete(c.idle, p)
	}
	for _, p := range add {
		c.lastData[p] = now
	}
}

// markers returns the markers of the micro-batch: one for each sales
// partition read in it, and one for each owned partition that has had no
// record for idleTimeout (if > 0) and was not yet announced idle. The
// returned idle partitions are to be passed to committed once the
// markers commit.
func (c *sourceClock) markers(b *batch, now time.Time, idleTimeout time.Duration) (ms []marker, idle []int32) {
	for _, p := range slices.Sorted(maps.Keys(b.sources)) {
		ms = append(ms, marker{partition: p, maxEvent: b.sources[p]})
	}
	if idleTimeout <= 0 {
		return ms, nil
	}
	for _, p := range slices.Sorted(maps.Keys(c.lastData)) {
		if _, read := b.sources[p]; read || c.idle[p] || now.Sub(c.lastData[p]) < idleTimeout {
			continue
		}
		ms = append(ms, marker{partition: p, maxEvent: minInt64, idle: true})
		idle = append(idle, p)
	}
	return ms, idle
}

// committed records that the micro-batch's markers committed at now.
func (c *sourceClock) committed(b *batch, idle []int32, now time.Time) {
	for p := range b.sources {
		if _, owned := c.lastData[p]; owned {
			c.lastData[p] = now
		}
		delete(c.idle, p)
	}
	for _, p := range idle {
		c.idle[p] = true
	}
}

// emitMarkers emits the records carrying ms to every one of the
// repartition topic's partitions.
func (e *Enricher) emitMarkers(ms []marker, partitions int32, emit func(*kgo.Record)) {
	for _, m := range ms {
		v := appendMarker(nil, m)
		for p := range partitions {
			emit(&kgo.Record{Topic: e.cfg.RepartitionTopic, Partition: p, Value: v})
		}
	}
}

// markerPartitioner places a repartition record: a marker in the partition
// set on it, a sale by its key.
type markerPartitioner struct{ kgo.TopicPartitioner }

func (p markerPartitioner) RequiresConsistency(r *kgo.Record) bool {
	return isMarker(r.Value) || isWindowedRange(r.Value) || p.TopicPartitioner.RequiresConsistency(r)
}

func (p markerPartitioner) Partition(r *kgo.Record, n int) int {
	if isMarker(r.Value) || isWindowedRange(r.Value) {
		return int(r.Partition)
	}
	return p.TopicPartitioner.Partition(r, n)
}

// both returns a kgo partition hook that calls a, then b.
func both(a, b func(context.Context, *kgo.Client, map[string][]int32)) func(context.Context, *kgo.Client, map[string][]int32) {
	return func(ctx context.Context, cl *kgo.Client, m map[string][]int32) {
		a(ctx, cl, m)
		b(ctx, cl, m)
	}
}

// eventTimes publishes, per sales partition, the largest event time the
// instance's repartition partitions have heard of.
type eventTimes struct {
	mu sync.Mutex
	m  map[int32]int64
}

func (t *eventTimes) store(tasks map[int32]*task) {
	m := map[int32]int64{}
	for _, tk := range tasks {
		for p, s := range tk.marks.good {
			if cur, ok := m[p]; !ok || s.maxEvent > cur {
				m[p] = s.maxEvent
			}
		}
	}
	t.mu.Lock()
	t.m = m
	t.mu.Unlock()
}

func (t *eventTimes) load() map[int32]int64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	return maps.Clone(t.m)
}

// fmtEventTimes formats event times by sales partition for a log line:
// "0=2022-05-06T12:48:39Z 1=none".
func fmtEventTimes(m map[int32]int64) string {
	var b strings.Builder
	for i, p := range slices.Sorted(maps.Keys(m)) {
		if i > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprintf(&b, "%d=%s", p, fmtMillis(m[p]))
	}
	return b.String()
}
