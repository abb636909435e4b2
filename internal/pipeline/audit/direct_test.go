package audit

import (
	"context"
	"encoding/binary"
	"strings"
	"testing"

	"github.com/twmb/franz-go/pkg/kgo"
)

func TestWindowedRanges(t *testing.T) {
	w := windowedRanges{}
	w.add(0, 10, 20)
	w.add(0, 20, 25) // adjacent: merged
	w.add(0, 40, 50)
	w.add(0, 30, 35) // out of order: inserted
	w.add(1, 0, 5)
	if got := len(w[0]); got != 3 {
		t.Errorf("partition 0 holds %d ranges %v, want 3", got, w[0])
	}
	for _, tc := range []struct {
		p    int32
		off  int64
		want bool
	}{
		{0, 9, false}, {0, 10, true}, {0, 24, true}, {0, 25, false}, {0, 30, true}, {0, 35, false},
		{0, 39, false}, {0, 49, true}, {0, 50, false}, {1, 4, true}, {1, 5, false}, {2, 0, false},
	} {
		if got := w.has(tc.p, tc.off); got != tc.want {
			t.Errorf("has(%d, %d) = %v, want %v", tc.p, tc.off, got, tc.want)
		}
	}
}

func rangeValue(p int32, from, to int64) []byte {
	return binary.AppendVarint(binary.AppendVarint(binary.AppendVarint([]byte{'w'}, int64(p)), from), to)
}

// TestAuditorFilesDirectSales: a sale covered by a windowed-range record
// counts as aggregated, unless dead-lettered; one that also took the round
// trip, or that no record covers, is unaccounted for; a range past the
// committed offsets or malformed is a problem.
func TestAuditorFilesDirectSales(t *testing.T) {
	for _, tc := range []struct {
		name    string
		rep     []*kgo.Record
		dead    bool
		value   string
		want    Counts
		problem string
	}{
		{"windowed directly", []*kgo.Record{{Value: rangeValue(0, 2, 6)}}, false, "eu", Counts{Sales: 1, Aggregated: 1}, ""},
		{"dead-lettered in a direct batch", []*kgo.Record{{Value: rangeValue(0, 2, 6)}}, true, "not avro", Counts{Sales: 1, Dead: 1}, ""},
		{"also took the round trip", []*kgo.Record{{Value: rangeValue(0, 2, 6)}, {Partition: 1, Offset: 4, Key: []byte("Europe"), Value: repartitionValue(0, 4)}},
			false, "eu", Counts{Sales: 1, Aggregated: 1}, "more than once"},
		{"outside every range", []*kgo.Record{{Value: rangeValue(0, 5, 6)}}, false, "eu", Counts{Sales: 1, Unaccounted: 1}, "neither forwarded"},
		{"range past the cut", []*kgo.Record{{Value: rangeValue(0, 2, 11)}}, false, "eu", Counts{Sales: 1, Unaccounted: 1}, "past the group's committed offsets"},
		{"malformed range", []*kgo.Record{{Value: rangeValue(0, 6, 2)}}, false, "eu", Counts{Sales: 1, Unaccounted: 1}, "malformed windowed-range record"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := newTestAuditor("payment_date")
			for _, r := range tc.rep {
				if err := a.repartitioned(r); err != nil {
					t.Fatal(err)
				}
			}
			if tc.dead {
				*a.led.slot(0, 4) |= fDead
			}
			if err := a.sale(context.Background(), &kgo.Record{Partition: 0, Offset: 4, Value: []byte(tc.value)}); err != nil {
				t.Fatal(err)
			}
			if got := a.b.Counts(); got != tc.want {
				t.Errorf("counts %+v, want %+v", got, tc.want)
			}
			problems, _ := a.b.Problems()
			joined := strings.Join(problems, "\n")
			if tc.problem == "" && joined != "" || !strings.Contains(joined, tc.problem) {
				t.Errorf("problems %q, want one saying %q", joined, tc.problem)
			}
		})
	}
}
