// Package bench is the benchmark harness: it runs the project's Go
// benchmarks and an end-to-end pipeline run on the embedded stack, and
// writes the figures, with the machine they ran on and the command to run
// them again, to BENCHMARKS.md.
//
// Shared machines are noisy: the report gives each figure as measured and
// compares speeds only as ratios taken in the same run.
package bench

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/salesstream/salesstream/internal/app/enricherapp"
	"github.com/salesstream/salesstream/internal/app/producerapp"
	"github.com/salesstream/salesstream/internal/app/readerapp"
	"github.com/salesstream/salesstream/internal/domain/datagen"
	"github.com/salesstream/salesstream/internal/domain/schema"
	"github.com/salesstream/salesstream/internal/laptop/devstack"
	"github.com/salesstream/salesstream/internal/pipeline/enricher"
	"github.com/salesstream/salesstream/internal/pipeline/producer"
	"github.com/salesstream/salesstream/internal/pipeline/registrar"
	"github.com/salesstream/salesstream/internal/platform/kafkaconn"
	"github.com/salesstream/salesstream/pkg/registry"
)

// Config tunes a harness run.
type Config struct {
	// Out is the report's path.
	Out string
	// Events is the number of sales of the end-to-end run.
	Events int
	// Command is how the report says to rerun it.
	Command string
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
		{"./internal/pipeline/enricher", "Process", "500000x", "the enricher's hot path per record: decode, validate, join, repartition record out and back in, window; no Kafka I/O"},
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

// Pipeline is what the end-to-end run measured.
type Pipeline struct {
	Events                      int
	Produce, Enrich, Read       time.Duration
	Rows                        int
	ProducerRate, EnricherRate  float64 // events per second
	SummaryRows, SummaryBatches int64
}

// RunPipeline replays events generated sales through the whole pipeline
// on an in-memory embedded stack: producer (original event times, no
// delay), enricher (available-now), reader.
func RunPipeline(ctx context.Context, events int) (Pipeline, error) {
	dir, err := os.MkdirTemp("", "salesstream-bench-")
	if err != nil {
		return Pipeline{}, err
	}
	defer os.RemoveAll(dir)
	csv := filepath.Join(dir, "sales.csv")
	f, err := os.Create(csv)
	if err != nil {
		return Pipeline{}, err
	}
	err = datagen.WriteSales(f, datagen.New(42, time.Date(2023, 1, 2, 0, 0, 0, 0, time.UTC), time.Second), events)
	f.Close()
	if err != nil {
		return Pipeline{}, err
	}
	regions := filepath.Join(dir, "regions.csv")
	rf, err := os.Create(regions)
	if err != nil {
		return Pipeline{}, err
	}
	err = datagen.WriteRegions(rf)
	rf.Close()
	if err != nil {
		return Pipeline{}, err
	}

	stack, err := devstack.Start(ctx, devstack.Config{KafkaAddr: "127.0.0.1:0", RegistryAddr: "127.0.0.1:0"})
	if err != nil {
		return Pipeline{}, err
	}
	defer stack.Close()
	reg, err := registry.New(stack.RegistryURL())
	if err != nil {
		return Pipeline{}, err
	}
	if _, err := registrar.Register(ctx, reg, schema.Artifacts(), registrar.Rules{}); err != nil {
		return Pipeline{}, err
	}
	kc := kafkaconn.Config{Brokers: stack.Brokers()}
	p := Pipeline{Events: events}

	start := time.Now()
	st, err := producerapp.Job{Kafka: kc, Registry: reg, Input: csv, Partitions: 3,
		Producer: producer.Config{EventTime: producer.Original}}.Run(ctx)
	if err != nil {
		return p, fmt.Errorf("producer: %w", err)
	}
	p.Produce = time.Since(start)
	if st.Sent != int64(events) {
		return p, fmt.Errorf("producer sent %d of %d", st.Sent, events)
	}

	ecfg := enricher.DefaultConfig()
	ecfg.Once = true
	start = time.Now()
	es, err := enricherapp.Job{Kafka: kc, Registry: reg, Regions: regions, Enricher: ecfg}.Run(ctx)
	if err != nil {
		return p, fmt.Errorf("enricher: %w", err)
	}
	p.Enrich = time.Since(start)
	if es.Consumed != int64(events) {
		return p, fmt.Errorf("enricher consumed %d of %d", es.Consumed, events)
	}
	p.SummaryRows, p.SummaryBatches = es.Rows, es.Batches

	start = time.Now()
	res, err := readerapp.Job{Kafka: kc, Registry: reg, Topic: schema.SummaryTopic}.Run(ctx)
	if err != nil {
		return p, fmt.Errorf("reader: %w", err)
	}
	p.Read = time.Since(start)
	p.Rows = len(res.Rows)
	p.ProducerRate = float64(events) / p.Produce.Seconds()
	p.EnricherRate = float64(events) / p.Enrich.Seconds()
	return p, nil
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
