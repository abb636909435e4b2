package bench

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/salesstream/salesstream/internal/domain/datagen"
	"github.com/salesstream/salesstream/internal/laptop/devstack"
	"github.com/salesstream/salesstream/internal/pipeline/registrar"
	"github.com/salesstream/salesstream/internal/platform/syncbuf"
)

// env is one embedded stack (kfake broker, embedded registry, schemas
// registered) in this process, and the binaries run against it as child
// processes, so that their memory is measured apart from the broker's.
type env struct {
	*devstack.Pipeline
	bin     string // directory of the built binaries
	regions string // regions CSV path
}

// buildBinaries builds the enricher and producer into dir.
func buildBinaries(ctx context.Context, dir string) error {
	for _, name := range []string{"enricher", "producer"} {
		cmd := exec.CommandContext(ctx, "go", "build", "-o", filepath.Join(dir, name), "./cmd/"+name)
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("go build ./cmd/%s (run the harness from the module root): %w\n%s", name, err, out)
		}
	}
	return nil
}

// newEnv starts a fresh stack with the reference regions file.
func newEnv(ctx context.Context, bin, dir string) (*env, error) {
	regions := filepath.Join(dir, "regions.csv")
	f, err := os.Create(regions)
	if err != nil {
		return nil, err
	}
	err = datagen.WriteRegions(f)
	f.Close()
	if err != nil {
		return nil, err
	}
	p, err := devstack.StartPipeline(ctx, devstack.Config{KafkaAddr: "127.0.0.1:0", RegistryAddr: "127.0.0.1:0"}, registrar.Rules{})
	if err != nil {
		return nil, err
	}
	return &env{Pipeline: p, bin: bin, regions: regions}, nil
}

func (e *env) close() { e.Stack.Close() }

func (e *env) client(opts ...kgo.Opt) (*kgo.Client, error) {
	return kgo.NewClient(append([]kgo.Opt{kgo.SeedBrokers(e.Stack.Brokers()...)}, opts...)...)
}

// conn are the flags that point a binary at the stack.
func (e *env) conn() []string {
	return []string{"--brokers", strings.Join(e.Stack.Brokers(), ","), "--registry-url", e.Stack.RegistryURL(), "--log-level", "warn"}
}

// child is a binary running against the stack.
type child struct {
	cmd   *exec.Cmd
	out   syncbuf.Buffer
	start time.Time
	done  chan error
	hwm   atomic.Int64 // peak RSS in bytes, as last sampled
}

func (e *env) start(ctx context.Context, name string, args ...string) (*child, error) {
	c := &child{cmd: exec.CommandContext(ctx, filepath.Join(e.bin, name), append(e.conn(), args...)...), done: make(chan error, 1)}
	c.cmd.Stdout, c.cmd.Stderr = &c.out, &c.out
	c.cmd.Cancel = func() error { return c.cmd.Process.Signal(syscall.SIGTERM) }
	c.start = time.Now()
	if err := c.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	exited := make(chan struct{})
	go func() {
		err := c.cmd.Wait()
		close(exited)
		c.done <- err
	}()
	go c.sample(exited)
	return c, nil
}

// sample reads c's peak RSS (VmHWM) every 10 ms until it exits. The
// rusage of a child cannot serve: Linux carries the parent's peak RSS
// over into the child's at exec, and the parent here holds the broker.
func (c *child) sample(exited <-chan struct{}) {
	path := fmt.Sprintf("/proc/%d/status", c.cmd.Process.Pid)
	for {
		if b, err := os.ReadFile(path); err == nil {
			for _, l := range strings.Split(string(b), "\n") {
				if v, ok := strings.CutPrefix(l, "VmHWM:"); ok {
					kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
					c.hwm.Store(kb << 10)
				}
			}
		}
		select {
		case <-exited:
			return
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// stop asks c to end (SIGTERM), waits, and returns its max RSS in bytes.
func (c *child) stop() (int64, error) {
	c.cmd.Process.Signal(syscall.SIGTERM)
	return c.wait()
}

// wait waits for c to end and returns its max RSS in bytes.
func (c *child) wait() (int64, error) {
	err := <-c.done
	if err != nil {
		return 0, fmt.Errorf("%s: %w\n%s", c.cmd.Path, err, c.out.String())
	}
	return c.hwm.Load(), nil
}

// committed returns the group's committed offsets summed over topic, or
// 0 if none.
func committed(ctx context.Context, adm *kadm.Client, group, topic string) (int64, error) {
	os, err := adm.FetchOffsets(ctx, group)
	if err != nil {
		return 0, nil // no group yet
	}
	var n int64
	os.Each(func(o kadm.OffsetResponse) {
		if o.Topic == topic && o.Err == nil && o.At > 0 {
			n += o.At
		}
	})
	return n, nil
}

// ends returns the sum of topic's end offsets.
func ends(ctx context.Context, adm *kadm.Client, topic string) (int64, error) {
	l, err := adm.ListEndOffsets(ctx, topic)
	if err != nil {
		return 0, fmt.Errorf("list ends of %s: %w", topic, err)
	}
	var n int64
	l.Each(func(o kadm.ListedOffset) { n += o.Offset })
	return n, nil
}

// waitFor polls cond every 10 ms (the resolution of the times measured
// with it) until it holds, c ends, or ctx ends.
func waitFor(ctx context.Context, c *child, what string, cond func() (bool, error)) error {
	return waitEvery(ctx, c, what, nil, 10*time.Millisecond, cond)
}

// waitEvery polls cond whenever wake has a value, or every interval,
// until it holds, c ends, or ctx ends.
func waitEvery(ctx context.Context, c *child, what string, wake <-chan struct{}, interval time.Duration, cond func() (bool, error)) error {
	for {
		ok, err := cond()
		if err != nil || ok {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case err := <-c.done:
			c.done <- err
			return fmt.Errorf("%s ended before %s: %v\n%s", c.cmd.Path, what, err, c.out.String())
		case <-wake:
		case <-time.After(interval):
		}
	}
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }
