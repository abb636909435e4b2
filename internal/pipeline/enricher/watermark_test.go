package enricher

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

func TestMarkerRoundTrip(t *testing.T) {
	for _, m := range []marker{
		{partition: 0, maxEvent: 1651841319707},
		{partition: 2, maxEvent: math.MinInt64},
		{partition: maxSalesPartitions - 1, maxEvent: -5, idle: true},
	} {
		v := appendMarker(nil, m)
		if !isMarker(v) {
			t.Errorf("%+v: not recognised as a marker", m)
		}
		got, err := parseMarker(v)
		if err != nil || got != m {
			t.Errorf("round trip of %+v: %+v, %v", m, got, err)
		}
	}
}

func TestParseMarkerRejects(t *testing.T) {
	good := appendMarker(nil, marker{partition: 1, maxEvent: 7})
	for name, v := range map[string][]byte{
		"empty":          nil,
		"a sale":         appendRepartitionValue(nil, &forwarded{ts: 1}),
		"truncated":      good[:len(good)-1],
		"trailing":       append(append([]byte{}, good...), 0),
		"bad flags":      append(append([]byte{}, good[:len(good)-1]...), 2),
		"huge partition": appendMarker(nil, marker{partition: maxSalesPartitions}),
		"neg partition":  appendMarker(nil, marker{partition: -1}),
	} {
		if m, err := parseMarker(v); err == nil {
			t.Errorf("%s: parsed as %+v, want an error", name, m)
		}
	}
	if isMarker(appendRepartitionValue(nil, &forwarded{ts: 1})) {
		t.Error("a forwarded sale is taken for a marker")
	}
}

// TestMarksEventTime checks each policy's query event time.
func TestMarksEventTime(t *testing.T) {
	none := int64(math.MinInt64)
	tests := []struct {
		name    string
		markers []marker
		sales   int32
		max     int64
		min     int64
	}{
		{"nothing heard", nil, 3, none, none},
		{"all heard", []marker{{0, 100, false}, {1, 40, false}, {2, 70, false}}, 3, 100, 40},
		{"running max per partition", []marker{{0, 100, false}, {1, 40, false}, {1, 30, false}, {2, 70, false}}, 3, 100, 40},
		{"one not heard holds min back", []marker{{0, 100, false}, {1, 40, false}}, 3, 100, none},
		{"idle one does not hold min back", []marker{{0, 100, false}, {1, 40, false}, {2, none, true}}, 3, 100, 40},
		{"idle keeps its max for max", []marker{{0, 100, false}, {0, none, true}, {1, 40, false}, {2, 70, false}}, 3, 100, 40},
		{"back from idle holds again", []marker{{0, 100, false}, {1, 40, true}, {1, 50, false}, {2, 70, false}}, 3, 100, 50},
		{"only dead records holds min", []marker{{0, 100, false}, {1, none, false}}, 2, 100, none},
		{"all idle", []marker{{0, none, true}, {1, none, true}}, 2, none, none},
		{"a partition beyond the count", []marker{{0, 100, false}, {1, 90, false}, {3, 20, false}}, 2, 100, none},
	}
	for _, tt := range tests {
		m := newMarks()
		for _, mk := range tt.markers {
			m.observe(mk)
		}
		if got := m.eventTime(MaxPolicy, tt.sales); got != tt.max {
			t.Errorf("%s: max policy %d, want %d", tt.name, got, tt.max)
		}
		if got := m.eventTime(MinPolicy, tt.sales); got != tt.min {
			t.Errorf("%s: min policy %d, want %d", tt.name, got, tt.min)
		}
	}
}

func TestMarksRollback(t *testing.T) {
	m := newMarks()
	m.observe(marker{partition: 0, maxEvent: 10})
	m.commit()
	m.observe(marker{partition: 0, maxEvent: 50})
	m.observe(marker{partition: 1, maxEvent: 5})
	m.rollback()
	if got := m.eventTime(MaxPolicy, 1); got != 10 || len(m.cur) != 1 || len(m.changed) != 0 {
		t.Errorf("after rollback: event time %d, marks %v, changed %v; want 10, one mark, none changed", got, m.cur, m.changed)
	}
}

func TestMarksRecordRoundTrip(t *testing.T) {
	for _, s := range []sourceMark{{maxEvent: 5}, {maxEvent: math.MinInt64, idle: true}} {
		k := marksKey(7)
		if !isMarksKey(k) || isMarksKey([]byte(metaKey)) || isMarksKey(windowKey("S", 0)) {
			t.Fatal("marks keys are not told apart from meta and window keys")
		}
		p, got, err := parseMarksRecord(k, marksValue(s))
		if err != nil || p != 7 || got != s {
			t.Errorf("round trip of %+v: %d %+v %v", s, p, got, err)
		}
	}
	if _, _, err := parseMarksRecord(marksKey(1), []byte{1, 2}); err == nil {
		t.Error("a short marks value was accepted")
	}
}

