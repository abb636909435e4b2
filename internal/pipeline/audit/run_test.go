package audit

import (
	"context"
	"encoding/binary"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/salesstream/salesstream/internal/domain/money"
	"github.com/salesstream/salesstream/internal/domain/sales"
	"github.com/salesstream/salesstream/internal/domain/schema"
	"github.com/salesstream/salesstream/internal/domain/schema/schematest"
	"github.com/salesstream/salesstream/internal/pipeline/enricher"
)

// repartitionValue is a repartition record's value carrying the sale at
// (p, off), in the enricher's layout.
func repartitionValue(p int32, off int64) []byte {
	b := []byte{'r'}
	for _, v := range []int64{0, 0, 0, int64(p), off} {
		b = binary.AppendVarint(b, v)
	}
	return append(binary.AppendUvarint(b, 0), "value"...)
}

func headers(kv ...string) []kgo.RecordHeader {
	var h []kgo.RecordHeader
	for i := 0; i+1 < len(kv); i += 2 {
		h = append(h, kgo.RecordHeader{Key: kv[i], Value: []byte(kv[i+1])})
	}
	return h
}

func newTestAuditor(timeSource string) *auditor {
	france := "France"
	st := enricher.Settings{SalesTopic: "sales", RepartitionTopic: "rep", Time: timeSource}
	return &auditor{
		cfg: Config{
			Decoder: schematest.Decoder{"eu": {Amount: schema.AppendDecimal(nil, money.Cents(1199)), PaymentDate: 7 * minute, Country: &france}},
			Regions: sales.NewRegions(map[string]string{"France": "Europe"}),
		},
		st:         st,
		c:          cut{committed: offsets{"sales": {0: 10}, "rep": {1: 5}}},
		led:        newLedger(map[int32]int64{}, map[int32]int64{0: 10}),
		b:          NewBatch(Spec{Size: 10 * minute, Slide: 5 * minute}),
		regionPart: map[string]int32{},
		watermark:  map[int32]int64{},
	}
}

// TestAuditorFiles checks how the outputs' records are filed in the
// ledger: windowed or in flight by the group's committed offset, dead
// letters and late records by their source headers.
func TestAuditorFiles(t *testing.T) {
	src := func(topic string, p, off int) []kgo.RecordHeader {
		return headers(schema.HeaderSourceTopic, topic, schema.HeaderSourcePartition, fmt.Sprint(p), schema.HeaderSourceOffset, fmt.Sprint(off))
	}
	for _, tc := range []struct {
		name    string
		file    func(a *auditor) error
		sale    int64 // offset whose flags to check
		want    uint8
		late    *lateInfo
		problem string
	}{
		{"windowed", func(a *auditor) error {
			return a.repartitioned(&kgo.Record{Partition: 1, Offset: 4, Key: []byte("Europe"), Value: repartitionValue(0, 3)})
		}, 3, fWindowed, nil, ""},
		{"in flight", func(a *auditor) error {
			return a.repartitioned(&kgo.Record{Partition: 1, Offset: 5, Key: []byte("Europe"), Value: repartitionValue(0, 3)})
		}, 3, fInFlight, nil, ""},
		{"forwarded past the cut", func(a *auditor) error {
			return a.repartitioned(&kgo.Record{Partition: 1, Offset: 4, Value: repartitionValue(0, 10)})
		}, 3, 0, nil, "past the group's committed offsets"},
		{"watermark marker", func(a *auditor) error {
			v := binary.AppendVarint(binary.AppendVarint([]byte{'k'}, 0), 9*minute)
			return a.repartitioned(&kgo.Record{Partition: 1, Offset: 4, Value: append(v, 0)})
		}, 3, 0, nil, ""},
		{"malformed repartition record", func(a *auditor) error {
			return a.repartitioned(&kgo.Record{Partition: 1, Offset: 4, Value: []byte("x")})
		}, 3, 0, nil, "malformed repartition record"},
		{"dead letter", func(a *auditor) error {
			return a.deadLettered(&kgo.Record{Headers: src("sales", 0, 3)})
		}, 3, fDead, nil, ""},
		{"dead letter of another topic", func(a *auditor) error {
			return a.deadLettered(&kgo.Record{Headers: src("other", 0, 3)})
		}, 3, 0, nil, ""},
		{"dead repartition record", func(a *auditor) error {
			return a.deadLettered(&kgo.Record{Headers: append(src("rep", 1, 2), headers(schema.HeaderError, "bad")...)})
		}, 3, 0, nil, "dead-lettered repartition record at partition 1 offset 2: bad"},
		{"late", func(a *auditor) error {
			return a.late(&kgo.Record{Headers: append(src("sales", 0, 3), headers(schema.HeaderWatermark, "600000", schema.HeaderLateWindows, "1")...)})
		}, 3, fLate, &lateInfo{watermark: 600000, windows: 1}, ""},
		{"late without a watermark", func(a *auditor) error {
			return a.late(&kgo.Record{Headers: src("sales", 0, 3)})
		}, 3, 0, nil, "headers salesstream.watermark"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := newTestAuditor("payment_date")
			if err := tc.file(a); err != nil {
				t.Fatal(err)
			}
			if got := *a.led.slot(0, tc.sale); got != tc.want {
				t.Errorf("flags %b, want %b", got, tc.want)
			}
			if li, ok := a.led.late[saleAt{0, tc.sale}]; (tc.late != nil) != ok || ok && li != *tc.late {
				t.Errorf("late info %+v (%v), want %+v", li, ok, tc.late)
			}
			ps, n := a.b.Problems()
			if tc.problem == "" && n != 0 || tc.problem != "" && (n != 1 || !strings.Contains(ps[0], tc.problem)) {
				t.Errorf("problems %v, want one saying %q", ps, tc.problem)
			}
		})
	}
}

