// Package textenumtest checks, in one table-driven test, that an
// enumeration's Parse function, its UnmarshalText (as flags and
// environment variables read it) and its MarshalText agree. The producer's
// and the reader's tests import it.
package textenumtest

import (
	"encoding"
	"strings"
	"testing"
)

// Case is one input: In parses to Want, or fails when Err is set.
type Case[T any] struct {
	In   string
	Want T
	Err  bool
}

// Check runs every case through parse and through a zero value's
// UnmarshalText, which must agree with parse in value and in failing. A
// failure must list choices in its message; a success must equal Want,
// and its MarshalText must be its String and parse back to it. name names
// parse in the failures, such as "ParseFormat".
func Check[T interface {
	comparable
	encoding.TextMarshaler
	String() string
}, P interface {
	*T
	encoding.TextUnmarshaler
}](t *testing.T, name string, parse func(string) (T, error), choices string, cases []Case[T]) {
	t.Helper()
	for _, tc := range cases {
		got, err := parse(tc.In)
		var text T // as flags and environment variables read it
		if terr := P(&text).UnmarshalText([]byte(tc.In)); text != got || (terr == nil) != (err == nil) {
			t.Errorf("UnmarshalText(%q) = %v, %v; %s gives %v, %v", tc.In, text, terr, name, got, err)
		}
		if (err != nil) != tc.Err {
			t.Errorf("%s(%q) error = %v, want error %v", name, tc.In, err, tc.Err)
			continue
		}
		if err != nil {
			if !strings.Contains(err.Error(), choices) {
				t.Errorf("%s(%q) error %q does not list the choices %q", name, tc.In, err, choices)
			}
			continue
		}
		if got != tc.Want {
			t.Errorf("%s(%q) = %v, want %v", name, tc.In, got, tc.Want)
		}
		b, merr := got.MarshalText()
		if back, perr := parse(string(b)); merr != nil || string(b) != got.String() || perr != nil || back != got {
			t.Errorf("MarshalText of %v = %q, %v; want its String, which %s reads back (got %v, %v)", got, b, merr, name, back, perr)
		}
	}
}
