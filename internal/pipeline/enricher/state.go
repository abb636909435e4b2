package enricher

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/salesstream/salesstream/internal/platform/topics"
	"github.com/salesstream/salesstream/pkg/window"
)

// The state topic is a compacted changelog of the window tables, one
// table per partition of the repartition topic: the state of repartition
// partition p lives in changelog partition p, so it moves with p from one
// instance to another. A partition holds one record per (region, window
// start) of its table, with the aggregate; a tombstone when the window is
// dropped; one record per sales partition with the largest event time
// stage 2 has heard of from it and whether it is idle (the watermark
// markers, see watermark.go); and one meta record with the table's
// watermark, its largest event time, the query event time the watermark
// followed, the window settings the state was built with, and the
// partition and partition count it was written for. Records are written in
// the transaction that commits the offsets they account for, so the
// committed changelog always matches the committed offsets.
//
// Window key:  'w' | uvarint(len(region)) | region | int64 start
// Window value: int64 total cents | int64 count
// Source key:  'S' | uint32 sales partition
// Source value: int64 largest event time | byte flags (1: idle)
// Meta key:    'M'
// Meta value:  byte layout (3) | int32 partition | int32 partitions |
//              int64 watermark | int64 max event time | int64 size ms |
//              int64 slide ms | int64 start ms | byte mode |
//              int64 query event time
//
// The first layout kept one table for the whole sales topic in a state
// topic of one partition, with meta key 'm' and no layout byte; the second
// kept one watermark per repartition partition. The enricher refuses a
// topic of either rather than misread or mix it.

const (
	metaKey    = "M"
	oldMetaKey = "m"
)

const (
	stateLayout = 3
	metaLen     = 1 + 4 + 4 + 5*8 + 1 + 8
	// perPartitionLayout is the layout of one watermark per repartition
	// partition.
	perPartitionLayout = 2
)

func windowKey(region string, start int64) []byte {
	b := make([]byte, 0, 1+binary.MaxVarintLen64+len(region)+8)
	b = append(b, 'w')
	b = binary.AppendUvarint(b, uint64(len(region)))
	b = append(b, region...)
	return binary.BigEndian.AppendUint64(b, uint64(start))
}

func parseWindowKey(k []byte) (string, int64, error) {
	if len(k) < 1 || k[0] != 'w' {
		return "", 0, errors.New("not a window key")
	}
	n, w := binary.Uvarint(k[1:])
	if w <= 0 || n > uint64(len(k)) || uint64(len(k)) != 1+uint64(w)+n+8 {
		return "", 0, errors.New("malformed window key")
	}
	region := string(k[1+w : 1+w+int(n)])
	return region, int64(binary.BigEndian.Uint64(k[len(k)-8:])), nil
}

func windowValue(a window.Sum) []byte {
	b := make([]byte, 0, 16)
	b = binary.BigEndian.AppendUint64(b, uint64(a.Total))
	return binary.BigEndian.AppendUint64(b, uint64(a.Count))
}

type meta struct {
	partition, partitions int32
	watermark, maxEvent   int64
	size, slide, start    int64
	mode                  window.Mode
	eventTime             int64 // the query's, that the watermark followed
}

func metaValue(m meta) []byte {
	b := make([]byte, 0, metaLen)
	b = append(b, stateLayout)
	b = binary.BigEndian.AppendUint32(b, uint32(m.partition))
	b = binary.BigEndian.AppendUint32(b, uint32(m.partitions))
	for _, v := range []int64{m.watermark, m.maxEvent, m.size, m.slide, m.start} {
		b = binary.BigEndian.AppendUint64(b, uint64(v))
	}
	b = append(b, byte(m.mode))
	return binary.BigEndian.AppendUint64(b, uint64(m.eventTime))
}

// errPerPartitionState refuses a state topic whose windows were closed by
// a watermark per repartition partition: mixed with the query's
// watermark, its windows and late events would follow neither.
var errPerPartitionState = errors.New("the state was written by an older enricher that kept one watermark per repartition partition (state layout 2), " +
	"while this one keeps one watermark for the whole query; start afresh with a new --group and --state-topic " +
	"(the new group reads the sales topic again from its start)")

