package enricher

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/salesstream/salesstream/pkg/topics"
	"github.com/salesstream/salesstream/pkg/window"
)

// The state topic is a compacted changelog of the window table: one record
// per (region, window start) holding its aggregate, a tombstone when the
// window is dropped, and one meta record holding the watermark, the largest
// event time and the window settings the state was built with. Records are
// written in the transaction that commits the offsets they account for, so
// the committed changelog always matches the committed offsets.
//
// Window key:  'w' | uvarint(len(region)) | region | int64 start
// Window value: int64 total cents | int64 count
// Meta key:    'm'
// Meta value:  int64 watermark | int64 max event time | int64 size ms |
//              int64 slide ms | int64 start ms | byte mode

var metaKey = []byte{'m'}

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
	watermark, maxEvent int64
	size, slide, start  int64
	mode                window.Mode
}

func metaValue(m meta) []byte {
	b := make([]byte, 0, 41)
	for _, v := range []int64{m.watermark, m.maxEvent, m.size, m.slide, m.start} {
		b = binary.BigEndian.AppendUint64(b, uint64(v))
	}
	return append(b, byte(m.mode))
}

func parseMeta(v []byte) (meta, error) {
	if len(v) != 41 {
		return meta{}, fmt.Errorf("meta record of %d bytes, want 41", len(v))
	}
	g := func(i int) int64 { return int64(binary.BigEndian.Uint64(v[8*i:])) }
	return meta{g(0), g(1), g(2), g(3), g(4), window.Mode(v[40])}, nil
}

func (e *Enricher) metaOf(t *table) meta {
	w := e.cfg.Window
	slide := w.Slide
	if slide == 0 {
		slide = w.Size
	}
	return meta{t.Watermark(), t.MaxEventTime(), w.Size.Milliseconds(), slide.Milliseconds(), w.Start.Milliseconds(), w.Mode}
}

// changelog appends to out the records of the table's changes since the
// last call, and the meta record.
func (e *Enricher) changelog(t *table, out []*kgo.Record) []*kgo.Record {
	t.Changes(func(r window.Row[string, window.Sum], deleted bool) {
		rec := &kgo.Record{Topic: e.cfg.StateTopic, Key: windowKey(r.Key, r.Start)}
		if !deleted {
			rec.Value = windowValue(r.Agg)
		}
		out = append(out, rec)
	})
	return append(out, &kgo.Record{Topic: e.cfg.StateTopic, Key: metaKey, Value: metaValue(e.metaOf(t))})
}

// loadState reads the committed changelog from its start to its end and
// restores t from it; it returns the windows restored and the records
// read. Its cost grows with the windows still open, not with the length of
// history: compaction keeps one record per window, and drops a closed
// window's tombstone after the topic's delete.retention.ms.
func (e *Enricher) loadState(ctx context.Context, connOpts []kgo.Opt, t *table) (windows, records int, err error) {
	cl, err := kgo.NewClient(append(slices.Clone(connOpts),
		kgo.ConsumeTopics(e.cfg.StateTopic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.FetchIsolationLevel(kgo.ReadCommitted()),
		kgo.KeepControlRecords(),
	)...)
	if err != nil {
		return 0, 0, fmt.Errorf("create state reader: %w", err)
	}
	defer cl.Close()
	ends, err := topics.ListEnds(ctx, cl, nil, e.cfg.StateTopic)
	if err != nil {
		return 0, 0, err
	}
	rows := map[string]window.Row[string, window.Sum]{}
	var m *meta
	read := 0
	size := e.cfg.Window.Size.Milliseconds()
	for !ends.Done() {
		fs := cl.PollFetches(ctx)
		if err := ctx.Err(); err != nil {
			return 0, 0, err
		}
		var ferr error
		fs.EachError(func(t string, p int32, err error) {
			ferr = errors.Join(ferr, fmt.Errorf("read %s[%d]: %w", t, p, err))
		})
		if ferr != nil {
			return 0, 0, ferr
		}
		for it := fs.RecordIter(); !it.Done(); {
			r := it.Next()
			ends.Observe(r.Topic, r.Partition, r.Offset)
			if r.Attrs.IsControl() {
				continue
			}
			read++
			if len(r.Key) == 1 && r.Key[0] == 'm' {
				mm, err := parseMeta(r.Value)
				if err != nil {
					return 0, 0, &fatalError{fmt.Errorf("state topic %s offset %d: %w", e.cfg.StateTopic, r.Offset, err)}
				}
				m = &mm
				continue
			}
			region, start, err := parseWindowKey(r.Key)
			if err != nil {
				return 0, 0, &fatalError{fmt.Errorf("state topic %s offset %d: %w", e.cfg.StateTopic, r.Offset, err)}
			}
			k := string(r.Key)
			if r.Value == nil {
				delete(rows, k)
				continue
			}
			if len(r.Value) != 16 {
				return 0, 0, &fatalError{fmt.Errorf("state topic %s offset %d: window value of %d bytes, want 16", e.cfg.StateTopic, r.Offset, len(r.Value))}
			}
			rows[k] = window.Row[string, window.Sum]{Key: region, Start: start, End: start + size, Agg: window.Sum{
				Total: int64(binary.BigEndian.Uint64(r.Value)), Count: int64(binary.BigEndian.Uint64(r.Value[8:])),
			}}
		}
	}
	if m == nil {
		if len(rows) > 0 {
			return 0, 0, &fatalError{fmt.Errorf("state topic %s holds windows but no meta record: it was not written by this enricher", e.cfg.StateTopic)}
		}
		return 0, read, nil
	}
	if want := e.metaOf(t); m.size != want.size || m.slide != want.slide || m.start != want.start || m.mode != want.mode {
		return 0, 0, &fatalError{fmt.Errorf("state topic %s was built with window %v sliding %v (start %v, %s mode), not the configured %v sliding %v (start %v, %s mode): "+
			"restore the old settings, or start afresh with a new --group and --state-topic",
			e.cfg.StateTopic, ms(m.size), ms(m.slide), ms(m.start), m.mode, ms(want.size), ms(want.slide), ms(want.start), want.mode)}
	}
	st := window.State[string, window.Sum]{Watermark: m.watermark, MaxEventTime: m.maxEvent}
	for _, r := range rows {
		st.Rows = append(st.Rows, r)
	}
	slices.SortFunc(st.Rows, func(a, b window.Row[string, window.Sum]) int {
		if a.Start != b.Start {
			return cmpInt(a.Start, b.Start)
		}
		return strings.Compare(a.Key, b.Key)
	})
	if err := t.Restore(st); err != nil {
		return 0, 0, fmt.Errorf("restore state from %s: %w", e.cfg.StateTopic, err)
	}
	return len(st.Rows), read, nil
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
