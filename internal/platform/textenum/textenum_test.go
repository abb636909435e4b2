package textenum

import "testing"

type color int

var colors = Names[color]{Type: "color", List: []string{"red", "green", "blue"}}

func TestParse(t *testing.T) {
	tests := []struct {
		in   string
		want color
		ok   bool
	}{
		{"red", 0, true},
		{"green", 1, true},
		{"blue", 2, true},
		{"", 0, false},
		{"Red", 0, false},
		{" red", 0, false},
		{"purple", 0, false},
	}
	for _, tt := range tests {
		if got, ok := colors.Parse(tt.in); got != tt.want || ok != tt.ok {
			t.Errorf("Parse(%q) = %v, %v; want %v, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestString(t *testing.T) {
	tests := []struct {
		v    color
		want string
	}{
		{0, "red"}, {2, "blue"}, {3, "color(3)"}, {-1, "color(-1)"},
	}
	for _, tt := range tests {
		if got := colors.String(tt.v); got != tt.want {
			t.Errorf("String(%d) = %q, want %q", int(tt.v), got, tt.want)
		}
	}
}

func TestChoices(t *testing.T) {
	tests := []struct {
		list []string
		want string
	}{
		{nil, ""},
		{[]string{"one"}, "one"},
		{[]string{"one", "two"}, "one or two"},
		{[]string{"red", "green", "blue"}, "red, green or blue"},
	}
	for _, tt := range tests {
		if got := (Names[color]{List: tt.list}).Choices(); got != tt.want {
			t.Errorf("Choices of %q = %q, want %q", tt.list, got, tt.want)
		}
	}
}
