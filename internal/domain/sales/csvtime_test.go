package sales

import (
	"testing"
	"time"
)

// slowParseTime is ParseTime without its fast path.
func slowParseTime(s string) (time.Time, error) {
	var err error
	for _, l := range timeLayouts {
		var t time.Time
		if t, err = time.Parse(l, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, err
}

func TestParseUTCFastAgreesWithLayouts(t *testing.T) {
	for _, s := range []string{
		"2021-05-10 13:04:06.996577+00", "2021-05-10 13:04:06+00", "2021-05-10 13:04:06.9+00",
		"2021-05-10 13:04:06.123456789+00", "2024-02-29 23:59:59.000001+00", "0001-01-01 00:00:00+00",
		// not the fast path's: the layouts decide
		"2023-02-29 10:00:00+00", "2021-13-10 13:04:06+00", "2021-05-32 13:04:06+00", "2021-05-10 24:00:00+00",
		"2021-05-10 13:60:06+00", "2021-05-10 13:04:60+00", "2021-05-10 13:04:06.+00", "2021-05-10 13:04:06.1234567890+00",
		"2021-05-10 13:04:06+02", "2021-05-10 13:04:06+02:00", "2021-05-10T13:04:06Z", "2021-5-10 13:04:06+00",
		"0000-01-01 00:00:00+00", "2021-05-10 13:04:0x+00", "2021-05-10 13:04:06,5+00", "", "+00",
	} {
		want, werr := slowParseTime(s)
		got, ok := parseUTCFast(s)
		if ok && (werr != nil || !got.Equal(want) || got.Location() != time.UTC) {
			t.Errorf("parseUTCFast(%q) = %v, want %v (err %v)", s, got, want, werr)
		}
		p, perr := ParseTime(s)
		if (perr == nil) != (werr == nil) || !p.Equal(want) {
			t.Errorf("ParseTime(%q) = %v, %v; layouts give %v, %v", s, p, perr, want, werr)
		}
	}
}

func BenchmarkParseTime(b *testing.B) {
	b.ReportAllocs()
	for range b.N {
		if _, err := ParseTime("2021-05-10 13:04:06.996577+00"); err != nil {
			b.Fatal(err)
		}
	}
}

func TestDaysIn(t *testing.T) {
	for _, y := range []int{1, 4, 100, 400, 1900, 2000, 2023, 2024, 2100, 9999} {
		for m := time.January; m <= time.December; m++ {
			if got, want := daysIn(m, y), time.Date(y, m+1, 0, 0, 0, 0, 0, time.UTC).Day(); got != want {
				t.Errorf("daysIn(%v, %d) = %d, want %d", m, y, got, want)
			}
		}
	}
}
