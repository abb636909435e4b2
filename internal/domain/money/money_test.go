package money

import (
	"errors"
	"math"
	"testing"
)

func TestParse(t *testing.T) {
	tests := []struct {
		in   string
		want Cents
		err  bool
	}{
		{"11.99", 1199, false},
		{"0.01", 1, false},
		{"7", 700, false},
		{"7.", 700, false},
		{".5", 50, false},
		{"3.5", 350, false},
		{"-3.5", -350, false},
		{"+10.00", 1000, false},
		{"", 0, true},
		{"-", 0, true},
		{".", 0, true},
		{"1.999", 0, true},
		{"1e3", 0, true},
		{"1.2.3", 0, true},
		{" 1.00", 0, true},
		{"99999999999999999999", 0, true},
	}
	for _, tt := range tests {
		got, err := Parse(tt.in)
		if (err != nil) != tt.err {
			t.Errorf("Parse(%q) error = %v, want error %v", tt.in, err, tt.err)
			continue
		}
		if got != tt.want {
			t.Errorf("Parse(%q) = %d, want %d", tt.in, got, tt.want)
		}
	}
	if _, err := Parse("x"); !errors.Is(err, ErrSyntax) {
		t.Errorf("Parse(x) error %v does not wrap ErrSyntax", err)
	}
}

func TestString(t *testing.T) {
	tests := []struct {
		in   Cents
		want string
	}{
		{0, "0.00"}, {1, "0.01"}, {1199, "11.99"}, {-5, "-0.05"}, {-1234, "-12.34"},
		{math.MaxInt64, "92233720368547758.07"}, {math.MinInt64 + 1, "-92233720368547758.07"},
	}
	for _, tt := range tests {
		if got := tt.in.String(); got != tt.want {
			t.Errorf("Cents(%d).String() = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func FuzzRoundTrip(f *testing.F) {
	f.Add(int64(1199))
	f.Add(int64(-1))
	f.Fuzz(func(t *testing.T, v int64) {
		if v == math.MinInt64 {
			return
		}
		got, err := Parse(Cents(v).String())
		if err != nil || got != Cents(v) {
			t.Fatalf("round trip %d: got %d, %v", v, got, err)
		}
	})
}
