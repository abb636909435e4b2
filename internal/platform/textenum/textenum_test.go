package textenum

import (
	"fmt"
	"strings"
	"testing"
)

type color int

func colors() Names[color] {
	return Names[color]{What: "color", Type: "color", List: []string{"red", "green", "blue"}}
}

// TestNames checks that every name of the table parses to its value and
// back, and that anything else is refused with the list of choices.
func TestNames(t *testing.T) {
	n := colors()
	for i, name := range n.List {
		v, err := n.Parse(name)
		if err != nil || v != color(i) {
			t.Errorf("Parse(%q) = %d, %v; want %d", name, int(v), err, i)
		}
		if got := n.String(color(i)); got != name {
			t.Errorf("String(%d) = %q, want %q", i, got, name)
		}
	}
	for _, in := range []string{"", "Red", " red", "red ", "purple"} {
		want := fmt.Sprintf("color %q: want red, green or blue", in)
		if v, err := n.Parse(in); err == nil || err.Error() != want || v != 0 {
			t.Errorf("Parse(%q) = %d, %v; want 0 and %q", in, int(v), err, want)
		}
	}
	for _, v := range []color{3, -1} {
		if got, want := n.String(v), fmt.Sprintf("color(%d)", int(v)); got != want {
			t.Errorf("String(%d) = %q, want %q", int(v), got, want)
		}
	}
}

// TestAliases: an alias parses to its value, and is neither printed nor
// offered as a choice.
func TestAliases(t *testing.T) {
	n := colors()
	n.Aliases = map[string]color{"crimson": 0, "navy": 2}
	for alias, want := range n.Aliases {
		if v, err := n.Parse(alias); err != nil || v != want {
			t.Errorf("Parse(%q) = %d, %v; want %d", alias, int(v), err, int(want))
		}
	}
	if got := n.String(2); got != "blue" {
		t.Errorf("String(2) = %q, want blue", got)
	}
	if _, err := n.Parse("teal"); err == nil || err.Error() != `color "teal": want red, green or blue` {
		t.Errorf("Parse(teal) error %v, want the choices without the aliases", err)
	}
}

// TestNotes: with Notes, the choices of an error say what each means.
func TestNotes(t *testing.T) {
	n := colors()
	n.Notes = []string{"stop", "go", "calm"}
	want := `color "pink": want red (stop), green (go) or blue (calm)`
	if _, err := n.Parse("pink"); err == nil || err.Error() != want {
		t.Errorf("Parse(pink) error %v, want %q", err, want)
	}
	if got := n.String(1); got != "green" {
		t.Errorf("String(1) = %q, want green", got)
	}
}

func TestChoices(t *testing.T) {
	for list, want := range map[string]string{
		"":               "",
		"one":            "one",
		"one two":        "one or two",
		"red green blue": "red, green or blue",
	} {
		n := Names[color]{}
		if list != "" {
			n.List = strings.Fields(list)
		}
		if got := n.Choices(); got != want {
			t.Errorf("Choices of %q = %q, want %q", n.List, got, want)
		}
	}
}
