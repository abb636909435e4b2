package enricher

import (
	"log/slog"
	"strconv"
	"strings"
	"testing"
)

func TestUnassignedCounts(t *testing.T) {
	tests := []struct {
		name    string
		add     []string
		top     int
		want    Unassigned
		summary string
	}{
		{"none", nil, 5, Unassigned{}, ""},
		{"blank only", []string{"", ""}, 5, Unassigned{Blank: 2},
			"2 sales counted under Unassigned: 2 with a blank country, 0 with a country r.csv lacks"},
		{"top names, ties by name", []string{"Peru", "", "Narnia", "Peru", "Atlantis"}, 2,
			Unassigned{Blank: 1, Unknown: 4, Top: []CountryCount{{"Peru", 2}, {"Atlantis", 1}}},
			"5 sales counted under Unassigned: 1 with a blank country, 4 with a country r.csv lacks (Peru 2, Atlantis 1, others 1); add those countries to the regions file to give them a region"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := &Enricher{}
			var b noRegion
			for _, c := range tt.add {
				b.add(c)
			}
			e.unassigned.merge(&b)
			got := e.Unassigned(tt.top)
			if got.Blank != tt.want.Blank || got.Unknown != tt.want.Unknown || len(got.Top) != len(tt.want.Top) {
				t.Fatalf("got %+v, want %+v", got, tt.want)
			}
			for i := range got.Top {
				if got.Top[i] != tt.want.Top[i] {
					t.Errorf("top %d: %+v, want %+v", i, got.Top[i], tt.want.Top[i])
				}
			}
			if s := got.Summary("r.csv"); s != tt.summary {
				t.Errorf("summary %q, want %q", s, tt.summary)
			}
		})
	}
}

// TestUnassignedBounded: names beyond the bound are counted, not kept.
func TestUnassignedBounded(t *testing.T) {
	e := &Enricher{}
	for round := range 3 {
		var b noRegion
		for i := range maxUnknownNames + 10 {
			b.add("country " + strconv.Itoa(i+round))
		}
		e.unassigned.merge(&b)
	}
	if n := len(e.unassigned.n.unknown); n != maxUnknownNames {
		t.Errorf("%d names kept, want the bound %d", n, maxUnknownNames)
	}
	if u := e.Unassigned(3); u.Unknown != 3*(maxUnknownNames+10) || len(u.Top) != 3 {
		t.Errorf("got %d unknown, %d top; want %d and 3", u.Unknown, len(u.Top), 3*(maxUnknownNames+10))
	}
}

// TestStatsLogValue: Stats log as fields with a readable watermark, never
// as a Go struct.
func TestStatsLogValue(t *testing.T) {
	tests := []struct {
		name string
		wm   int64
		want string
	}{
		{"no watermark", minInt64, `stats.watermark="none yet"`},
		{"watermark", 1620651600000, "stats.watermark=2021-05-10T13:00:00Z"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b strings.Builder
			slog.New(slog.NewTextHandler(&b, nil)).Info("done", "stats", Stats{Consumed: 7, Watermark: tt.wm})
			out := b.String()
			if !strings.Contains(out, tt.want) || !strings.Contains(out, "stats.consumed=7") || strings.Contains(out, "{") {
				t.Errorf("logged %q, want fields with %s", out, tt.want)
			}
		})
	}
}
