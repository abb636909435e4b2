// Package textenum names the values of a small enumeration, such as a
// flag's choices, in one table: parsing a name, printing a value and
// listing the choices in an error all read the same list, so they cannot
// disagree. The producer's EventTime, the reader's Format and the
// enricher's TimeSource use it.
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

// Choices lists the names for an error message: "a, b or c".
func (n Names[T]) Choices() string {
	if len(n.List) < 2 {
		return strings.Join(n.List, "")
	}
	last := len(n.List) - 1
	return strings.Join(n.List[:last], ", ") + " or " + n.List[last]
}