func parseMeta(v []byte) (meta, error) {
	if len(v) > 0 && v[0] == perPartitionLayout {
		return meta{}, errPerPartitionState
	}
	if len(v) != metaLen {
		return meta{}, fmt.Errorf("meta record of %d bytes, want %d", len(v), metaLen)
	}
	if v[0] != stateLayout {
		return meta{}, fmt.Errorf("meta record of state layout %d, want %d", v[0], stateLayout)
	}
	g := func(i int) int64 { return int64(binary.BigEndian.Uint64(v[9+8*i:])) }
	return meta{
		partition: int32(binary.BigEndian.Uint32(v[1:])), partitions: int32(binary.BigEndian.Uint32(v[5:])),
		watermark: g(0), maxEvent: g(1), size: g(2), slide: g(3), start: g(4), mode: window.Mode(v[metaLen-9]),
		eventTime: int64(binary.BigEndian.Uint64(v[metaLen-8:])),
	}, nil
}

func (e *Enricher) metaOf(tk *task, partitions int32) meta {
	w := e.cfg.Window
	slide := w.Slide
	if slide == 0 {
		slide = w.Size
	}
	return meta{
		partition: tk.partition, partitions: partitions,
		watermark: tk.t.Watermark(), maxEvent: tk.t.MaxEventTime(), eventTime: tk.t.EventTime(),
		size: w.Size.Milliseconds(), slide: slide.Milliseconds(), start: w.Start.Milliseconds(), mode: w.Mode,
	}
}

// changelog emits the records of tk's changes since the last call, the
// sales partitions' marks that changed, and its meta and settings
// records, all for tk's changelog partition.
func (e *Enricher) changelog(tk *task, partitions int32, emit func(*kgo.Record)) {
	tk.updated, tk.removed = 0, 0
	tk.t.Changes(func(r window.Row[string, window.Sum], deleted bool) {
		rec := &kgo.Record{Topic: e.cfg.StateTopic, Partition: tk.partition, Key: windowKey(r.Key, r.Start)}
		if deleted {
			tk.removed++
		} else {
			tk.updated++
			rec.Value = windowValue(r.Agg)
		}
		emit(rec)
	})
	e.marksChangelog(tk, emit)
	emit(&kgo.Record{Topic: e.cfg.StateTopic, Partition: tk.partition, Key: []byte(metaKey), Value: metaValue(e.metaOf(tk, partitions))})
	emit(e.settingsRecord(tk))
}

// readLayout lists, in one request of a short-lived client, the partition
// counts of the sales, repartition and state topics, checks them
// (checkCounts), and returns the sales and repartition topics' counts.
// The session's client is made with them (its fetch bounds).
func (e *Enricher) readLayout(ctx context.Context, connOpts []kgo.Opt) (sales, repartition int32, err error) {
	cl, err := kgo.NewClient(connOpts...)
	if err != nil {
		return 0, 0, fmt.Errorf("create client: %w", err)
	}
	defer cl.Close()
	n, err := topics.Partitions(ctx, cl, e.cfg.SalesTopic, e.cfg.RepartitionTopic, e.cfg.StateTopic)
	if err != nil {
		return 0, 0, err
	}
	repartition, err = e.checkCounts(n)
	return n[e.cfg.SalesTopic], repartition, err
}

// checkCounts checks that the state topic has as many partitions as the
// repartition topic, in partition counts n, and returns that count.
func (e *Enricher) checkCounts(n map[string]int32) (int32, error) {
	r, s := n[e.cfg.RepartitionTopic], n[e.cfg.StateTopic]
	if r != s {
		return 0, &fatalError{fmt.Errorf("state topic %s has %d partitions but the repartition topic %s has %d, and the state of each repartition partition lives in the state partition of the same number: "+
			"the state was written by an older enricher (one table for the whole sales topic) or for another partition count; "+
			"start afresh with a new --state-topic and --group (the new group reads the sales topic again from its start)",
			e.cfg.StateTopic, s, e.cfg.RepartitionTopic, r)}
	}
	return r, nil
}

