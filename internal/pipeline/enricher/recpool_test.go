package enricher

import (
	"testing"

	"github.com/twmb/franz-go/pkg/kgo"
)

// TestRecordPoolSizes: a block has the smallest pooled size that holds the
// batch, a batch above the largest is left to the client, and a block of
// another size put back is not lent for that size. (Whether a block put
// back is lent again is sync.Pool's to decide: a new block looks the
// same.)
func TestRecordPoolSizes(t *testing.T) {
	for _, tc := range []struct {
		n, wantCap int // 0: not pooled
	}{
		{0, 64}, {1, 64}, {64, 64}, {65, 128}, {1000, 1024}, {1024, 1024}, {1025, 2048},
		{16384, 16384}, {16385, 0}, {1 << 20, 0},
	} {
		var p recordPool
		s := p.GetRecords(tc.n)
		if cap(s) != tc.wantCap || len(s) != 0 {
			t.Errorf("GetRecords(%d): len %d cap %d, want len 0 cap %d", tc.n, len(s), cap(s), tc.wantCap)
		}
		if tc.wantCap == 0 {
			continue
		}
		s = append(s, make([]kgo.Record, tc.wantCap)...)
		// A slice of another capacity is not taken. It is put back first:
		// sync.Pool lends the block put first before any other, so the
		// pool taking it would show.
		p.PutRecords(make([]kgo.Record, 3))
		p.PutRecords(s)
		if again := p.GetRecords(tc.n); cap(again) != tc.wantCap || len(again) != 0 {
			t.Errorf("GetRecords(%d) after a put: len %d cap %d", tc.n, len(again), cap(again))
		}
	}
}
