package enricher

import (
	"fmt"
	"strconv"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/salesstream/salesstream/pkg/window"
)

// Stage 2, per partition of the repartition topic: a window table per
// partition (a task), the fold of each repartitioned sale into it, and the
// table's changelog (its codec and restore are in state.go).

type table = window.Table[string, int64, window.Sum]

// task is stage 2 for one partition of the repartition topic that this
// instance owns: its window table, checkpointed at each commit (the
// table keeps what the open micro-batch changed, to roll it back).
type task struct {
	partition int32
	t         *table
	touched   bool   // took input in the current micro-batch
	read      int    // changelog records read to restore it
	marks     *marks // the sales partitions' event times, for the watermark
	// updated and removed count the rows the last changelog wrote and
	// dropped, for the batch's progress.
	updated, removed int64
}

func (e *Enricher) newTask(p int32) (*task, error) {
	t, err := window.New[string, int64, window.Sum](e.cfg.Window, window.AddSum)
	if err != nil {
		return nil, &fatalError{fmt.Errorf("window: %w", err)}
	}
	return &task{partition: p, t: t, marks: newMarks()}, nil
}

// regionNames interns the region names read from record keys, up to
// maxInterned of them.
type regionNames map[string]string

// intern returns k as a string, shared by every key with its bytes.
func (m regionNames) intern(k []byte) string {
	if r, ok := m[string(k)]; ok {
		return r
	}
	r := string(k)
	if len(m) < maxInterned {
		m[r] = r
	}
	return r
}

// fold is stage 2 for one repartition record: it folds the sale into tk's
// table, and files it in b as late if a window it belongs to had closed.
// names interns the record's key.
func (e *Enricher) fold(b *batch, tk *task, r *kgo.Record, names regionNames) {
	if isMarker(r.Value) {
		e.observeMarker(b, tk, r)
		return
	}
	if _, _, _, ok, err := WindowedRange(r.Value); ok {
		if err != nil {
			e.deadLetter(b, r, err)
		}
		return // its sales were windowed by the batch that wrote it
	}
	f, err := parseRepartitionValue(r.Value)
	if err != nil {
		b.windowed++
		tk.touched = true
		e.deadLetter(b, r, err)
		return
	}
	e.foldSale(b, tk, names.intern(r.Key), &f, r.Headers)
}

// foldSale folds the sale f of region into tk's table, and files it in b
// as late if a window it belongs to had closed; headers are its original
// record's.
func (e *Enricher) foldSale(b *batch, tk *task, region string, f *forwarded, headers []kgo.RecordHeader) {
	b.windowed++
	tk.touched = true
	// As in Spark, an event counts in each of its windows that the
	// watermark has not closed; it is late if any window refused it.
	kept, dropped := tk.t.AddWindows(region, f.ts, f.cents)
	if kept > 0 {
		b.agg++
	}
	b.f.eventTime(f.ts)
	if dropped > 0 {
		b.late++
		b.f.lateEvent(kept, dropped)
		if e.cfg.LateTopic != "" {
			b.emit(&kgo.Record{
				Topic: e.cfg.LateTopic, Key: f.key, Value: f.value, Timestamp: time.UnixMilli(f.timestamp),
				Headers: originHeaders(headers, e.cfg.SalesTopic, f.partition, f.offset,
					kgo.RecordHeader{Key: HeaderWatermark, Value: strconv.AppendInt(nil, tk.t.Watermark(), 10)},
					kgo.RecordHeader{Key: HeaderLateWindows, Value: strconv.AppendInt(nil, int64(dropped), 10)},
				),
			})
		}
	}
}
