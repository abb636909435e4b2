package cli

import (
	"bytes"
	"context"
	"flag"
	"strings"
	"testing"
	"time"

	"github.com/salesstream/salesstream/internal/platform/config"
)

func TestRun(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		ran     bool
		wantErr string
		wantOut string
	}{
		{"runs the job with its settings", []string{"--greeting", "hi"}, true, "", "hi"},
		{"print-config does not run", []string{"--print-config"}, false, "", "--greeting"},
		{"bad log level", []string{"--log-level", "loud"}, false, "--log-level", ""},
		{"print-config checks the log level", []string{"--log-level", "loud", "--print-config"}, false, "--log-level \"loud\"", ""},
		{"print-config checks the log format", []string{"--log-format", "xml", "--print-config"}, false, "--log-format \"xml\"", ""},
		{"unknown flag", []string{"--nope"}, false, "nope", ""},
		{"bad metrics address is reported", []string{"--http-addr", "256.0.0.1:1"}, false, "256.0.0.1:1", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			ran := false
			declare := func(set *config.Set) Job {
				var greeting string
				set.String(&greeting, "greeting", "hello", "what to say")
				return func(ctx context.Context, rt Runtime) error {
					ran = true
					if rt.Log == nil || rt.Ops == nil {
						t.Error("job got no logger or ops server")
					}
					_, err := rt.Stdout.Write([]byte(greeting))
					return err
				}
			}
			err := run(context.Background(), "test", declare, tt.args, &out, &errOut)
			if (err != nil) != (tt.wantErr != "") || (err != nil && !strings.Contains(err.Error(), tt.wantErr)) {
				t.Fatalf("error %v, want one containing %q", err, tt.wantErr)
			}
			if ran != tt.ran {
				t.Errorf("job ran = %v, want %v", ran, tt.ran)
			}
			if !strings.Contains(out.String(), tt.wantOut) {
				t.Errorf("output %q lacks %q", out.String(), tt.wantOut)
			}
		})
	}
}

// TestFlagErrors: a bad command line gives one line that names the flag,
// says what is wrong with an example of a right value, and points to -h;
// -h prints the usage.
func TestFlagErrors(t *testing.T) {
	tests := []struct {
		name      string
		args      []string
		want      string // the error; "" for -h
		wantUsage bool
	}{
		{"duration", []string{"--trigger", "5"}, `--trigger "5": not a duration such as 750ms or 2m; enricher -h lists every flag`, false},
		{"duration with =", []string{"--trigger=soon"}, `--trigger "soon": not a duration such as 750ms or 2m; enricher -h lists every flag`, false},
		{"integer", []string{"--partitions", "three"}, `--partitions "three": not a whole number, such as 3; enricher -h lists every flag`, false},
		{"boolean", []string{"--once=maybe"}, `--once "maybe": not true or false; enricher -h lists every flag`, false},
		{"unknown flag", []string{"--tigger", "5s"}, "unknown flag --tigger; enricher -h lists every flag", false},
		{"missing value", []string{"--trigger"}, "--trigger needs a value, as in --trigger 2m0s; enricher -h lists every flag", false},
		{"help", []string{"-h"}, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			set := config.New(flag.NewFlagSet("enricher", flag.ContinueOnError))
			var (
				trigger time.Duration
				parts   int
				once    bool
			)
			set.Duration(&trigger, "trigger", 2*time.Minute, "trigger interval")
			set.Int(&parts, "partitions", 3, "partitions")
			set.Bool(&once, "once", false, "run once")
			var stdout, stderr bytes.Buffer
			done, err := Env{Stdout: &stdout, Stderr: &stderr, LookupEnv: noEnv}.Setup(context.Background(), set, tt.args)
			if tt.want == "" {
				if err != nil || !done {
					t.Fatalf("Setup = %v, %v; want done", done, err)
				}
			} else if err == nil || err.Error() != tt.want {
				t.Fatalf("error %v\nwant  %s", err, tt.want)
			}
			if usage := strings.Contains(stderr.String(), "Usage of enricher:") && strings.Contains(stderr.String(), "-trigger"); usage != tt.wantUsage {
				t.Errorf("stderr %q: usage printed %v, want %v", stderr.String(), usage, tt.wantUsage)
			}
			if !tt.wantUsage && stderr.Len() != 0 || stdout.Len() != 0 {
				t.Errorf("printed %q and %q besides the error", stdout.String(), stderr.String())
			}
		})
	}
}
