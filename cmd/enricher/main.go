// Command enricher is the streaming job: it joins each sale with its sales
// region and aggregates sales and orders per region over sliding
// event-time windows with a watermark, writing summaries to Kafka at each
// trigger, exactly once.
//
//	enricher [--regions data/regions.csv] [--window 10m --slide 5m --watermark 10m]
//	         [--trigger 2m | --trigger 0 | --once] [--output-mode update|complete|append]
package main

import (
	"context"
	"fmt"
	"time"

	"github.com/salesstream/salesstream/internal/pipeline/enricher"
	"github.com/salesstream/salesstream/internal/platform/cli"
	"github.com/salesstream/salesstream/internal/platform/config"
	"github.com/salesstream/salesstream/internal/platform/registryconn"
	"github.com/salesstream/salesstream/internal/platform/source"
	"github.com/salesstream/salesstream/pkg/window"
)

func main() { cli.Main("enricher", declare) }

func declare(set *config.Set) cli.Job {
	var (
		job              enricher.Job
		rc               registryconn.Config
		mode, timeSource string
		parts            int
	)
	job.Enricher = enricher.DefaultConfig()
	ec := &job.Enricher
	job.Kafka.ClientID = "salesstream-enricher"
	job.Kafka.Register(set)
	rc.Register(set)
	opener := &source.Opener{}
	opener.Register(set)
	set.String(&job.Regions, "regions", "data/regions.csv", "regions CSV (country, region), a local path or s3://bucket/key", config.Env("ENRICHER_REGIONS"))
	set.Duration(&ec.Window.Size, "window", ec.Window.Size, "window length", config.Env("ENRICHER_WINDOW"))
	set.Duration(&ec.Window.Slide, "slide", ec.Window.Slide, "window slide (equal to --window for tumbling windows)", config.Env("ENRICHER_SLIDE"))
	set.Duration(&ec.Window.Start, "window-offset", 0, "offset of window starts from the Unix epoch (Spark's startTime)", config.Env("ENRICHER_WINDOW_OFFSET"))
	set.Duration(&ec.Window.Delay, "watermark", ec.Window.Delay, "watermark delay: how late an event may be", config.Env("ENRICHER_WATERMARK"))
	set.Duration(&ec.Trigger, "trigger", ec.Trigger, "processing-time trigger interval; 0 runs micro-batches back to back (continuous)", config.Env("ENRICHER_TRIGGER"))
	set.Bool(&ec.Once, "once", false, "process what the sales topic holds now, commit, and exit (available-now); run it as the group's only instance", config.Env("ENRICHER_ONCE"))
	set.String(&mode, "output-mode", "update", "update (changed rows), complete (all rows), or append (final rows once their window closed)", config.Env("ENRICHER_OUTPUT_MODE"))
	set.String(&timeSource, "time", "payment_date", "what to window on: payment_date (event time) or record (the Kafka record timestamp)", config.Env("ENRICHER_TIME"))
	set.String(&ec.LateTopic, "late-topic", "", "topic that keeps late events (empty: late events are only counted)", config.Env("ENRICHER_LATE_TOPIC"))
	set.String(&ec.DeadLetterTopic, "dlq-topic", ec.DeadLetterTopic, "dead-letter topic of unreadable sales messages", config.Env("ENRICHER_DLQ_TOPIC"))
	set.String(&ec.StateTopic, "state-topic", ec.StateTopic, "compacted changelog topic of the window state", config.Env("ENRICHER_STATE_TOPIC"))
	set.String(&ec.Group, "group", ec.Group, "consumer group, shared by every instance; also names the repartition topic <group>-repartition", config.Env("ENRICHER_GROUP"))
	set.String(&ec.TransactionalID, "transactional-id", ec.TransactionalID, "transactional id, unique per instance and stable across its restarts (also its static group member id)", config.Env("ENRICHER_TRANSACTIONAL_ID"))
	set.Int(&parts, "partitions", 3, "partitions of the topics the enricher creates; the repartition and state topics get the sales topic's count", config.Env("ENRICHER_PARTITIONS"))
	return func(ctx context.Context, rt cli.Runtime) error {
		var err error
		if ec.Window.Mode, err = window.ParseMode(mode); err != nil {
			return fmt.Errorf("--output-mode: %w", err)
		}
		if ec.Time, err = enricher.ParseTimeSource(timeSource); err != nil {
			return fmt.Errorf("--time: %w", err)
		}
		job.Partitions = int32(parts)
		job.Logger = rt.Log
		job.Kafka.Logger = rt.Log
		opener.Logger = rt.Log
		job.Opener = opener
		job.Ops = rt.Ops
		if job.Registry, err = rc.Connect(ctx, rt.Log); err != nil {
			return err
		}
		start := time.Now()
		st, err := job.Run(ctx)
		if err != nil && st.Batches == 0 {
			return err // it never ran: the error says why
		}
		fmt.Fprintf(rt.Stdout, "consumed %d sales in %v: %d aggregated, %d late, %d dead-lettered; %d summary rows in %d micro-batches (%d aborted and replayed)\n",
			st.Consumed, time.Since(start).Round(time.Millisecond), st.Aggregated, st.Late, st.Dead, st.Rows, st.Batches, st.Aborts)
		return err
	}
}
