// Package configtest gives the binaries' settings tests (internal/app and
// its binaries' packages) a quiet settings Set and the check they share:
// parse the arguments, validate, and compare the error with the one wanted.
package configtest

import (
	"context"
	"flag"
	"io"
	"strings"
	"testing"

	"github.com/salesstream/salesstream/internal/platform/config"
)

// Quiet returns a Set on a flag set named name that prints nothing on a
// parse error: the test reads the error instead.
func Quiet(name string) *config.Set {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return config.New(fs)
}

// Validate declares settings with declare (whatever it returns, such as
// a binary's job, is not looked at) on a Quiet set named name, parses
// args (no environment, so that the variables of the machine running the
// test do not count, and no parameter store) and validates them.
// With want empty the settings must be accepted; otherwise refused, with
// an error that contains want.
func Validate[R any](t testing.TB, name string, declare func(*config.Set) R, args []string, want string) {
	t.Helper()
	set := Quiet(name)
	declare(set)
	if err := set.FlagSet().Parse(args); err != nil {
		t.Fatal(err)
	}
	noEnv := func(string) (string, bool) { return "", false }
	if err := set.Resolve(context.Background(), noEnv, nil); err != nil {
		t.Fatal(err)
	}
	err := set.Validate()
	if want == "" && err != nil || want != "" && (err == nil || !strings.Contains(err.Error(), want)) {
		t.Fatalf("Validate() = %v, want %q", err, want)
	}
}
