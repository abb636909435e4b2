package devstackapp

import (
	"bytes"
	"context"
	"io"
	"strings"
	"sync"
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

// lockedBuffer is a bytes.Buffer safe for a writer and a reader.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}
func (l *lockedBuffer) String() string { l.mu.Lock(); defer l.mu.Unlock(); return l.b.String() }

// TestRunUntilCancelled: the stack comes up where the settings say, says
// so, and stops cleanly when the context ends.
func TestRunUntilCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out lockedBuffer
	env := map[string]string{"DEVSTACK_KAFKA_ADDR": "127.0.0.1:0", "DEVSTACK_REGISTRY_ADDR": "127.0.0.1:0", "DEVSTACK_DATA_DIR": t.TempDir()}
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, nil, func(k string) (string, bool) { v, ok := env[k]; return v, ok }, &out, io.Discard)
	}()
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(out.String(), "Press Ctrl-C") {
		select {
		case err := <-done:
			t.Fatalf("run ended before the stack was up: %v\n%s", err, out.String())
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("the stack did not come up within 30s:\n%s", out.String())
		}
	}
	if !strings.Contains(out.String(), "data in "+env["DEVSTACK_DATA_DIR"]) {
		t.Errorf("output does not name the data directory:\n%s", out.String())
	}
	cancel()
	select {
	case err := <-done:
		if err != nil || !strings.Contains(out.String(), "stopping...") {
			t.Fatalf("run = %v after cancel:\n%s", err, out.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the stack did not stop within 30s of the cancel")
	}
}
