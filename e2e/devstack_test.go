package e2e

import (
	"os/exec"
	"path/filepath"
	"strconv"
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
	kafka := "127.0.0.1:" + strconv.Itoa(freePort(t))
	reg := "127.0.0.1:" + strconv.Itoa(freePort(t))
	env := fixed{kafka, "http://" + reg}
	start := func() (*exec.Cmd, *syncbuf.Buffer) {
		cmd := exec.Command(filepath.Join(bin, "devstack"), "--kafka-addr", kafka, "--registry-addr", reg, "--data-dir", dir)
		out := &syncbuf.Buffer{}
		cmd.Stdout, cmd.Stderr = out, out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { cmd.Process.Kill() })
		waitFor(t, 30*time.Second, "the devstack to come up", func() bool { return strings.Contains(out.String(), "Press Ctrl-C") })
		for _, want := range []string{kafka, "http://" + reg, "/apis/registry/v3", "/apis/ccompat/v7"} {
			if !strings.Contains(out.String(), want) {
				t.Errorf("devstack output lacks %q:\n%s", want, out)
			}
		}
		return cmd, out
	}
	stop := func(cmd *exec.Cmd, out *syncbuf.Buffer) {
		cmd.Process.Signal(syscall.SIGINT)
		done := watchExit(cmd)
		awaitExit(t, done, 30*time.Second, "devstack after Ctrl-C", out)
	}

	cmd, out := start()
	if r := mustRun(t, env, "schemas"); strings.Count(r.stdout, "created") != 6 {
		t.Fatalf("first registration did not create six artifacts:\n%s", r.stdout)
	}
	stop(cmd, out)

	cmd, out = start()
	if r := mustRun(t, env, "schemas"); strings.Count(r.stdout, "unchanged") != 6 {
		t.Errorf("after a restart the schemas are not there any more:\n%s", r.stdout)
	}
	stop(cmd, out)
}
