package schemasapp

import (
	"testing"

	"github.com/salesstream/salesstream/internal/platform/config/configtest"
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
			configtest.Validate(t, "schemas", Declare, tc.args, tc.want)
		})
	}
}
