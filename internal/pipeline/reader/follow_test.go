package reader

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

func TestFilter(t *testing.T) {
	at := func(h int) time.Time { return time.Date(2024, 3, 1, h, 0, 0, 0, time.UTC) }
	row := Row{Region: "Europe", WindowStart: at(10)}
	for _, tt := range []struct {
		name string
		f    Filter
		want bool
	}{
		{"none", Filter{}, true},
		{"region", Filter{Region: "Europe"}, true},
		{"other region", Filter{Region: "Asia"}, false},
		{"since equal", Filter{Since: at(10)}, true},
		{"since after", Filter{Since: at(11)}, false},
		{"until after", Filter{Until: at(11)}, true},
		{"until equal", Filter{Until: at(10)}, false},
		{"between", Filter{Region: "Europe", Since: at(9), Until: at(11)}, true},
	} {
		if got := tt.f.Keep(row); got != tt.want {
			t.Errorf("%s: Keep = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestParseTime(t *testing.T) {
	want := time.Date(2024, 3, 1, 12, 30, 0, 0, time.UTC)
	for _, in := range []string{"2024-03-01T12:30:00Z", "2024-03-01T14:30:00+02:00", "2024-03-01 12:30", "2024-03-01T12:30", "2024-03-01 12:30:00"} {
		if got, err := ParseTime(in); err != nil || !got.Equal(want) || got.Location() != time.UTC {
			t.Errorf("ParseTime(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	if got, err := ParseTime("2024-03-01"); err != nil || !got.Equal(time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("a date: %v, %v", got, err)
	}
	if got, err := ParseTime(""); err != nil || !got.IsZero() {
		t.Errorf("empty: %v, %v", got, err)
	}
	if _, err := ParseTime("yesterday"); err == nil || !strings.Contains(err.Error(), "RFC 3339") {
		t.Errorf("a bad time: %v", err)
	}
}

func TestPrinterPrintsCommittedRowsFiltered(t *testing.T) {
	start := time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC)
	rows := func(regions ...string) []Change {
		var cs []Change
		for _, r := range regions {
			cs = append(cs, Change{Row: Row{Region: r, WindowStart: start, WindowEnd: start.Add(10 * time.Minute), Sales: 1234, Orders: 2}})
		}
		return cs
	}
	for _, tt := range []struct {
		format Format
		want   []string
		not    []string
	}{
		{Table, []string{"-- 1 rows committed, read at 2024-03-01 13:00:00 UTC --", "WINDOW START (UTC)", "Europe", "12.34"}, []string{"Asia"}},
		{JSON, []string{`{"region":"Europe","window_start":"2024-03-01T12:00:00Z","window_end":"2024-03-01T12:10:00Z","sales":"12.34","orders":2}`}, []string{"Asia", "committed"}},
		{CSV, []string{"Europe,2024-03-01T12:00:00Z"}, []string{"region,window_start", "Asia"}},
	} {
		var b bytes.Buffer
		p := &Printer{W: &b, Format: tt.format, Filter: Filter{Region: "Europe"}, Now: func() time.Time { return start.Add(time.Hour) }}
		if err := p.Committed(rows("Asia", "Europe")); err != nil {
			t.Fatal(err)
		}
		if err := p.Committed(append(rows("Asia"), Change{Row: Row{Region: "Europe"}, Deleted: true})); err != nil {
			t.Fatal(err)
		}
		for _, w := range tt.want {
			if !strings.Contains(b.String(), w) {
				t.Errorf("format %d: output lacks %q:\n%s", tt.format, w, b.String())
			}
		}
		for _, n := range tt.not {
			if strings.Contains(b.String(), n) {
				t.Errorf("format %d: output has %q:\n%s", tt.format, n, b.String())
			}
		}
	}
}
