// Package enricherapp wires the enricher binary (cmd/enricher): its settings and the
// clients, serdes and topics it builds around its stage.
package enricherapp

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"time"

	"github.com/salesstream/salesstream/internal/app"
	"github.com/salesstream/salesstream/internal/pipeline/enricher"
	"github.com/salesstream/salesstream/internal/platform/cli"
	"github.com/salesstream/salesstream/internal/platform/config"
)

// Declare declares the enricher binary's settings in set and returns its job.
func Declare(set *config.Set) cli.Job {
	var (
		job   Job
		parts int
		// Micro-batch bounds and the heap's soft limit.
		maxRecs, maxMiB, memMiB int
	)
	job.Enricher = enricher.DefaultConfig()
	ec := &job.Enricher
	conn := app.DeclareConnections(set, "salesstream-enricher", true)
	app.DeclareSalesTopic(set, &ec.SalesTopic)
	app.DeclareSummaryTopic(set, &ec.SummaryTopic)
	set.String(&job.Regions, "regions", app.DefaultRegionsCSV, "regions CSV (country, region), a local path or s3://bucket/key", config.Env("ENRICHER_REGIONS"))
	set.Duration(&ec.Window.Size, "window", ec.Window.Size, "window length", config.Env("ENRICHER_WINDOW"))
	set.Duration(&ec.Window.Slide, "slide", ec.Window.Slide, "window slide (equal to --window for tumbling windows)", config.Env("ENRICHER_SLIDE"))
	set.Duration(&ec.Window.Start, "window-offset", ec.Window.Start, "offset of window starts from the Unix epoch (Spark's startTime)", config.Env("ENRICHER_WINDOW_OFFSET"))
	set.Duration(&ec.Window.Delay, "watermark", ec.Window.Delay, "watermark delay: how late an event may be", config.Env("ENRICHER_WATERMARK"))
	set.TextVar(&ec.WatermarkPolicy, "watermark-policy", ec.WatermarkPolicy, "how the sales partitions make the query's one watermark: max (Spark's: the largest event time of all, minus --watermark) or min (Flink's: the smallest, so a lagging partition loses nothing)", config.Env("ENRICHER_WATERMARK_POLICY"))
	set.Duration(&ec.IdleTimeout, "idle-timeout", ec.IdleTimeout, "with --watermark-policy min, a sales partition with no record for this long stops holding the watermark back (0: never)", config.Env("ENRICHER_IDLE_TIMEOUT"))
	set.Duration(&ec.Trigger, "trigger", ec.Trigger, "processing-time trigger interval; 0 runs micro-batches back to back (continuous)", config.Env("ENRICHER_TRIGGER"))
	set.Bool(&ec.Once, "once", ec.Once, "process what the sales topic holds now, commit, and exit (available-now); run it as the group's only instance", config.Env("ENRICHER_ONCE"))
	set.Bool(&ec.RoundTrip, "round-trip", ec.RoundTrip, "always send sales through the repartition topic, even when this instance owns every partition and could window them directly (same results, slower; for comparison)", config.Env("ENRICHER_ROUND_TRIP"))
	set.Int(&maxRecs, "max-records-per-trigger", enricher.DefaultMaxRecordsPerTrigger, "most records in one micro-batch (Spark's maxOffsetsPerTrigger): a full batch commits at once and the next starts, so a backlog is worked off in bounded transactions", config.Env("ENRICHER_MAX_RECORDS_PER_TRIGGER"))
	set.Int(&maxMiB, "max-mib-per-trigger", enricher.DefaultMaxBytesPerTrigger>>20, "most MiB of record keys and values in one micro-batch", config.Env("ENRICHER_MAX_MIB_PER_TRIGGER"))
	set.Int(&memMiB, "memory-limit-mib", 100, "soft limit of the Go heap in MiB (as GOMEMLIMIT); batches, fetches and produce buffers are bounded to fit well within it; 0 leaves it to GOMEMLIMIT", config.Env("ENRICHER_MEMORY_LIMIT_MIB"))
	set.TextVar(&ec.Window.Mode, "output-mode", ec.Window.Mode, "update (changed rows), complete (all rows), or append (final rows once their window closed)", config.Env("ENRICHER_OUTPUT_MODE"))
	set.TextVar(&ec.Time, "time", ec.Time, "what to window on: payment_date (event time) or record (the Kafka record timestamp)", config.Env("ENRICHER_TIME"))
	set.String(&ec.LateTopic, "late-topic", ec.LateTopic, "topic that keeps late events (empty: late events are only counted)", config.Env("ENRICHER_LATE_TOPIC"))
	set.String(&ec.DeadLetterTopic, "dlq-topic", ec.DeadLetterTopic, "dead-letter topic of unreadable sales messages", config.Env("ENRICHER_DLQ_TOPIC"))
	set.String(&ec.StateTopic, "state-topic", ec.StateTopic, "compacted changelog topic of the window state", config.Env("ENRICHER_STATE_TOPIC"))
	set.String(&ec.Group, "group", ec.Group, "consumer group, shared by every instance; also names the repartition topic <group>-repartition", config.Env("ENRICHER_GROUP"))
	set.String(&ec.TransactionalID, "transactional-id", ec.TransactionalID, "transactional id, unique per instance and stable across its restarts (also its static group member id)", config.Env("ENRICHER_TRANSACTIONAL_ID"))
	job.StartingOffsets = enricher.StartEarliest
	set.TextVar(&job.StartingOffsets, "starting-offsets", job.StartingOffsets, "where a group with no committed offsets starts reading the sales topic: earliest (all of it) or latest (sales sent from now on)", config.Env("ENRICHER_STARTING_OFFSETS"))
	set.Int(&parts, "partitions", app.DefaultPartitions, "partitions of the topics the enricher creates; the repartition and state topics get the sales topic's count", config.Env("ENRICHER_PARTITIONS"))
	set.Check(func() error { return windowError(ec.Window.Validate()) })
	set.Check(func() error { return app.CheckPartitions(parts) })
	set.Check(func() error {
		var errs []error
		if ec.Trigger < 0 {
			errs = append(errs, fmt.Errorf("--trigger %v must not be negative: give an interval such as 2m, or 0 to run micro-batches back to back", ec.Trigger))
		}
		if ec.IdleTimeout < 0 {
			errs = append(errs, fmt.Errorf("--idle-timeout %v: must not be negative; 0 turns idleness off, 5m is an example", ec.IdleTimeout))
		}
		if maxRecs < 1 {
			errs = append(errs, fmt.Errorf("--max-records-per-trigger %d: must be at least 1, e.g. --max-records-per-trigger 100000", maxRecs))
		}
		if maxMiB < 1 {
			errs = append(errs, fmt.Errorf("--max-mib-per-trigger %d: must be at least 1, e.g. --max-mib-per-trigger 32", maxMiB))
		}
		return errors.Join(errs...)
	})
	return func(ctx context.Context, rt cli.Runtime) error {
		clients, err := conn.Connect(ctx, rt.Log)
		if err != nil {
			return err
		}
		job.Clients = clients
		ec.MaxRecordsPerTrigger, ec.MaxBytesPerTrigger = int64(maxRecs), int64(maxMiB)<<20
		if memMiB > 0 {
			debug.SetMemoryLimit(int64(memMiB) << 20)
		}
		job.Partitions = int32(parts)
		if rt.Ops != nil && rt.Ops.Addr() != "" {
			// Metrics, progress and the dashboard only with --http-addr:
			// the dashboard's follower of the summary topic costs about a
			// tenth of a run's CPU, for nobody to see without it.
			job.Ops = rt.Ops
		}
		var enr *enricher.Enricher
		job.Started = func(e *enricher.Enricher) { enr = e }
		start := time.Now()
		st, err := job.Run(ctx)
		if err != nil && st.Batches == 0 {
			return err // it never ran: the error says why
		}
		fmt.Fprintf(rt.Stdout, "consumed %d sales in %v: %d aggregated, %d late, %d dead-lettered; %d summary rows in %d micro-batches (%d aborted and replayed)\n",
			st.Consumed, time.Since(start).Round(time.Millisecond), st.Aggregated, st.Late, st.Dead, st.Rows, st.Batches, st.Aborts)
		if enr != nil {
			if u := enr.Unassigned(5).Summary(job.Regions); u != "" {
				fmt.Fprintln(rt.Stdout, u)
			}
		}
		return err
	}
}
