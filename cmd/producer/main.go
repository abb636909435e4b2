// Command producer replays a sales CSV into Kafka as a live event stream
// of Avro sales, or generates synthetic load.
//
//	producer [--input data/sales.csv | s3://bucket/key] [--event-time now|original|shifted]
//	         [--delay 750ms | --rate 100 | --speedup 60] [--strict] [--synthetic --limit N]
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/salesstream/salesstream/internal/pipeline/producer"
	"github.com/salesstream/salesstream/internal/platform/cli"
	"github.com/salesstream/salesstream/internal/platform/config"
	"github.com/salesstream/salesstream/internal/platform/registryconn"
	"github.com/salesstream/salesstream/internal/platform/source"
)

func main() { cli.Main("producer", declare) }

func declare(set *config.Set) cli.Job {
	var (
		job       producer.Job
		rc        registryconn.Config
		eventTime string
		limit     int
		parts     int
	)
	job.Kafka.ClientID = "salesstream-producer"
	job.Kafka.Register(set)
	rc.Register(set)
	opener := &source.Opener{}
	opener.Register(set)
	set.String(&job.Input, "input", "data/sales.csv", "sales CSV, a local path or s3://bucket/key", config.Env("PRODUCER_INPUT"))
	set.String(&eventTime, "event-time", "now", "event time of each sale: now (live), original (the CSV's), shifted (the CSV's spacing re-based to now)", config.Env("PRODUCER_EVENT_TIME"))
	set.Duration(&job.Producer.Delay, "delay", 750*time.Millisecond, "pause between two sales (now and original modes)", config.Env("PRODUCER_DELAY"))
	set.Float(&job.Producer.Rate, "rate", 0, "sales per second; overrides --delay when positive", config.Env("PRODUCER_RATE"))
	set.Float(&job.Producer.Speedup, "speedup", 1, "shifted mode: divide the CSV's spacing by this", config.Env("PRODUCER_SPEEDUP"))
	set.Bool(&job.Resume, "resume", false, "skip the rows an earlier run of this --input had delivered, and go on from there", config.Env("PRODUCER_RESUME"))
	set.Bool(&job.Strict, "strict", false, "refuse the whole file if any row does not parse", config.Env("PRODUCER_STRICT"))
	set.Bool(&job.Synthetic, "synthetic", false, "send generated sales instead of --input, until --limit or Ctrl-C", config.Env("PRODUCER_SYNTHETIC"))
	set.Int(&limit, "limit", 0, "stop after this many sales (0: all)", config.Env("PRODUCER_LIMIT"))
	set.Int(&parts, "partitions", 3, "partitions of the sales topic if the producer creates it", config.Env("SALES_PARTITIONS"))
	return func(ctx context.Context, rt cli.Runtime) error {
		var err error
		if job.Producer.EventTime, err = producer.ParseEventTime(eventTime); err != nil {
			return fmt.Errorf("--event-time: %w", err)
		}
		job.Producer.Limit = int64(limit)
		job.Partitions = int32(parts)
		job.Logger = rt.Log
		job.Kafka.Logger = rt.Log
		opener.Logger = rt.Log
		job.Opener = opener
		job.Ops = rt.Ops
		if job.Registry, err = rc.Connect(ctx, rt.Log); err != nil {
			return err
		}
		if isTerminal(rt.Stderr) {
			job.Producer.Progress = func(st producer.Stats) {
				fmt.Fprintf(rt.Stderr, "\rsent %d, bad rows %d, %.1f/s   ", st.Sent, st.Bad, float64(st.Sent)/max(st.Elapsed.Seconds(), 1e-9))
			}
		}
		st, err := job.Run(ctx)
		if job.Producer.Progress != nil {
			fmt.Fprintln(rt.Stderr)
		}
		if st.Read == 0 && err != nil {
			return err // nothing was read: the error says why
		}
		fmt.Fprintf(rt.Stdout, "sent %d sales in %v; %d bad rows of %d read\n", st.Sent, st.Elapsed.Round(time.Millisecond), st.Bad, st.Read)
		if st.BlankCountry > 0 {
			fmt.Fprintf(rt.Stdout, "%d sales had a blank country: the enricher counts them under Unassigned\n", st.BlankCountry)
		}
		if st.Skipped > 0 {
			fmt.Fprintf(rt.Stdout, "skipped %d rows an earlier run had delivered\n", st.Skipped)
		}
		for _, e := range st.Errors {
			fmt.Fprintf(rt.Stdout, "  bad row: %v\n", e)
		}
		if st.Bad > int64(len(st.Errors)) {
			fmt.Fprintf(rt.Stdout, "  ... and %d more; every bad row is kept on the reject topic with its line number\n", st.Bad-int64(len(st.Errors)))
		}
		if ctx.Err() != nil {
			return nil // interrupted: what was sent is reported above
		}
		return err
	}
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