// TestAuditorSale checks the decoding of sales: the time they are
// windowed on, invalid sales, and a registry outage, which is no verdict.
func TestAuditorSale(t *testing.T) {
	recTime := time.UnixMilli(12 * minute)
	for _, tc := range []struct {
		name, timeSource, value string
		rows                    map[Key]Agg
		counts                  Counts
		err                     bool
	}{
		{"payment_date", "payment_date", "eu", map[Key]Agg{{"Europe", 0}: {1199, 1}, {"Europe", 5 * minute}: {1199, 1}}, Counts{Sales: 1, Aggregated: 1}, false},
		{"record timestamp", "record", "eu", map[Key]Agg{{"Europe", 5 * minute}: {1199, 1}, {"Europe", 10 * minute}: {1199, 1}}, Counts{Sales: 1, Aggregated: 1}, false},
		{"not a sale", "payment_date", "junk", map[Key]Agg{}, Counts{Sales: 1, Dead: 1}, false},
		{"registry down", "payment_date", schematest.RegistryDown, map[Key]Agg{}, Counts{}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := newTestAuditor(tc.timeSource)
			fate := fWindowed
			if tc.value == "junk" {
				fate = fDead
			}
			a.led.mark(0, 3, fate)
			err := a.sale(context.Background(), &kgo.Record{Partition: 0, Offset: 3, Value: []byte(tc.value), Timestamp: recTime})
			if (err != nil) != tc.err {
				t.Fatalf("err %v, want error %v", err, tc.err)
			}
			if a.b.Counts() != tc.counts || len(a.b.rows) != len(tc.rows) {
				t.Errorf("counts %+v rows %v, want %+v and %v", a.b.Counts(), a.b.rows, tc.counts, tc.rows)
			}
			for k, w := range tc.rows {
				if a.b.rows[k] != w {
					t.Errorf("row %s = %v, want %v", k, a.b.rows[k], w)
				}
			}
		})
	}
}

// TestAuditorClosed checks which windows are due in append mode: those
// the watermark of their region's repartition partition has closed.
func TestAuditorClosed(t *testing.T) {
	a := newTestAuditor("payment_date")
	a.regionPart = map[string]int32{"Europe": 1, "Asia": 2}
	a.watermark = map[int32]int64{1: 15 * minute, 2: math.MinInt64}
	for _, appendMode := range []bool{false, true} {
		a.b.spec.Append = appendMode
		for _, tc := range []struct {
			key  Key
			want bool
		}{
			{Key{"Europe", 5 * minute}, true},
			{Key{"Europe", 10 * minute}, false},
			{Key{"Asia", 0}, false},
			{Key{"Nowhere", 0}, false},
		} {
			if got := a.closed(tc.key); got != (tc.want || !appendMode) {
				t.Errorf("append %v: closed(%s) = %v", appendMode, tc.key, got)
			}
		}
	}
}

// TestCheckSalesCut checks the cuts of the sales topic the audit refuses:
// it could not read them whole, or reading them would never end.
func TestCheckSalesCut(t *testing.T) {
	for _, tc := range []struct {
		name              string
		committed, starts map[int32]int64
		ends              map[int32]int64
		max               int64
		want              string // empty: no error
	}{
		{"readable", map[int32]int64{0: 10, 1: 4}, nil, map[int32]int64{0: 12, 1: 4}, 100, ""},
		{"retention deleted sales", map[int32]int64{0: 10}, map[int32]int64{0: 3}, map[int32]int64{0: 12}, 100, "partition 0 starts at offset 3"},
		{"committed past the end", map[int32]int64{0: 10, 1: 4}, nil, map[int32]int64{0: 12, 1: 2}, 100, "committed offset 4 of the sales topic sales partition 1, past the partition's end 2"},
		{"partition gone", map[int32]int64{0: 10, 1: 4}, nil, map[int32]int64{0: 12}, 100, "past the partition's end 0"},
		{"too many sales", map[int32]int64{0: 10, 1: 4}, nil, map[int32]int64{0: 12, 1: 4}, 13, "more than --audit-max-sales 13"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := newTestAuditor("payment_date")
			a.cfg.Group, a.cfg.MaxSales = "g", tc.max
			a.c = cut{committed: offsets{"sales": tc.committed}, starts: offsets{"sales": tc.starts}, ends: offsets{"sales": tc.ends}}
			err := a.checkSalesCut()
			if tc.want == "" && err != nil || tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)) {
				t.Fatalf("err %v, want one saying %q", err, tc.want)
			}
		})
	}
}
