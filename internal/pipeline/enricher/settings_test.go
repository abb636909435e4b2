package enricher

import (
	"bytes"
	"context"
	"strconv"
	"testing"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/salesstream/salesstream/internal/domain/sales"
	"github.com/salesstream/salesstream/internal/domain/schema"
	"github.com/salesstream/salesstream/internal/domain/schema/schematest"
	"github.com/salesstream/salesstream/pkg/window"
)

// TestLateHeadersNameTheClosedWindows checks that a late record's
// watermark header tells which windows refused the sale, so that an
// auditor can take a partly late sale out of exactly those: the windows
// ending at or before it. The sale at t0+14m is in [t0+5m, t0+15m),
// closed by the watermark t0+15m, and in [t0+10m, t0+20m), still open.
func TestLateHeadersNameTheClosedWindows(t *testing.T) {
	dec := schematest.Decoder{"new": saleValue("France", t0+25*minute, 100), "partly": saleValue("France", t0+14*minute, 7)}
	cfg := DefaultConfig()
	cfg.LateTopic, cfg.RepartitionTopic = "late", "rep"
	e, err := New(cfg, sales.NewRegions(map[string]string{"France": "Europe"}), dec, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	tk, err := e.newTask(0)
	if err != nil {
		t.Fatal(err)
	}
	names := regionNames{}
	var out []*kgo.Record
	b := batch{emit: func(r *kgo.Record) { out = append(out, r) }}
	var v schema.SaleValue
	pass := func(value string) {
		b.reset()
		out = out[:0]
		if err := e.forward(context.Background(), &b, &kgo.Record{Topic: cfg.SalesTopic, Offset: 1, Value: []byte(value)}, &v); err != nil {
			t.Fatal(err)
		}
		r := out[0]
		b.reset()
		out = out[:0]
		e.fold(&b, tk, &kgo.Record{Topic: "rep", Key: bytes.Clone(r.Key), Value: bytes.Clone(r.Value)}, names)
	}
	pass("new")
	tk.t.Trigger(nil)
	pass("partly")
	if b.agg != 1 || b.late != 1 || len(out) != 1 {
		t.Fatalf("the partly late sale: %d aggregated, %d late, %d records out; want 1, 1, 1", b.agg, b.late, len(out))
	}
	h := headerMap(out[0])
	wm, err := strconv.ParseInt(h[HeaderWatermark], 10, 64)
	if err != nil || wm != t0+15*minute || h[HeaderLateWindows] != "1" {
		t.Fatalf("late headers %v, want watermark %d and 1 window", h, t0+15*minute)
	}
	held := map[int64]window.Sum{}
	for _, r := range tk.t.Snapshot().Rows {
		held[r.Start] = r.Agg
	}
	for start, want := range map[int64]int64{t0 + 5*minute: 0, t0 + 10*minute: 7} {
		closed := start+10*minute <= wm
		if got := held[start].Total; got != want || closed != (want == 0) {
			t.Errorf("window at t0%+dm holds %d cents (closed by the header's watermark: %v), want %d", (start-t0)/minute, got, closed, want)
		}
	}
}

// TestSettingsRecord checks the settings record an auditor reads.
func TestSettingsRecord(t *testing.T) {
	cfg := DefaultConfig()
	cfg.LateTopic, cfg.RegionsSource, cfg.Time = "late", "data/regions.csv", RecordTimestamp
	cfg.Window.Mode = window.Append
	regions := sales.NewRegions(map[string]string{"France": "Europe", "Japan": "Asia & Pacific"})
	e, err := New(cfg, regions, nil, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	tk, err := e.newTask(2)
	if err != nil {
		t.Fatal(err)
	}
	r := e.settingsRecord(tk)
	if r.Topic != cfg.StateTopic || r.Partition != 2 || string(r.Key) != SettingsKey {
		t.Fatalf("settings record in %s[%d] with key %q", r.Topic, r.Partition, r.Key)
	}
	got, err := ParseSettings(r.Value)
	if err != nil {
		t.Fatal(err)
	}
	want := Settings{Version: SettingsVersion, RegionsHash: regions.Hash(), Regions: "data/regions.csv", Countries: 2,
		SalesTopic: cfg.SalesTopic, SummaryTopic: cfg.SummaryTopic, DeadLetterTopic: cfg.DeadLetterTopic, LateTopic: "late",
		RepartitionTopic: cfg.Group + "-repartition", Time: "record", SizeMs: 600_000, SlideMs: 300_000, DelayMs: 600_000,
		Mode: "append", Partition: 2, Watermark: minInt64}
	if got != want {
		t.Errorf("settings\n%+v\nwant\n%+v", got, want)
	}
	for _, bad := range []string{`{"version":2}`, `not json`} {
		if _, err := ParseSettings([]byte(bad)); err == nil {
			t.Errorf("ParseSettings(%s) accepted it", bad)
		}
	}
}
