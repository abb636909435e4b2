package devstackapp

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"time"
)

func TestSettings(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		env     map[string]string
		want    []string // fields of lines of --print-config
		wantErr string
	}{
		{"defaults", []string{"--print-config"}, nil,
			[]string{"--kafka-addr 127.0.0.1:9092 default", "--registry-addr 127.0.0.1:8080 default", "--data-dir .devstack default", "--v false default"}, ""},
		{"environment", []string{"--print-config"}, map[string]string{"DEVSTACK_KAFKA_ADDR": "0.0.0.0:19092", "DEVSTACK_DATA_DIR": "/var/lib/devstack", "DEVSTACK_VERBOSE": "true"},
			[]string{"--kafka-addr 0.0.0.0:19092 env DEVSTACK_KAFKA_ADDR", "--data-dir /var/lib/devstack env DEVSTACK_DATA_DIR", "--v true env DEVSTACK_VERBOSE"}, ""},
		{"flag beats environment", []string{"--registry-addr", "127.0.0.1:18080", "--print-config"}, map[string]string{"DEVSTACK_REGISTRY_ADDR": "127.0.0.1:28080"},
			[]string{"--registry-addr 127.0.0.1:18080 flag"}, ""},
		{"bad flag", []string{"--data-dri", "x"}, nil, nil, "unknown flag --data-dri; devstack -h lists every flag"},
		{"bad environment", nil, map[string]string{"DEVSTACK_VERBOSE": "loud"}, nil, `environment variable DEVSTACK_VERBOSE="loud" for --v: not true or false`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			env := func(k string) (string, bool) { v, ok := tt.env[k]; return v, ok }
			err := run(context.Background(), tt.args, env, &out, io.Discard)
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("error %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var lines []string
			for _, l := range strings.Split(out.String(), "\n") {
				lines = append(lines, strings.Join(strings.Fields(l), " "))
			}
			for _, w := range tt.want {
				if !strings.Contains(strings.Join(lines, "\n"), w) {
					t.Errorf("--print-config lacks %q:\n%s", w, out.String())
				}
			}
		})
	}
}

// TestRunUntilCancelled: the stack comes up where the settings say, says
// so, and stops cleanly when the context ends.
func TestRunUntilCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	env := map[string]string{"DEVSTACK_KAFKA_ADDR": "127.0.0.1:0", "DEVSTACK_REGISTRY_ADDR": "127.0.0.1:0", "DEVSTACK_DATA_DIR": t.TempDir()}
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, nil, func(k string) (string, bool) { v, ok := env[k]; return v, ok }, pw, io.Discard)
		pw.Close()
	}()
	// A stack that neither comes up nor stops ends the reading.
	timer := time.AfterFunc(60*time.Second, func() { pw.CloseWithError(errors.New("no progress within 60s")) })
	defer timer.Stop()
	var lines []string
	sc := bufio.NewScanner(pr)
	for sc.Scan() {
		lines = append(lines, sc.Text())
		if strings.Contains(sc.Text(), "Press Ctrl-C") {
			cancel()
		}
	}
	out := strings.Join(lines, "\n")
	if err := sc.Err(); err != nil {
		t.Fatalf("%v:\n%s", err, out)
	}
	if err := <-done; err != nil || !strings.Contains(out, "Press Ctrl-C") || !strings.HasSuffix(out, "stopping...") {
		t.Fatalf("run = %v, output:\n%s\nwant the stack up, then stopped", err, out)
	}
	if !strings.Contains(out, "data in "+env["DEVSTACK_DATA_DIR"]) {
		t.Errorf("output does not name the data directory:\n%s", out)
	}
}
