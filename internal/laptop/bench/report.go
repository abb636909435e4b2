package bench

import (
	"context"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Run runs every suite and measurement, and writes the report.
func Run(ctx context.Context, cfg Config, progress io.Writer) error {
	began := time.Now()
	log := func(f string, a ...any) { fmt.Fprintf(progress, f+"\n", a...) }
	dir, err := os.MkdirTemp("", "salesstream-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	log("building the binaries")
	if err := buildBinaries(ctx, dir); err != nil {
		return err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "# Benchmarks\n\n")
	fmt.Fprintf(&b, "Measured %s on %s.\n\n", began.UTC().Format("2006-01-02 15:04 MST"), Machine())
	fmt.Fprintf(&b, "Rerun with `%s` (it rewrites this file; `-long` adds the 10M-sale backlog). The machines are shared and noisy: take each figure as one measurement, and compare speeds as ratios within one run.\n\n", cfg.Command)
	fmt.Fprintf(&b, "Kafka is the embedded stack (a kfake broker and the embedded registry, 3 partitions per topic) in the harness's process; the enricher runs as a child process, so its memory is its own: peak RSS is its VmHWM, sampled every 10 ms.\n\n")

	var byName map[string]Result
	if cfg.Want(SectionGo) {
		if byName, err = goBenchmarks(ctx, &b, log); err != nil {
			return err
		}
	}
	var sizes []int64
	if cfg.Want(SectionCeiling) || cfg.Want(SectionMemory) {
		// The memory table starts at 1M, which the ceilings measure.
		sizes = append(sizes, 1_000_000)
	}
	if cfg.Want(SectionMemory) {
		sizes = append(sizes, 3_000_000)
		if cfg.Long {
			sizes = append(sizes, 10_000_000)
		}
	}
	var (
		backlogs []Backlog
		failed   []string
	)
	for i, n := range sizes {
		ceilings := i == 0 && cfg.Want(SectionCeiling)
		bl, err := runBacklog(ctx, dir, dir, n, ceilings, cfg.Want(SectionMemory), log)
		if err != nil && ceilings {
			return fmt.Errorf("backlog of %d: %w", n, err)
		}
		if err != nil {
			// Report what the smaller backlogs measured.
			log("backlog of %d failed: %v", n, err)
			failed = append(failed, fmt.Sprintf("The backlog of %d sales failed: %v", n, err))
			continue
		}
		backlogs = append(backlogs, bl)
	}
	var prod Producing
	if cfg.Want(SectionProducer) {
		log("producer against the bare producer")
		if prod, err = runProducing(ctx, dir, dir, 1_000_000); err != nil {
			return err
		}
	}
	var lats []Latency
	for _, r := range []int{50_000, 10_000} {
		if !cfg.Want(SectionLatency) {
			break
		}
		log("latency at %d sales/s", r)
		lat, err := runLatency(ctx, dir, dir, r, 10*time.Second)
		if err != nil {
			return fmt.Errorf("latency: %w", err)
		}
		lats = append(lats, lat)
	}
	var scale []Scale
	for k := 1; k <= 3 && cfg.Want(SectionScale); k++ {
		log("scale: %d instances", k)
		s, err := runScale(ctx, dir, dir, k, 1_000_000)
		if err != nil {
			return fmt.Errorf("scale with %d instances: %w", k, err)
		}
		scale = append(scale, s)
	}
	var wins []Windows
	for _, rows := range []int{10_000, 100_000, 1_000_000} {
		if !cfg.Want(SectionWindows) {
			break
		}
		log("open windows: %d", rows)
		w, err := runWindows(ctx, dir, dir, rows)
		if err != nil {
			return fmt.Errorf("%d open windows: %w", rows, err)
		}
		wins = append(wins, w)
	}

	if cfg.Want(SectionCeiling) {
		writeCeilings(&b, backlogs[0], prod, cfg.Want(SectionProducer))
	}
	if cfg.Want(SectionProducer) && !cfg.Want(SectionCeiling) {
		fmt.Fprintf(&b, "\n## Producer against the bare producer\n\n| what | time | sales/s | ratio |\n| --- | --- | --- | --- |\n")
		writeProducer(&b, prod)
	}
	if cfg.Want(SectionMemory) {
		writeMemory(&b, backlogs)
	}
	for _, f := range failed {
		fmt.Fprintf(&b, "\n%s\n", f)
	}
	if len(lats) > 0 {
		writeLatency(&b, lats)
	}
	if len(scale) > 0 {
		writeScale(&b, scale)
	}
	if len(wins) > 0 {
		writeWindows(&b, wins)
	}
	win := metric(byName, "BenchmarkReferenceShape/update", "events/s")
	proc := metric(byName, "BenchmarkProcess", "records/s")
	direct := metric(byName, "BenchmarkProcessDirect", "records/s")
	if win > 0 && proc > 0 && direct > 0 {
		fmt.Fprintf(&b, "\n## The hot path\n\n- Windowing is %.1f%% of the enricher's per-record CPU cost on the direct path, %.1f%% on the round trip (%.0f vs %.0f and %.0f per second on one core).\n",
			100*direct/win, 100*proc/win, win, direct, proc)
	}
	fmt.Fprintf(&b, "\nThe whole run took %v.\n", time.Since(began).Round(time.Second))
	if len(cfg.Only) > 0 {
		// A partial run does not replace the report.
		_, err := io.WriteString(cfg.Stdout, b.String())
		return err
	}
	return os.WriteFile(cfg.Out, []byte(b.String()), 0o644)
}

func goBenchmarks(ctx context.Context, b *strings.Builder, log func(string, ...any)) (map[string]Result, error) {
	fmt.Fprintf(b, "## Go benchmarks (`-cpu 1`)\n\n| benchmark | what | result |\n| --- | --- | --- |\n")
	byName := map[string]Result{}
	for _, s := range Suites() {
		log("go test -bench %s %s", s.Pattern, s.Pkg)
		rs, err := RunGo(ctx, s)
		if err != nil {
			return nil, err
		}
		for _, r := range rs {
			byName[r.Name] = r
			var parts []string
			for _, m := range r.Metrics {
				parts = append(parts, m[0]+" "+m[1])
			}
			fmt.Fprintf(b, "| `%s` | %s | %s |\n", r.Name, s.What, strings.Join(parts, ", "))
		}
	}
	return byName, nil
}

func rate(n int64, d time.Duration) float64 { return float64(n) / d.Seconds() }

func mb(n int64) string { return fmt.Sprintf("%.0f MB", float64(n)/1e6) }

func writeCeilings(b *strings.Builder, bl Backlog, p Producing, producer bool) {
	fmt.Fprintf(b, "\n## Against the ceilings (%d sales, same broker, same run)\n\n", bl.Sales)
	fmt.Fprintf(b, "| what | time | sales/s | ratio |\n| --- | --- | --- | --- |\n")
	bare := rate(bl.Sales, bl.Consume)
	fmt.Fprintf(b, "| bare franz-go consumer, counting (read_committed) | %v | %.0f | 1 |\n", bl.Consume.Round(time.Millisecond), bare)
	fmt.Fprintf(b, "| bare consumer + general Avro decode | %v | %.0f | %.2f |\n", bl.Decode.Round(time.Millisecond), rate(bl.Sales, bl.Decode), rate(bl.Sales, bl.Decode)/bare)
	fmt.Fprintf(b, "| `enricher --once`, child process, start to exit | %v | %.0f | **%.2f** |\n", bl.Once.Round(time.Millisecond), rate(bl.Sales, bl.Once), rate(bl.Sales, bl.Once)/bare)
	fmt.Fprintf(b, "| enricher streaming `--trigger 100ms`, start to all committed | %v | %.0f | %.2f (%.2f× `--once`) |\n", bl.Stream.Round(time.Millisecond), rate(bl.Sales, bl.Stream), rate(bl.Sales, bl.Stream)/bare, bl.Once.Seconds()/bl.Stream.Seconds())
	if producer {
		writeProducer(b, p)
	}
	fmt.Fprintf(b, "\nThe enricher's times include its start (regions, registry, group join, fencing); the consumer's only the reading. The bare consumer ran before and after the enricher (the mean of its two runs), and each enricher mode %d times, each in a fresh group, in the order %s; the table gives the mean of each one's runs, an order that cancels a steady change of the broker's speed over the run.", len(bl.OnceRuns), modeOrderText(len(bl.OnceRuns)+len(bl.StreamRuns)))
	if rs := bl.PairRatios(); len(rs) > 1 {
		slices.Sort(rs)
		fmt.Fprintf(b, " The i-th streaming run against the i-th `--once` run, which ran beside it: from %.2f× to %.2f×, median %.2f×.", rs[0], rs[len(rs)-1], median(rs))
	}
	fmt.Fprintf(b, " A streaming run ends at the commit request, seen by the broker, after which its group has committed every sale; the harness follows the commits from inside the broker, so it sends the enricher's broker no request until then.\n")
}

// modeOrderText names the first n runs of modeOrder.
func modeOrderText(n int) string {
	var names []string
	order := modeOrder()
	for _, once := range order[:min(n, len(order))] {
		names = append(names, map[bool]string{true: "`--once`", false: "streaming"}[once])
	}
	return strings.Join(names, ", ")
}

// median returns the median of sorted rs.
func median(rs []float64) float64 {
	if len(rs)%2 == 1 {
		return rs[len(rs)/2]
	}
	return (rs[len(rs)/2-1] + rs[len(rs)/2]) / 2
}

func writeProducer(b *strings.Builder, p Producing) {
	bp := rate(int64(p.Sales), p.Bare)
	fmt.Fprintf(b, "| bare franz-go producer of the same records (encode, headers, acks=all, 5 ms linger) | %v | %.0f | 1 |\n", p.Bare.Round(time.Millisecond), bp)
	fmt.Fprintf(b, "| producer (reads the CSV, encodes, sends) | %v | %.0f | **%.2f** |\n", p.Producer.Round(time.Millisecond), rate(int64(p.Sales), p.Producer), rate(int64(p.Sales), p.Producer)/bp)
	fmt.Fprintf(b, "\nEach producer ran twice, in the order bare, producer, producer, bare; the table gives each one's faster run.\n")
}

func writeMemory(b *strings.Builder, bls []Backlog) {
	fmt.Fprintf(b, "\n## Memory with a backlog (default settings: 100000 records or 32 MiB per micro-batch, 100 MiB soft heap limit)\n\n")
	fmt.Fprintf(b, "| sales waiting | `--once` peak RSS (time) | streaming `--trigger 100ms` peak RSS (time) | streaming, default trigger 2m, peak RSS |\n| --- | --- | --- | --- |\n")
	for _, bl := range bls {
		fmt.Fprintf(b, "| %d | %s (%v) | %s (%v) | %s |\n", bl.Sales, mb(bl.OnceRSS), bl.Once.Round(time.Millisecond),
			mb(bl.StreamRSS), bl.Stream.Round(time.Millisecond), mb(bl.DefaultRSS))
	}
	fmt.Fprintf(b, "\nWith the 2-minute trigger the enricher commits each batch as it fills; it was stopped once all but the last partial batch had committed (that one waits for the tick).\n")
}

func writeLatency(b *strings.Builder, ls []Latency) {
	fmt.Fprintf(b, "\n## Latency\n\nSales sent for 10 s at a steady rate (event time now) into a streaming enricher with `--trigger 100ms`; a sale is visible when a read_committed consumer of the summary topic sees a row of its newest window that counts it. The harness that sends and reads also hosts the broker, on the same cores.\n\n")
	fmt.Fprintf(b, "| sales/s | sent | p50 | p99 | sales seen |\n| --- | --- | --- | --- | --- |\n")
	for _, l := range ls {
		fmt.Fprintf(b, "| %d | %d | %v | %v | %d |\n", l.Rate, l.Sent, l.P50.Round(time.Millisecond), l.P99.Round(time.Millisecond), l.Seen)
	}
}

func writeScale(b *strings.Builder, ss []Scale) {
	fmt.Fprintf(b, "\n## Instances in one group (1M-sale backlog, `--trigger 100ms`, start to all committed)\n\n| instances | time | sales/s | peak RSS each |\n| --- | --- | --- | --- |\n")
	for _, s := range ss {
		var rss []string
		for _, r := range s.RSS {
			rss = append(rss, mb(r))
		}
		fmt.Fprintf(b, "| %d | %v | %.0f | %s |\n", s.Instances, s.Took.Round(time.Millisecond), rate(s.Sales, s.Took), strings.Join(rss, ", "))
	}
	fmt.Fprintf(b, "\nOne machine of 2 cores runs the broker and every instance: this shows that instances share the work and the results (the e2e scale-out tests check those), not that throughput grows with machines; more instances here compete for the same cores.\n")
}

func writeWindows(b *strings.Builder, ws []Windows) {
	fmt.Fprintf(b, "\n## Open windows (many regions, nothing closes)\n\n| open (region, window) rows | regions | `--once` that built them: time, peak RSS, summary and state offsets written | a new instance restores them: start to restored, peak RSS |\n| --- | --- | --- | --- |\n")
	for _, w := range ws {
		fmt.Fprintf(b, "| %d | %d | %v, %s, %d | %v, %s |\n", w.Rows, w.Regions, w.Build.Round(time.Millisecond), mb(w.BuildRSS), w.Written, w.Restart.Round(time.Millisecond), mb(w.RestartRSS))
	}
	fmt.Fprintf(b, "\nState grows with open windows, not with the backlog: size the memory limit for the key space (regions × open windows). The build's time follows what it writes: sales go region after region, one 5-minute slot of every region after another, so with up to 10000 regions one micro-batch holds all sales and writes each row once, while with 100000 regions each batch of about 100000 sales holds about one slot and every row is written (summary and changelog) in the two or three batches that change it. The restore reads the changelog as written (the embedded broker does not compact it).\n")
}

func metric(rs map[string]Result, name, unit string) float64 {
	r, ok := rs[name]
	if !ok {
		return 0
	}
	for _, m := range r.Metrics {
		if m[1] == unit {
			v, _ := strconv.ParseFloat(m[0], 64)
			return v
		}
	}
	return 0
}
