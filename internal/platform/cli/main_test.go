package cli

import (
	"bytes"
	"context"
	"strings"
	"testing"

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
