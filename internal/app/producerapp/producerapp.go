// Package producerapp wires the producer binary (cmd/producer): its settings and the
// clients, serdes and topics it builds around its stage.
package producerapp

import (
	"context"
	"fmt"
	"time"

	"github.com/salesstream/salesstream/internal/app"
	"github.com/salesstream/salesstream/internal/pipeline/producer"
	"github.com/salesstream/salesstream/internal/platform/cli"
	"github.com/salesstream/salesstream/internal/platform/config"
)

// Declare declares the producer binary's settings in set and returns its job.
func Declare(set *config.Set) cli.Job {
	var (
		job   Job
		limit int
		parts int
	)
	job.Producer = producer.DefaultConfig()
	pc := &job.Producer
	conn := app.DeclareConnections(set, "salesstream-producer", true)
	app.DeclareSalesTopic(set, &pc.Topic)
	set.String(&job.Input, "input", app.DefaultSalesCSV, "sales CSV, a local path or s3://bucket/key", config.Env("PRODUCER_INPUT"))
	set.TextVar(&pc.EventTime, "event-time", pc.EventTime, "event time of each sale: now (live), original (the CSV's), shifted (the CSV's spacing re-based to now)", config.Env("PRODUCER_EVENT_TIME"))
	set.Duration(&pc.Delay, "delay", pc.Delay, "pause between two sales (now and original modes)", config.Env("PRODUCER_DELAY"))
	set.Float(&pc.Rate, "rate", pc.Rate, "sales per second; overrides --delay when positive", config.Env("PRODUCER_RATE"))
	set.Float(&pc.Speedup, "speedup", pc.Speedup, "shifted mode: divide the CSV's spacing by this", config.Env("PRODUCER_SPEEDUP"))
	set.Bool(&job.Resume, "resume", false, "skip the rows an earlier run of this --input had delivered, and go on from there", config.Env("PRODUCER_RESUME"))
	set.Bool(&job.Strict, "strict", false, "refuse the whole file if any row does not parse", config.Env("PRODUCER_STRICT"))
	set.Bool(&job.Synthetic, "synthetic", false, "send generated sales instead of --input, until --limit or Ctrl-C", config.Env("PRODUCER_SYNTHETIC"))
	set.Int(&limit, "limit", 0, "stop after this many sales (0: all)", config.Env("PRODUCER_LIMIT"))
	set.Int(&parts, "partitions", app.DefaultPartitions, "partitions of the sales topic if the producer creates it", config.Env("SALES_PARTITIONS"))
	set.Check(func() error { return app.CheckPartitions(parts) })
	return func(ctx context.Context, rt cli.Runtime) error {
		clients, err := conn.Connect(ctx, rt.Log)
		if err != nil {
			return err
		}
		job.Clients = clients
		job.Producer.Limit = int64(limit)
		job.Partitions = int32(parts)
		job.Ops = rt.Ops
		if rt.Status != nil {
			var rows int64
			if !job.Synthetic {
				rows = countRows(job.Input)
			}
			total := toSend(rows, job.Producer.Limit)
			limited := job.Producer.Limit > 0 && total == job.Producer.Limit
			job.Producer.Progress = func(st producer.Stats) { rt.Status.Set(progressLine(st, total, limited)) }
		}
		st, err := job.Run(ctx)
		if rt.Status != nil {
			rt.Status.Done()
		}
		if st.Read == 0 && err != nil {
			return err // nothing was read: the error says why
		}
		fmt.Fprintf(rt.Stdout, "sent %d sales in %v; %d bad rows of %d read\n", st.Sent, st.Elapsed.Round(time.Millisecond), st.Bad, st.Read)
		if st.Skipped > 0 {
			fmt.Fprintf(rt.Stdout, "skipped %d rows an earlier run had delivered\n", st.Skipped)
		}
		if st.BlankCountry > 0 {
			fmt.Fprintf(rt.Stdout, "%d sales had a blank country: the enricher counts them under Unassigned\n", st.BlankCountry)
		}
		for _, e := range st.Errors {
			fmt.Fprintf(rt.Stdout, "  bad row: %v\n", e)
		}
		if st.Bad > int64(len(st.Errors)) {
			fmt.Fprintf(rt.Stdout, "  ... and %d more; every bad row is kept on the reject topic with its line number\n", st.Bad-int64(len(st.Errors)))
		}
		if st.RejectTopic != "" && st.RejectHeld >= 0 {
			fmt.Fprintf(rt.Stdout, "reject topic %s holds %d rows (bad rows of every run, each with its line and reason in headers)\n", st.RejectTopic, st.RejectHeld)
		}
		if ctx.Err() != nil {
			return nil // interrupted: what was sent is reported above
		}
		return err
	}
}
