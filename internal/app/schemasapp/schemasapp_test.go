package schemasapp

import (
	"context"
	"flag"
	"io"
	"strings"
	"testing"

	"github.com/salesstream/salesstream/internal/platform/config"
)

// TestRulesChecked: a rule config the registry does not know is refused
// with the settings, before any artifact is registered.
func TestRulesChecked(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		want string // empty: accepted
	}{
		{"defaults", nil, ""},
		{"others", []string{"--validity", "SYNTAX_ONLY", "--compatibility", "FULL_TRANSITIVE"}, ""},
		{"left alone", []string{"--validity", "", "--compatibility", ""}, ""},
		{"bad validity", []string{"--validity", "STRICT"}, `--validity "STRICT": want one of FULL, SYNTAX_ONLY, NONE`},
		{"lower case", []string{"--compatibility", "backward"}, `--compatibility "backward": want one of BACKWARD,`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fs := flag.NewFlagSet("schemas", flag.ContinueOnError)
			fs.SetOutput(io.Discard)
			set := config.New(fs)
			Declare(set)
			if err := set.Parse(context.Background(), tc.args, nil); err != nil {
				t.Fatal(err)
			}
			err := set.Validate()
			if tc.want == "" && err != nil || tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)) {
				t.Fatalf("Validate() = %v, want %q", err, tc.want)
			}
		})
	}
}
