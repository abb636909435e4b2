package window

import (
	"encoding/json"
	"math"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestParseMode(t *testing.T) {
	tests := []struct {
		in      string
		want    Mode
		wantErr bool
	}{
		{"update", Update, false},
		{"complete", Complete, false},
		{"append", Append, false},
		{" Append\n", Append, false},
		{"UPDATE", Update, false},
		{"", 0, true},
		{"updates", 0, true},
		{"complete mode", 0, true},
	}
	for _, tt := range tests {
		got, err := ParseMode(tt.in)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("ParseMode(%q) = %v, %v; want %v, error %v", tt.in, got, err, tt.want, tt.wantErr)
		}
		if err != nil && !strings.Contains(err.Error(), "update, complete or append") {
			t.Errorf("ParseMode(%q) error %q does not say what is accepted", tt.in, err)
		}
	}
}

func TestModeText(t *testing.T) {
	for _, m := range []Mode{Update, Complete, Append} {
		b, err := json.Marshal(m)
		if err != nil {
			t.Fatalf("marshal %v: %v", m, err)
		}
		var back Mode
		if err := json.Unmarshal(b, &back); err != nil || back != m {
			t.Errorf("round trip of %v via %s gave %v, %v", m, b, back, err)
		}
		if p, _ := ParseMode(m.String()); p != m {
			t.Errorf("ParseMode(%v.String()) = %v", m, p)
		}
	}
	if got := Mode(9).String(); got != "Mode(9)" {
		t.Errorf("Mode(9).String() = %q", got)
	}
	if _, err := Mode(9).MarshalText(); err == nil {
		t.Error("Mode(9).MarshalText() succeeded")
	}
}

func TestValidate(t *testing.T) {
	ok := Config{Size: 10 * time.Minute, Slide: 5 * time.Minute, Delay: 10 * time.Minute, Mode: Update}
	tests := []struct {
		name  string
		edit  func(*Config)
		field string // "" for valid; else a word the error must contain
	}{
		{"reference", func(*Config) {}, ""},
		{"tumbling by default", func(c *Config) { c.Slide = 0; c.Start = 9 * time.Minute }, ""},
		{"slide equals size", func(c *Config) { c.Slide = c.Size }, ""},
		{"size not a multiple of slide", func(c *Config) { c.Slide = 3 * time.Minute; c.Start = 2 * time.Minute }, ""},
		{"zero delay", func(c *Config) { c.Delay = 0 }, ""},
		{"append", func(c *Config) { c.Mode = Append }, ""},
		{"zero size", func(c *Config) { c.Size = 0; c.Slide = 0 }, "Size"},
		{"negative size", func(c *Config) { c.Size = -time.Minute }, "Size"},
		{"size below a millisecond", func(c *Config) { c.Size = time.Microsecond; c.Slide = 0 }, "Size"},
		{"fractional milliseconds", func(c *Config) { c.Size = 1500 * time.Microsecond; c.Slide = 0 }, "milliseconds"},
		{"negative slide", func(c *Config) { c.Slide = -time.Minute }, "Slide"},
		{"slide above size", func(c *Config) { c.Slide = 11 * time.Minute }, "Slide"},
		{"too many windows per event", func(c *Config) { c.Size = time.Hour; c.Slide = time.Millisecond }, "windows"},
		{"negative start", func(c *Config) { c.Start = -time.Minute }, "Start"},
		{"start equal to slide", func(c *Config) { c.Start = 5 * time.Minute }, "Start"},
		{"start equal to tumbling size", func(c *Config) { c.Slide = 0; c.Start = c.Size }, "Start"},
		{"negative delay", func(c *Config) { c.Delay = -time.Second }, "Delay"},
		{"fractional delay", func(c *Config) { c.Delay = time.Microsecond }, "Delay"},
		{"unknown mode", func(c *Config) { c.Mode = 3 }, "Mode"},
	}
	for _, tt := range tests {
		c := ok
		tt.edit(&c)
		err := c.Validate()
		switch {
		case tt.field == "" && err != nil:
			t.Errorf("%s: Validate(%+v) = %v, want nil", tt.name, c, err)
		case tt.field != "" && err == nil:
			t.Errorf("%s: Validate(%+v) = nil, want an error about %s", tt.name, c, tt.field)
		case tt.field != "" && !strings.Contains(err.Error(), tt.field):
			t.Errorf("%s: Validate(%+v) = %q, want it to mention %s", tt.name, c, err, tt.field)
		}
		if _, nerr := New[string](c, AddSum); (nerr == nil) != (err == nil) {
			t.Errorf("%s: New error %v disagrees with Validate error %v", tt.name, nerr, err)
		}
	}
}

