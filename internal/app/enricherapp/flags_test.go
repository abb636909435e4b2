package enricherapp

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/salesstream/salesstream/internal/platform/cli"
	"github.com/salesstream/salesstream/internal/platform/config/configtest"
)

// TestSettingsErrorsNameFlags: settings that a run would refuse are
// refused while the settings are resolved (so --print-config refuses them
// too), each named by its flag, with its value as the user gave it.
func TestSettingsErrorsNameFlags(t *testing.T) {
	tests := []struct {
		name string
		args []string
		env  map[string]string
		want []string // lines of the error; none for valid settings
	}{
		{"defaults", nil, nil, nil},
		{"tumbling", []string{"--window", "5m", "--slide", "5m", "--watermark", "0s"}, nil, nil},
		{"slide above window", []string{"--window", "5m", "--slide", "10m"}, nil,
			[]string{"--slide 10m must not exceed --window 5m, or events would fall in no window"}},
		{"negative watermark", []string{"--watermark", "-5m"}, nil,
			[]string{"--watermark -5m must not be negative"}},
		{"from the environment", nil, map[string]string{"ENRICHER_WINDOW": "1h", "ENRICHER_WINDOW_OFFSET": "90m", "ENRICHER_SLIDE": "0s"},
			[]string{"--window-offset 1h30m must not be negative and must be less than --window 1h"}},
		{"two at once", []string{"--window", "0s", "--watermark", "-1s", "--trigger", "-2s"}, nil,
			[]string{"--window 0s must be positive, for example 10m", "--watermark -1s must not be negative",
				"--trigger -2s must not be negative: give an interval such as 2m, or 0 to run micro-batches back to back"}},
	}
	for _, tt := range tests {
		for _, print := range []bool{false, true} {
			args := tt.args
			if print {
				args = append(args[:len(args):len(args)], "--print-config")
			}
			t.Run(tt.name+" "+strings.Join(args, " "), func(t *testing.T) {
				set := configtest.Quiet("enricher")
				Declare(set)
				var out bytes.Buffer
				env := func(k string) (string, bool) { v, ok := tt.env[k]; return v, ok }
				done, err := cli.Env{Stdout: &out, LookupEnv: env}.Setup(context.Background(), set, args)
				if tt.want == nil {
					if err != nil || done != print {
						t.Fatalf("Setup = %v, %v; want %v, nil", done, err, print)
					}
					return
				}
				if err == nil {
					t.Fatalf("Setup accepted the settings (printed %q)", out.String())
				}
				if got := strings.Split(err.Error(), "\n"); strings.Join(got, "|") != strings.Join(tt.want, "|") {
					t.Fatalf("error lines\n%q\nwant\n%q", got, tt.want)
				}
				if out.Len() != 0 {
					t.Errorf("printed %q with settings a run refuses", out.String())
				}
			})
		}
	}
}
