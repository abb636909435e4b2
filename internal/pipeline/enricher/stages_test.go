package enricher

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/salesstream/salesstream/internal/domain/money"
	"github.com/salesstream/salesstream/internal/domain/sales"
	"github.com/salesstream/salesstream/internal/domain/schema"
	"github.com/salesstream/salesstream/internal/domain/schema/schematest"
	"github.com/salesstream/salesstream/pkg/window"
)

func saleValue(country string, ts int64, cents int64) schema.SaleValue {
	return schema.SaleValue{PaymentID: 1, CustomerID: 2, Amount: schema.AppendDecimal(nil, money.Cents(cents)), PaymentDate: ts, Country: &country}
}

// TestForwardAndFold runs sales records through stage 1, then the
// repartition records it writes, as stage 2 fetches them, through a
// table: valid sales go to their region's key with the original record
// inside, bad ones to the dead-letter topic, and a late sale to the late
// topic with its original key, value, timestamp, headers and source.
func TestForwardAndFold(t *testing.T) {
	dec := schematest.Decoder{
		"europe": saleValue("France ", t0+minute, 1199),
		"asia":   saleValue("Japan", t0+30*minute, 500),
		"late":   saleValue("France", t0+2*minute, 7),
	}
	cfg := DefaultConfig()
	cfg.LateTopic, cfg.RepartitionTopic = "late", "rep"
	e, err := New(cfg, sales.NewRegions(map[string]string{"France": "Europe", "Japan": "Asia & Pacific"}), dec, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	sent := time.UnixMilli(1_700_000_000_123)
	in := func(value string, offset int64) *kgo.Record {
		return &kgo.Record{Topic: cfg.SalesTopic, Partition: 2, Offset: offset, Key: []byte("customer-" + value), Value: []byte(value),
			Timestamp: sent.Add(time.Duration(offset) * time.Second), Headers: []kgo.RecordHeader{{Key: schema.HeaderLine, Value: []byte(strconv.Itoa(int(offset)))}}}
	}
	var out []*kgo.Record
	b := batch{emit: func(r *kgo.Record) { out = append(out, r) }}
	var v schema.SaleValue
	for i, value := range []string{"europe", "not avro", "asia", "late"} {
		if err := e.forward(ctx, &b, in(value, int64(10+i)), &v); err != nil {
			t.Fatal(err)
		}
	}
	if b.records != 4 || b.forwards != 3 || b.dead != 1 || len(out) != 4 {
		t.Fatalf("stage 1: %d records, %d forwarded, %d dead, %d out; want 4, 3, 1, 4", b.records, b.forwards, b.dead, len(out))
	}
	if d := out[1]; d.Topic != cfg.DeadLetterTopic || string(d.Value) != "not avro" || headerMap(d)[HeaderOffset] != "11" || headerMap(d)[HeaderError] != "not framed" {
		t.Errorf("dead letter %+v", d)
	}
	wantKeys := []string{"Europe", "", "Asia & Pacific", "Europe"}
	var fetched []*kgo.Record
	for i, r := range out {
		if i == 1 {
			continue
		}
		if r.Topic != "rep" || string(r.Key) != wantKeys[i] || headerMap(r)[schema.HeaderLine] != strconv.Itoa(10+i) {
			t.Errorf("repartition record %d: topic %s, key %q, headers %v", i, r.Topic, r.Key, r.Headers)
		}
		// As stage 2 fetches it, from partition 0 of the repartition topic.
		fetched = append(fetched, &kgo.Record{Topic: "rep", Partition: 0, Offset: int64(i), Key: bytes.Clone(r.Key), Value: bytes.Clone(r.Value), Headers: r.Headers})
	}

	b.reset()
	out = out[:0]
	tk, err := e.newTask(0)
	if err != nil {
		t.Fatal(err)
	}
	names := regionNames{}
	e.fold(&b, tk, fetched[0], names)
	e.fold(&b, tk, fetched[1], names)
	// The trigger emits the four windows the two sales are in, then the
	// watermark moves to t0+20m and the windows of t0+2m close.
	var emitted []string
	tk.t.Trigger(func(r window.Row[string, window.Sum]) {
		emitted = append(emitted, fmt.Sprintf("%s@%d=%d/%d", r.Key, (r.Start-t0)/minute, r.Agg.Total, r.Agg.Count))
	})
	if want := []string{"Europe@-5=1199/1", "Europe@0=1199/1", "Asia & Pacific@25=500/1", "Asia & Pacific@30=500/1"}; !slices.Equal(emitted, want) {
		t.Errorf("trigger emitted %v, want %v", emitted, want)
	}
	e.fold(&b, tk, fetched[2], names)
	e.fold(&b, tk, &kgo.Record{Topic: "rep", Partition: 0, Offset: 9, Key: []byte("Europe"), Value: []byte("garbage")}, names)
	if b.windowed != 4 || b.agg != 2 || b.late != 1 || b.dead != 1 || !tk.touched {
		t.Fatalf("stage 2: %d windowed, %d aggregated, %d late, %d dead, touched %v; want 4, 2, 1, 1, true", b.windowed, b.agg, b.late, b.dead, tk.touched)
	}
	late := out[0]
	h := headerMap(late)
	if late.Topic != "late" || string(late.Key) != "customer-late" || string(late.Value) != "late" || !late.Timestamp.Equal(sent.Add(13*time.Second)) {
		t.Errorf("late record: topic %s, key %q, value %q, timestamp %v", late.Topic, late.Key, late.Value, late.Timestamp)
	}
	if h[HeaderTopic] != cfg.SalesTopic || h[HeaderPartition] != "2" || h[HeaderOffset] != "13" || h[schema.HeaderLine] != "13" ||
		h[HeaderLateWindows] != "2" || h[HeaderWatermark] != strconv.FormatInt(t0+20*minute, 10) {
		t.Errorf("late record headers %v", h)
	}
	if d := out[1]; d.Topic != cfg.DeadLetterTopic || headerMap(d)[HeaderTopic] != "rep" {
		t.Errorf("an unreadable repartition record went to %s with headers %v", d.Topic, d.Headers)
	}
	if n := tk.t.Len(); n != 2 {
		t.Errorf("the table holds %d windows after the late sale, want Asia & Pacific's 2", n)
	}
}

func headerMap(r *kgo.Record) map[string]string {
	m := map[string]string{}
	for _, h := range r.Headers {
		m[h.Key] = string(h.Value)
	}
	return m
}