func TestNewNilAdd(t *testing.T) {
	if _, err := New[string, int64, Sum](Config{Size: time.Minute}, nil); err == nil {
		t.Error("New with a nil add function succeeded")
	}
}

func TestWindows(t *testing.T) {
	const ms = time.Millisecond
	type w = [2]int64
	tests := []struct {
		name string
		cfg  Config
		ts   int64
		want []w
	}{
		{"tumbling at start", Config{Size: 10 * ms}, 0, []w{{0, 10}}},
		{"tumbling last instant", Config{Size: 10 * ms}, 9, []w{{0, 10}}},
		{"tumbling end is exclusive", Config{Size: 10 * ms}, 10, []w{{10, 20}}},
		{"tumbling before 1970", Config{Size: 10 * ms}, -1, []w{{-10, 0}}},
		{"tumbling negative boundary", Config{Size: 10 * ms}, -10, []w{{-10, 0}}},
		{"tumbling negative past boundary", Config{Size: 10 * ms}, -11, []w{{-20, -10}}},
		{"tumbling with start", Config{Size: 7 * ms, Start: 3 * ms}, -5, []w{{-11, -4}}},
		{"sliding mid", Config{Size: 10 * ms, Slide: 5 * ms}, 7, []w{{0, 10}, {5, 15}}},
		{"sliding on a start", Config{Size: 10 * ms, Slide: 5 * ms}, 5, []w{{0, 10}, {5, 15}}},
		{"sliding before a start", Config{Size: 10 * ms, Slide: 5 * ms}, 4, []w{{-5, 5}, {0, 10}}},
		{"sliding negative", Config{Size: 10 * ms, Slide: 5 * ms}, -1, []w{{-10, 0}, {-5, 5}}},
		{"sliding with start", Config{Size: 10 * ms, Slide: 5 * ms, Start: 2 * ms}, 2, []w{{-3, 7}, {2, 12}}},
		{"sliding with start, before it", Config{Size: 10 * ms, Slide: 5 * ms, Start: 2 * ms}, 1, []w{{-8, 2}, {-3, 7}}},
		{"size not a multiple, four windows", Config{Size: 10 * ms, Slide: 3 * ms}, 0, []w{{-9, 1}, {-6, 4}, {-3, 7}, {0, 10}}},
		{"size not a multiple, three windows", Config{Size: 10 * ms, Slide: 3 * ms}, 1, []w{{-6, 4}, {-3, 7}, {0, 10}}},
		{"size not a multiple, three again", Config{Size: 10 * ms, Slide: 3 * ms}, 2, []w{{-6, 4}, {-3, 7}, {0, 10}}},
		{"size not a multiple, four again", Config{Size: 10 * ms, Slide: 3 * ms}, 3, []w{{-6, 4}, {-3, 7}, {0, 10}, {3, 13}}},
		{"size not a multiple, negative", Config{Size: 10 * ms, Slide: 3 * ms}, -1, []w{{-9, 1}, {-6, 4}, {-3, 7}}},
		{"reference shape", Config{Size: 10 * time.Minute, Slide: 5 * time.Minute}, hm(12, 7),
			[]w{{hm(12, 0), hm(12, 10)}, {hm(12, 5), hm(12, 15)}}},
		{"slide of one", Config{Size: 3 * ms, Slide: ms}, 0, []w{{-2, 1}, {-1, 2}, {0, 3}}},
		{"earliest time", Config{Size: 10 * ms}, EarliestTime, []w{{EarliestTime - 6, EarliestTime + 4}}},
		{"latest time", Config{Size: 10 * ms, Slide: 5 * ms}, LatestTime, []w{{LatestTime - 8, LatestTime + 2}, {LatestTime - 3, LatestTime + 7}}},
		{"before earliest time", Config{Size: 10 * ms}, EarliestTime - 1, nil},
		{"after latest time", Config{Size: 10 * ms}, math.MaxInt64, nil},
		{"invalid config", Config{Size: 10 * ms, Slide: 20 * ms}, 0, nil},
	}
	for _, tt := range tests {
		var got []w
		for s, e := range tt.cfg.Windows(tt.ts) {
			got = append(got, w{s, e})
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("%s: %+v.Windows(%d) = %v, want %v", tt.name, tt.cfg, tt.ts, got, tt.want)
		}
	}
}

func TestWindowsStopsEarly(t *testing.T) {
	n := 0
	for range (Config{Size: 10 * time.Millisecond, Slide: time.Millisecond}).Windows(0) {
		n++
		break
	}
	if n != 1 {
		t.Errorf("loop ran %d times after break, want 1", n)
	}
}
