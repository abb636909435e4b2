// Package bench is the benchmark harness: it runs the project's Go
// benchmarks and, on embedded stacks in this process, the binaries as
// child processes beside bare franz-go clients of the same records (the
// ceilings), and writes the figures, with the machine they ran on and the
// command to run them again, to BENCHMARKS.md.
//
// Shared machines are noisy: the report gives each figure as measured and
// compares speeds only as ratios taken in the same run.
package bench

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"regexp"
	"runtime"
	"strconv"
	"strings"
)

// Config tunes a harness run.
type Config struct {
	// Out is the report's path.
	Out string
	// Long adds the 10M-sale backlog.
	Long bool
	// Command is how the report says to rerun it.
	Command string
	// Only, if not empty, names the sections to measure (see Sections);
	// such a partial run writes its report to Stdout instead of Out.
	Only   []string
	Stdout io.Writer
}

// Suite is one `go test -bench` invocation.
type Suite struct {
	Pkg, Pattern, Benchtime string
	// What says what the benchmark measures, for the report.
	What string
}

// Suites are the Go benchmarks the harness runs.
func Suites() []Suite {
	return []Suite{
		{"./pkg/window", "ReferenceShape", "20000000x", "windowing alone: 10m/5m windows, 10 regions, 1% late, one op = one event, one core"},
		{"./pkg/window", "LongStream", "1x", "100 million events through a table with a watermark: state and live heap at start and end"},
		{"./pkg/serde", "Encode|Decode", "1s", "Avro with the wire header, a 7-field sale, schema cached"},
		{"./internal/pipeline/enricher", "Process$", "500000x", "the enricher's hot path per record on the round trip (several instances): decode, validate, join, repartition record out and back in, window; no Kafka I/O"},
		{"./internal/pipeline/enricher", "ProcessDirect", "500000x", "the same on the direct path (one instance owning every partition): decode, validate, join, window; no Kafka I/O"},
	}
}

// Result is one benchmark line.
type Result struct {
	Name    string
	N       int64
	Metrics [][2]string // value, unit, in the order printed
}

var benchLine = regexp.MustCompile(`^(Benchmark\S+)\s+(\d+)\s+(.*)$`)

// ParseBench reads the result lines of `go test -bench` output.
func ParseBench(out []byte) []Result {
	var rs []Result
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		m := benchLine.FindStringSubmatch(strings.TrimSpace(sc.Text()))
		if m == nil {
			continue
		}
		n, _ := strconv.ParseInt(m[2], 10, 64)
		r := Result{Name: m[1], N: n}
		f := strings.Fields(m[3])
		for i := 0; i+1 < len(f); i += 2 {
			r.Metrics = append(r.Metrics, [2]string{f[i], f[i+1]})
		}
		rs = append(rs, r)
	}
	return rs
}

// RunGo runs one suite with -cpu 1 and returns its results.
func RunGo(ctx context.Context, s Suite) ([]Result, error) {
	cmd := exec.CommandContext(ctx, "go", "test", "-run", "^$", "-bench", s.Pattern, "-benchtime", s.Benchtime, "-benchmem", "-cpu", "1", s.Pkg)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return nil, fmt.Errorf("go test -bench %s %s: %w\n%s", s.Pattern, s.Pkg, err, out)
	}
	rs := ParseBench(out)
	if len(rs) == 0 {
		return nil, fmt.Errorf("go test -bench %s %s printed no results:\n%s", s.Pattern, s.Pkg, out)
	}
	return rs, nil
}

// Machine describes the computer the run is on.
func Machine() string {
	cpu := "unknown CPU"
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(l, ":"); ok && strings.TrimSpace(k) == "model name" {
				cpu = strings.TrimSpace(v)
				break
			}
		}
	}
	mem := ""
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		if l, _, ok := strings.Cut(string(b), "\n"); ok {
			f := strings.Fields(l)
			if len(f) >= 2 {
				if kb, err := strconv.ParseFloat(f[1], 64); err == nil {
					mem = fmt.Sprintf(", %.0f GiB", kb/(1<<20))
				}
			}
		}
	}
	return fmt.Sprintf("%s, %d cores%s, %s %s/%s", cpu, runtime.NumCPU(), mem, runtime.Version(), runtime.GOOS, runtime.GOARCH)
}
