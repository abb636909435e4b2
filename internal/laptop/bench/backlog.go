package bench

import (
	"context"
	"fmt"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"

	"github.com/salesstream/salesstream/internal/domain/schema"
	"github.com/salesstream/salesstream/internal/pipeline/enricher"
)

// Backlog is what the enricher did with n sales waiting.
type Backlog struct {
	Sales int64
	// Fill is the bare producer's time to write the backlog.
	Fill time.Duration
	// Consume and Decode are the bare consumer's times to read it,
	// without and with Avro decoding (measured only when asked), each
	// the mean of two runs.
	Consume, Decode time.Duration
	// Once is the wall time of `enricher --once` as a child process,
	// start to exit; OnceRSS its max RSS. With the ceilings measured,
	// Once and Stream are each the mean of six runs, OnceRuns and
	// StreamRuns.
	Once     time.Duration
	OnceRSS  int64
	OnceRuns []time.Duration
	// Stream is the wall time of a streaming enricher (--trigger 100ms)
	// from its start until the broker received the commit of the
	// transaction after which its group had committed every sale and
	// every repartitioned sale; StreamRSS its max RSS.
	Stream     time.Duration
	StreamRSS  int64
	StreamRuns []time.Duration
	// DefaultRSS is the max RSS of a streaming enricher with the default
	// trigger (2m), stopped once all but the last partial micro-batch had
	// committed: with a backlog, full batches commit as they fill.
	DefaultRSS int64
}

// runBacklog fills a fresh stack with n sales and runs the enricher on
// them: --once, then, on fresh groups, streaming with --trigger 100ms and
// with the default trigger (if defaultTrigger). With ceilings it measures
// the bare consumer on the same records before and after the enricher's
// runs, each figure the mean of its two runs; the enricher's modes then
// run six times each (runModes).
func runBacklog(ctx context.Context, bin, dir string, n int64, ceilings, defaultTrigger bool, log func(string, ...any)) (Backlog, error) {
	b := Backlog{Sales: n}
	e, err := newEnv(ctx, bin, dir)
	if err != nil {
		return b, err
	}
	defer e.close()
	log("backlog %d: filling", n)
	if b.Fill, err = e.bareProduce(ctx, schema.SalesTopic, int(n), refSales(42)); err != nil {
		return b, err
	}
	if ceilings {
		if err := b.runBare(ctx, e, log); err != nil {
			return b, err
		}
	}
	if err := b.runModes(ctx, e, ceilings, log); err != nil {
		return b, err
	}
	if ceilings {
		if err := b.runBare(ctx, e, log); err != nil {
			return b, err
		}
	}
	if !defaultTrigger {
		return b, nil
	}
	log("backlog %d: enricher streaming, default trigger", n)
	if _, b.DefaultRSS, err = e.enrichStreaming(ctx, "bench-default", n, n-2*enricher.DefaultMaxRecordsPerTrigger); err != nil {
		return b, err
	}
	return b, nil
}

// runBare adds half the bare consumer's times, without and with decoding,
// to b's: it runs before and after the enricher's runs, so that the means
// cancel a steady change of the broker's speed, as runModes's do.
func (b *Backlog) runBare(ctx context.Context, e *env, log func(string, ...any)) error {
	log("backlog %d: bare consumer", b.Sales)
	c, err := e.bareConsume(ctx, schema.SalesTopic, b.Sales, false)
	if err != nil {
		return err
	}
	d, err := e.bareConsume(ctx, schema.SalesTopic, b.Sales, true)
	if err != nil {
		return err
	}
	b.Consume, b.Decode = b.Consume+c/2, b.Decode+d/2
	return nil
}

// runModes runs `enricher --once` and a streaming enricher with
// --trigger 100ms on the backlog, each in a fresh group. With repeat, each
// runs six times, in the order modeOrder gives, and the mean of its runs and
// its largest peak RSS count: the broker's speed drifts over a run (every
// run leaves it more records to hold; the same run measured up to 1.8
// times slower, and also faster, than the one before it), so a single run
// of each in a fixed order handed that drift to one mode. The order
// cancels a steady drift in the means (each one's fastest run would not),
// and six runs of each narrow a noise of some ±7% from run to run.
func (b *Backlog) runModes(ctx context.Context, e *env, repeat bool, log func(string, ...any)) error {
	modes := []bool{true, false}
	if repeat {
		modes = modeOrder()
	}
	for i, once := range modes {
		var took time.Duration
		var rss int64
		var err error
		if once {
			log("backlog %d: enricher --once", b.Sales)
			took, rss, err = e.enrichOnce(ctx, fmt.Sprintf("bench-once-%d", i), b.Sales)
			b.OnceRuns, b.OnceRSS = append(b.OnceRuns, took), max(b.OnceRSS, rss)
		} else {
			log("backlog %d: enricher streaming, --trigger 100ms", b.Sales)
			took, rss, err = e.enrichStreaming(ctx, fmt.Sprintf("bench-stream-%d", i), b.Sales, b.Sales, "--trigger", "100ms")
			b.StreamRuns, b.StreamRSS = append(b.StreamRuns, took), max(b.StreamRSS, rss)
		}
		if err != nil {
			return err
		}
	}
	b.Once, b.Stream = mean(b.OnceRuns), mean(b.StreamRuns)
	return nil
}

