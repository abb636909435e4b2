// Package e2e runs the pipeline's binaries against the embedded stack and
// checks their output against an independent batch computation.
package e2e

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/salesstream/salesstream/internal/laptop/devstack"
)

// bin holds the binaries built for the tests.
var bin string

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	dir, err := os.MkdirTemp("", "salesstream-e2e-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	args := []string{"build", "-o", dir + string(os.PathSeparator)}
	if raceEnabled {
		args = append(args, "-race")
	}
	args = append(args, "../cmd/schemas", "../cmd/producer", "../cmd/enricher", "../cmd/reader", "../cmd/devstack")
	cmd := exec.Command("go", args...)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build binaries:", err)
		return 1
	}
	bin = dir
	return m.Run()
}

// endpoints are where a test's binaries connect.
type endpoints interface {
	Brokers() []string
	RegistryURL() string
}

// stack starts an embedded stack on free ports, stopped when t ends.
func stack(t *testing.T) *devstack.Stack {
	t.Helper()
	s, err := devstack.Start(context.Background(), devstack.Config{
		KafkaAddr: "127.0.0.1:0", RegistryAddr: "127.0.0.1:0", DataDir: t.TempDir(),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// schemaStack starts a devstack, as stack does, and registers the
// project's schemas in it with the schemas binary.
func schemaStack(t *testing.T) *devstack.Stack {
	t.Helper()
	s := stack(t)
	mustRun(t, s, "schemas")
	return s
}

// result is what one binary run printed.
type result struct {
	stdout, stderr string
	code           int
}

// runBin runs the named binary against s with args, within timeout.
func runBin(t *testing.T, s endpoints, timeout time.Duration, name string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(bin, name), args...)
	cmd.Env = append(os.Environ(), "KAFKA_BROKERS="+strings.Join(s.Brokers(), ","), "REGISTRY_URL="+s.RegistryURL())
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	res := result{stdout: out.String(), stderr: errOut.String()}
	if ctx.Err() != nil {
		t.Fatalf("%s %v did not finish within %v\nstderr:\n%s", name, args, timeout, res.stderr)
	}
	if ee, ok := err.(*exec.ExitError); ok {
		res.code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return res
}

// mustRun runs a binary and fails the test unless it exits 0.
func mustRun(t *testing.T, s endpoints, name string, args ...string) result {
	t.Helper()
	r := runBin(t, s, 3*time.Minute, name, args...)
	if r.code != 0 {
		t.Fatalf("%s %v exited %d\nstdout:\n%s\nstderr:\n%s", name, args, r.code, r.stdout, r.stderr)
	}
	return r
}
