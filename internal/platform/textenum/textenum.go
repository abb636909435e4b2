// Package textenum names the values of a small enumeration, such as a
// flag's choices, in one table: parsing a name, printing a value and
// listing the choices in an error all read the same list, so they cannot
// disagree. The producer's EventTime, the reader's Format and the
// enricher's TimeSource and WatermarkPolicy use it.
package textenum

import (
	"fmt"
	"strings"
)

// Names is an enumeration's table: List[v] is the name of value v, for the
// values 0 to len(List)-1.
type Names[T ~int] struct {
	// What the values are, in the words of an error: "format".
	What string
	// Type is the Go type's name, to print a value outside the table:
	// "Format(7)".
	Type string
	List []string
	// Notes, if set, say what each choice of List means: Choices writes
	// Notes[i], in parentheses, after List[i].
	Notes []string
	// Aliases are other names Parse takes, each for a value of the table;
	// String and Choices keep to List.
	Aliases map[string]T
}

// Parse returns the value named s exactly (case and space count) in List
// or Aliases, or an error that lists the choices:
// `format "yaml": want table, json or csv`.
func (n Names[T]) Parse(s string) (T, error) {
	for i, name := range n.List {
		if name == s {
			return T(i), nil
		}
	}
	if v, ok := n.Aliases[s]; ok {
		return v, nil
	}
	return 0, fmt.Errorf("%s %q: want %s", n.What, s, n.Choices())
}

// String returns v's name, or Type(v) for a value outside the table.
func (n Names[T]) String(v T) string {
	if v >= 0 && int(v) < len(n.List) {
		return n.List[v]
	}
	return fmt.Sprintf("%s(%d)", n.Type, int(v))
}

// Choices lists the names for an error message, "a, b or c", each with
// its note if there are Notes: "a (the first) or b (the second)".
func (n Names[T]) Choices() string {
	list := n.List
	if n.Notes != nil {
		list = make([]string, len(n.List))
		for i, name := range n.List {
			list[i] = name + " (" + n.Notes[i] + ")"
		}
	}
	if len(list) < 2 {
		return strings.Join(list, "")
	}
	last := len(list) - 1
	return strings.Join(list[:last], ", ") + " or " + list[last]
}