// restoreFetchBytes is shared among the changelog partitions a restore
// reads, as the bound of each one's fetches (topics.CommittedFetch).
const restoreFetchBytes = 256 << 10

// restore rebuilds the tables of the given repartition partitions from
// their changelog partitions, for a repartition topic of partitions
// partitions. Its cost grows with the windows still open, not with the
// length of history, as compaction keeps one record per window.
//
// It first waits until every transaction that had written to those
// changelog partitions has ended. The instance that owned a partition
// before may have committed its last micro-batch just before the partition
// moved, its commit markers still on their way; reading to the last stable
// offset before they land would miss that commit, while the group, which
// waits for pending offsets (RequireStableFetchOffsets), resumes after it.
func (e *Enricher) restore(ctx context.Context, connOpts []kgo.Opt, parts []int32, partitions int32) (map[int32]*task, error) {
	offsets := make(map[int32]kgo.Offset, len(parts))
	for _, p := range parts {
		offsets[p] = kgo.NewOffset().AtStart()
	}
	cl, err := kgo.NewClient(append(append(slices.Clone(connOpts), topics.CommittedFetch(restoreFetchBytes, len(parts))...),
		kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{e.cfg.StateTopic: offsets}),
		kgo.FetchIsolationLevel(kgo.ReadCommitted()),
		kgo.KeepControlRecords(),
		// Small fetches: changelog records are small and compress well,
		// so a fetch decodes to many times its bytes (a kgo.Record is
		// some 200 bytes); the restore holds the tables and little more.
		kgo.MaxConcurrentFetches(1),
	)...)
	if err != nil {
		return nil, fmt.Errorf("create state reader: %w", err)
	}
	defer cl.Close()
	if err := topics.WaitStable(ctx, cl, e.cfg.StateTopic, parts); err != nil {
		return nil, err
	}
	ends, err := topics.ListPartitionEnds(ctx, cl, e.cfg.StateTopic, parts)
	if err != nil {
		return nil, err
	}
	// Each partition's records go straight into its table as they are
	// read, the last record of a window winning and a tombstone deleting
	// it, so the restore holds no more than the tables it builds.
	tasks := make(map[int32]*task, len(parts))
	loads := make(map[int32]*window.Loader[string, int64, window.Sum], len(parts))
	for _, p := range parts {
		tk, err := e.newTask(p)
		if err != nil {
			return nil, err
		}
		tasks[p], loads[p] = tk, tk.t.Load()
	}
	metas := make(map[int32]*meta, len(parts))
	settings := make(map[int32][]byte, len(parts)) // the last settings record of each
	err = ends.Consume(ctx, cl, func(r *kgo.Record) error {
		tk := tasks[r.Partition]
		tk.read++
		if string(r.Key) == SettingsKey {
			// A copy: the value is a view of the fetched batch.
			settings[r.Partition] = slices.Clone(r.Value)
			return nil
		}
		if err := e.restoreRecord(tk, loads[r.Partition], metas, r); err != nil {
			return &fatalError{fmt.Errorf("state topic %s partition %d offset %d: %w", e.cfg.StateTopic, r.Partition, r.Offset, err)}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for _, p := range parts {
		tk := tasks[p]
		if err := e.restoreTask(tk, metas[p], loads[p], partitions); err != nil {
			return nil, err
		}
		tk.marks.commit()
	}
	e.warnRegionsChanged(settings)
	return tasks, nil
}

// warnRegionsChanged warns, once a restore, if the state restored was
// built with another regions table than the enricher's, as the last
// settings record of each partition restored says. As in Spark's
// stream-static join, the new table joins the sales read from now on, and
// the windows already counted keep the regions they were joined with.
// Each commit writes a settings record of the new table, so only the
// restores before a partition's first commit after the change warn.
// reader --audit checks a run against one regions file: it refuses the
// mix while the state topic still holds a settings record of the earlier
// table, and once compaction has removed those, it reports the windows
// joined with the earlier table as mismatches. A settings record that does
// not parse says nothing of the regions (the audit refuses it).
func (e *Enricher) warnRegionsChanged(settings map[int32][]byte) {
	var parts []int32
	var was Settings
	for _, p := range slices.Sorted(maps.Keys(settings)) {
		if s, err := ParseSettings(settings[p]); err == nil && s.RegionsHash != e.hash {
			parts, was = append(parts, p), s
		}
	}
	if parts == nil {
		return
	}
	e.log.Warn("the regions file differs from the one the restored state was built with: sales read from now on join with the new regions, windows already counted keep the old; to count every sale with the new regions, start afresh with a new --group, --state-topic and --summary-topic",
		"state_partitions", parts, "built_with", was.Regions, "built_countries", was.Countries,
		"regions", e.cfg.RegionsSource, "countries", e.countries())
}

// restoreRecord applies one changelog record of tk's partition: a window
// record to the table being loaded, a marks record to tk's marks, a meta
// record to metas.
func (e *Enricher) restoreRecord(tk *task, ld *window.Loader[string, int64, window.Sum], metas map[int32]*meta, r *kgo.Record) error {
	switch {
	case string(r.Key) == oldMetaKey:
		return errors.New("the state was written by an older enricher (one table for the whole sales topic); " +
			"start afresh with a new --state-topic and --group (the new group reads the sales topic again from its start)")
	case string(r.Key) == metaKey:
		m, err := parseMeta(r.Value)
		if err != nil {
			return err
		}
		metas[r.Partition] = &m
		return nil
	case string(r.Key) == StartKey:
		return nil // for reader --audit
	case isMarksKey(r.Key):
		sp, mk, err := parseMarksRecord(r.Key, r.Value)
		if err != nil {
			return err
		}
		tk.marks.cur[sp] = mk
		return nil
	}
	region, start, err := parseWindowKey(r.Key)
	if err != nil {
		return err
	}
	if r.Value == nil {
		ld.Delete(region, start)
		return nil
	}
	if len(r.Value) != 16 {
		return fmt.Errorf("window value of %d bytes, want 16", len(r.Value))
	}
	return ld.Put(region, start, window.Sum{
		Total: int64(binary.BigEndian.Uint64(r.Value)), Count: int64(binary.BigEndian.Uint64(r.Value[8:])),
	})
}

// restoreTask checks a changelog partition's meta record m (nil if none)
// against the configuration and ends the load of tk's table with it.
func (e *Enricher) restoreTask(tk *task, m *meta, ld *window.Loader[string, int64, window.Sum], partitions int32) error {
	p := tk.partition
	if m == nil {
		if ld.Len() > 0 {
			return &fatalError{fmt.Errorf("state topic %s partition %d holds windows but no meta record: it was not written by this enricher", e.cfg.StateTopic, p)}
		}
		tk.t.Checkpoint()
		return nil
	}
	if m.partition != p || m.partitions != partitions {
		return &fatalError{fmt.Errorf("state topic %s partition %d holds the state of partition %d of %d, not of partition %d of %d: "+
			"the repartition topic %s was changed after the state was written; start afresh with a new --state-topic and --group",
			e.cfg.StateTopic, p, m.partition, m.partitions, p, partitions, e.cfg.RepartitionTopic)}
	}
	if want := e.metaOf(tk, partitions); m.size != want.size || m.slide != want.slide || m.start != want.start || m.mode != want.mode {
		return &fatalError{fmt.Errorf("state topic %s was built with window %v sliding %v (start %v, %s mode), not the configured %v sliding %v (start %v, %s mode): "+
			"restore the old settings, or start afresh with a new --group, --state-topic and --summary-topic (the summary holds rows of the old windows)",
			e.cfg.StateTopic, ms(m.size), ms(m.slide), ms(m.start), m.mode, ms(want.size), ms(want.slide), ms(want.start), want.mode)}
	}
	if err := ld.Done(m.watermark, m.maxEvent, m.eventTime); err != nil {
		return &fatalError{fmt.Errorf("restore state from %s partition %d: %w", e.cfg.StateTopic, p, err)}
	}
	// The rollback point of the first micro-batch.
	tk.t.Checkpoint()
	return nil
}

func ms(v int64) time.Duration { return time.Duration(v) * time.Millisecond }

func cmpInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