// TestSourceClockIdle checks which markers stage 1 writes: one per sales
// partition read, and one idle marker, once, for an owned partition with
// no record for the idle timeout.
func TestSourceClockIdle(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	c := newSourceClock("sales")
	c.asg.assigned(nil, nil, map[string][]int32{"sales": {0, 1}, "other": {5}})
	c.apply(t0)
	var b batch
	b.noteSource(0, 100)
	b.noteSource(0, math.MinInt64)
	b.noteSource(0, 300)
	ms, idle := c.markers(&b, t0.Add(time.Second), time.Minute)
	if len(ms) != 1 || ms[0] != (marker{partition: 0, maxEvent: 300}) || len(idle) != 0 {
		t.Fatalf("first batch: markers %+v idle %v, want partition 0 at 300 only", ms, idle)
	}
	c.committed(&b, idle, t0.Add(time.Second))
	b.reset()
	ms, idle = c.markers(&b, t0.Add(60500*time.Millisecond), time.Minute)
	if len(ms) != 1 || ms[0] != (marker{partition: 1, maxEvent: math.MinInt64, idle: true}) {
		t.Fatalf("a minute on: markers %+v, want partition 1 idle", ms)
	}
	c.committed(&b, idle, t0.Add(60500*time.Millisecond))
	if ms, _ := c.markers(&b, t0.Add(62*time.Second), time.Minute); len(ms) != 1 || ms[0].partition != 0 || !ms[0].idle {
		t.Fatalf("partition 0 a minute after its data: markers %+v, want it idle (and 1 not again)", ms)
	}
	if ms, _ := c.markers(&b, t0.Add(time.Hour), 0); len(ms) != 0 {
		t.Fatalf("idleness off: markers %+v, want none", ms)
	}
	c.asg.revoked(nil, nil, map[string][]int32{"sales": {0, 1}})
	c.apply(t0)
	if ms, _ := c.markers(&b, t0.Add(time.Hour), time.Minute); len(ms) != 0 {
		t.Fatalf("after revocation: markers %+v, want none", ms)
	}
}

func TestMarkerRecordsAndPartitioner(t *testing.T) {
	e := &Enricher{cfg: Config{RepartitionTopic: "rep", StateTopic: "state"}}
	var recs []*kgo.Record
	e.emitMarkers([]marker{{partition: 0, maxEvent: 1}, {partition: 1, maxEvent: 2}}, 3, func(r *kgo.Record) { recs = append(recs, r) })
	if len(recs) != 6 {
		t.Fatalf("%d marker records, want 2 markers x 3 partitions", len(recs))
	}
	tp := newPartitioner("state", "rep").ForTopic("rep")
	seen := map[int32]int{}
	for _, r := range recs {
		if got := tp.Partition(r, 3); int32(got) != r.Partition || r.Key != nil {
			t.Errorf("marker for partition %d placed in %d", r.Partition, got)
		}
		seen[r.Partition]++
	}
	if len(seen) != 3 {
		t.Errorf("markers reach partitions %v, want all 3", seen)
	}
	sale := &kgo.Record{Topic: "rep", Key: []byte("Europe"), Value: appendRepartitionValue(nil, &forwarded{ts: 1}), Partition: 2}
	want := kgo.StickyKeyPartitioner(nil).ForTopic("rep").Partition(sale, 3)
	if got := tp.Partition(sale, 3); got != want {
		t.Errorf("a sale placed in %d, want %d by its key's hash", got, want)
	}
}

func TestParseWatermarkPolicy(t *testing.T) {
	for in, want := range map[string]WatermarkPolicy{"max": MaxPolicy, "min": MinPolicy} {
		if got, err := ParseWatermarkPolicy(in); err != nil || got != want || got.String() != in {
			t.Errorf("ParseWatermarkPolicy(%q) = %v, %v", in, got, err)
		}
	}
	if _, err := ParseWatermarkPolicy("median"); err == nil || !strings.Contains(err.Error(), "max") {
		t.Errorf("median: %v, want an error listing max and min", err)
	}
}

func TestFmtEventTimes(t *testing.T) {
	got := fmtEventTimes(map[int32]int64{1: math.MinInt64, 0: 0})
	if got != "0=1970-01-01T00:00:00Z 1=none yet" {
		t.Errorf("fmtEventTimes = %q", got)
	}
}