// modeOrder returns the order of the enricher's runs with the ceilings
// measured, true for --once: ABBA, BAAB, ABBA.
func modeOrder() []bool {
	return []bool{true, false, false, true, false, true, true, false, true, false, false, true}
}

func mean(ds []time.Duration) time.Duration {
	var sum time.Duration
	for _, d := range ds {
		sum += d
	}
	return sum / time.Duration(max(len(ds), 1))
}

// PairRatios returns, for each i, the speed of the i-th streaming run
// over that of the i-th --once run: the runs of a pair ran next to each
// other, so their ratios show the noise that the means narrow.
func (b Backlog) PairRatios() []float64 {
	var rs []float64
	for i := range min(len(b.OnceRuns), len(b.StreamRuns)) {
		rs = append(rs, b.OnceRuns[i].Seconds()/b.StreamRuns[i].Seconds())
	}
	return rs
}

// enrichOnce runs `enricher --once` in group to its end and checks that it
// consumed n sales.
func (e *env) enrichOnce(ctx context.Context, group string, n int64, extra ...string) (time.Duration, int64, error) {
	args := append(e.groupArgs(group), "--once")
	c, err := e.start(ctx, "enricher", append(args, extra...)...)
	if err != nil {
		return 0, 0, err
	}
	rss, err := c.wait()
	took := time.Since(c.start)
	if err != nil {
		return 0, 0, err
	}
	if want := fmt.Sprintf("consumed %d sales", n); !contains(c.out.String(), want) {
		return 0, 0, fmt.Errorf("enricher --once did not report %q:\n%s", want, c.out.String())
	}
	return took, rss, nil
}

func (e *env) groupArgs(group string) []string {
	return []string{"--regions", e.regions, "--group", group, "--state-topic", group + "-state", "--transactional-id", group + "-0"}
}

// enrichStreaming runs a streaming enricher in group until its group has
// committed at least upTo of the n sales and, if upTo is n, every
// repartitioned sale too; then stops it. It returns the time to that
// point and the max RSS.
func (e *env) enrichStreaming(ctx context.Context, group string, n, upTo int64, extra ...string) (time.Duration, int64, error) {
	cs, took, err := e.enrichGroup(ctx, group, 1, n, upTo, extra...)
	if err != nil {
		return 0, 0, err
	}
	return took, cs[0], nil
}

// enrichGroup runs instances streaming enrichers in one group, as
// enrichStreaming does one, and returns their max RSS each.
func (e *env) enrichGroup(ctx context.Context, group string, instances int, n, upTo int64, extra ...string) ([]int64, time.Duration, error) {
	cl, err := e.client()
	if err != nil {
		return nil, 0, err
	}
	defer cl.Close()
	adm := kadm.NewClient(cl)
	salesKeys, err := topicKeys(ctx, adm, schema.SalesTopic)
	if err != nil {
		return nil, 0, err
	}
	commits := e.watchCommits(group + "-")
	defer commits.stop()
	var cs []*child
	for i := range instances {
		args := append(e.groupArgs(group), "--transactional-id", fmt.Sprintf("%s-%d", group, i))
		c, err := e.start(ctx, "enricher", append(args, extra...)...)
		if err != nil {
			return nil, 0, err
		}
		defer c.cmd.Process.Kill()
		cs = append(cs, c)
	}
	start := cs[0].start
	rep := group + "-repartition"
	var repKeys []string
	// The watch tells the offsets committed without a request. Once every
	// sale is committed, the repartition topic's end, listed after that
	// commit, counts what the commit wrote (forwarded sales, or the
	// direct path's windowed-range records) and the commit markers: done
	// when the group committed past them.
	err = waitEvery(ctx, cs[0], "committing the backlog", commits.commit, 100*time.Millisecond, func() (bool, error) {
		if commits.sum(salesKeys) < upTo {
			return false, nil
		}
		if upTo < n {
			return true, nil
		}
		if repKeys == nil {
			keys, err := topicKeys(ctx, adm, rep)
			if err != nil {
				return false, err
			}
			repKeys = keys
		}
		end, err := ends(ctx, adm, rep)
		return commits.sum(repKeys) >= end, err
	})
	took := time.Since(start)
	if last := commits.last(); !last.IsZero() {
		// The commit that completed the work, not when the harness saw it.
		took = last.Sub(start)
	}
	if err != nil {
		return nil, 0, err
	}
	var rss []int64
	for _, c := range cs {
		r, err := c.stop()
		if err != nil {
			return nil, 0, err
		}
		rss = append(rss, r)
	}
	return rss, took, nil
}
