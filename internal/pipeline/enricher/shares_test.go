package enricher

import (
	"maps"
	"testing"
)

func TestShareOut(t *testing.T) {
	for _, tc := range []struct {
		name   string
		budget int64
		lag    map[int32]int64
		want   map[int32]int64
	}{
		{"equal lags", 300, map[int32]int64{0: 1000, 1: 1000, 2: 1000}, map[int32]int64{0: 100, 1: 100, 2: 100}},
		{"proportional", 100, map[int32]int64{0: 600, 1: 300, 2: 100}, map[int32]int64{0: 60, 1: 30, 2: 10}},
		{"remainder to largest fractions", 10, map[int32]int64{0: 5, 1: 5, 2: 5}, map[int32]int64{0: 4, 1: 3, 2: 3}},
		{"remainder by fraction, not partition", 10, map[int32]int64{0: 10, 1: 17, 2: 3}, map[int32]int64{0: 3, 1: 6, 2: 1}},
		{"no lag gives its part away", 100, map[int32]int64{0: 0, 1: 500, 2: 500}, map[int32]int64{0: 0, 1: 50, 2: 50}},
		{"under budget takes all", 5000, map[int32]int64{0: 10, 1: 2000, 2: 0}, map[int32]int64{0: 10, 1: 2000, 2: 0}},
		{"exactly budget", 30, map[int32]int64{0: 10, 1: 20}, map[int32]int64{0: 10, 1: 20}},
		{"tiny lag still gets its rounding", 100, map[int32]int64{0: 1, 1: 1_000_000}, map[int32]int64{0: 0, 1: 100}},
		{"huge lags do not overflow", 100_000, map[int32]int64{0: 1 << 60, 1: 1 << 60}, map[int32]int64{0: 50_000, 1: 50_000}},
		{"negative lag counts as none", 10, map[int32]int64{0: -5, 1: 100}, map[int32]int64{0: 0, 1: 10}},
		{"nothing", 10, map[int32]int64{}, map[int32]int64{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := shareOut(tc.budget, tc.lag)
			if !maps.Equal(got, tc.want) {
				t.Fatalf("shareOut(%d, %v) = %v, want %v", tc.budget, tc.lag, got, tc.want)
			}
			var sum, total int64
			for p, v := range got {
				sum += v
				if v > max(tc.lag[p], 0) {
					t.Errorf("partition %d: share %d over its lag %d", p, v, tc.lag[p])
				}
			}
			for _, l := range tc.lag {
				total += max(l, 0)
			}
			if sum != min(tc.budget, total) {
				t.Errorf("shares sum to %d, want %d", sum, min(tc.budget, total))
			}
		})
	}
}

func TestSharesPauseAndMeet(t *testing.T) {
	var s shares
	end := map[int32]int64{0: 105, 1: 100, 2: 7}
	s.set(10, map[int32]int64{0: 5, 1: 5}, end, false) // within budget: none
	if s.active() || s.met() {
		t.Fatal("shares in force for lags within the budget")
	}
	s.set(10, map[int32]int64{0: 0, 1: 0}, end, true) // no lag: none
	if s.active() {
		t.Fatal("shares in force without lag")
	}
	s.set(10, map[int32]int64{0: 5, 1: 5}, end, true) // whole lags
	if !s.active() || s.full() || s.share[0] != 5 || s.share[1] != 5 {
		t.Fatalf("whole-lag shares %v, capped %v: want 5 and 5, not capped", s.share, s.capped)
	}
	s = shares{}
	// Partition 0 starts at offset 5, 1 at 0; 2 has no lag.
	s.set(4, map[int32]int64{0: 100, 1: 100, 2: 0}, end, false)
	if got := s.pollMax(4); got != 4 {
		t.Errorf("pollMax(4) = %d, want 4 (the room)", got)
	}
	if s.take(0, 5) || !s.take(0, 6) || s.take(0, 7) {
		t.Fatal("partition 0 not paused exactly at its share of 2 (offsets 5 and 6)")
	}
	if s.met() {
		t.Fatal("met with partition 1 short of its share")
	}
	if s.take(2, 7) {
		t.Fatal("partition 2, without a share, paused")
	}
	// Offsets a read_committed fetch skipped count: offset 1 alone
	// means offsets 0 and 1 were taken.
	if !s.take(1, 1) {
		t.Fatal("partition 1 not paused at offset 1, the end of its share")
	}
	if !s.met() || !s.full() || len(s.paused) != 2 {
		t.Fatalf("met %v, paused %v: want met, 0 and 1 paused", s.met(), s.paused)
	}
}
