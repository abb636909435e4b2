package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"regexp"
	"strings"
)

// parse parses args with fs. -h prints the usage on stderr and reports
// done. Any other error of the command line is one line that names the
// flag, says what is wrong with an example of a right value, and points to
// -h; the usage is not printed.
func parse(fs *flag.FlagSet, args []string, stderr io.Writer) (done bool, err error) {
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	err = fs.Parse(args)
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprintf(stderr, "Usage of %s:\n", fs.Name())
		fs.SetOutput(stderr)
		fs.PrintDefaults()
		fs.SetOutput(io.Discard)
		return true, nil
	}
	if err != nil {
		return false, flagError(fs, err)
	}
	return false, nil
}

// invalidValue matches the flag package's error for a value its flag
// refused (flag.Value's Set error last).
var invalidValue = regexp.MustCompile(`^invalid (?:boolean )?value "(.*)" for (?:flag )?-([^:]+): (.*)$`)

// flagError rewrites an error of fs.Parse as one line in the user's
// words.
func flagError(fs *flag.FlagSet, err error) error {
	hint := fs.Name() + " -h lists every flag"
	msg := err.Error()
	if m := invalidValue.FindStringSubmatch(msg); m != nil {
		return fmt.Errorf("--%s %q: %s; %s", m[2], m[1], m[3], hint)
	}
	if name, ok := strings.CutPrefix(msg, "flag provided but not defined: -"); ok {
		return fmt.Errorf("unknown flag --%s; %s", name, hint)
	}
	if name, ok := strings.CutPrefix(msg, "flag needs an argument: -"); ok {
		example := "VALUE"
		if f := fs.Lookup(name); f != nil && f.DefValue != "" {
			example = f.DefValue
		}
		return fmt.Errorf("--%s needs a value, as in --%s %s; %s", name, name, example, hint)
	}
	return fmt.Errorf("%s; %s", msg, hint)
}
