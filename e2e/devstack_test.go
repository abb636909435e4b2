package e2e

import (
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/salesstream/salesstream/internal/platform/syncbuf"
)

// TestDevstackBinary starts cmd/devstack, registers the schemas through
// it, stops it with Ctrl-C (SIGINT), starts it again on the same data
// directory, and finds the schemas still there.
func TestDevstackBinary(t *testing.T) {
	dir := t.TempDir()
	// Each start listens on ports of its own choosing, read from what it
	// prints: a port picked free beforehand could be taken meanwhile by a
	// connection of the tests running beside this one.
	start := func() (*exec.Cmd, *syncbuf.Buffer, <-chan error, fixed) {
		cmd := exec.Command(filepath.Join(bin, "devstack"), "--kafka-addr", "127.0.0.1:0", "--registry-addr", "127.0.0.1:0", "--data-dir", dir)
		out := &syncbuf.Buffer{}
		cmd.Stdout, cmd.Stderr = out, out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { cmd.Process.Kill() })
		done := watchExit(cmd)
		deadline := time.After(30 * time.Second)
		for !strings.Contains(out.String(), "Press Ctrl-C") {
			select {
			case err := <-done:
				t.Fatalf("devstack exited before it came up (%v):\n%s", err, out)
			case <-deadline:
				t.Fatalf("devstack did not come up within 30s:\n%s", out)
			case <-time.After(50 * time.Millisecond):
			}
		}
		env := fixed{printed(t, out.String(), "Kafka brokers:"), printed(t, out.String(), "Registry:")}
		if !strings.HasPrefix(env.brokers, "127.0.0.1:") || !strings.HasPrefix(env.registry, "http://127.0.0.1:") {
			t.Fatalf("devstack printed brokers %q and registry %q, want addresses on 127.0.0.1:\n%s", env.brokers, env.registry, out)
		}
		for _, want := range []string{"/apis/registry/v3", "/apis/ccompat/v7"} {
			if !strings.Contains(out.String(), want) {
				t.Errorf("devstack output lacks %q:\n%s", want, out)
			}
		}
		return cmd, out, done, env
	}
	stop := func(cmd *exec.Cmd, out *syncbuf.Buffer, done <-chan error) {
		cmd.Process.Signal(syscall.SIGINT)
		awaitExit(t, done, 30*time.Second, "devstack after Ctrl-C", out)
	}

	cmd, out, done, env := start()
	if r := mustRun(t, env, "schemas"); strings.Count(r.stdout, "created") != 6 {
		t.Fatalf("first registration did not create six artifacts:\n%s", r.stdout)
	}
	stop(cmd, out, done)

	cmd, out, done, env = start()
	if r := mustRun(t, env, "schemas"); strings.Count(r.stdout, "unchanged") != 6 {
		t.Errorf("after a restart the schemas are not there any more:\n%s", r.stdout)
	}
	stop(cmd, out, done)
}

// printed returns the first word after label on a line of out.
func printed(t *testing.T, out, label string) string {
	t.Helper()
	for _, l := range strings.Split(out, "\n") {
		if _, rest, ok := strings.Cut(l, label); ok {
			if f := strings.Fields(rest); len(f) > 0 {
				return f[0]
			}
		}
	}
	t.Fatalf("devstack output has no %q line:\n%s", label, out)
	return ""
}
