// Command reader batch-reads the summary topic from its start to its
// current end and prints the latest row of every (region, window), latest
// windows first, then by sales. With --audit it checks that table against
// the input instead: exit 0 when equal, 1 when not, 2 when it cannot audit.
//
//	reader [--format table|json|csv] [--limit 100]
//	reader --audit [--group G] [--state-topic T] [--regions F] [--audit-wait 0]
package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/salesstream/salesstream/internal/domain/schema"
	"github.com/salesstream/salesstream/internal/pipeline/audit"
	"github.com/salesstream/salesstream/internal/pipeline/enricher"
	"github.com/salesstream/salesstream/internal/pipeline/reader"
	"github.com/salesstream/salesstream/internal/platform/cli"
	"github.com/salesstream/salesstream/internal/platform/config"
	"github.com/salesstream/salesstream/internal/platform/registryconn"
)

func main() { cli.Main("reader", declare) }

func declare(set *config.Set) cli.Job {
	var (
		job    reader.Job
		aj     audit.Job
		rc     registryconn.Config
		format string
		limit  int
		check  bool
		maxS   int
	)
	job.Kafka.ClientID = "salesstream-reader"
	job.Kafka.Register(set)
	rc.Register(set)
	def := enricher.DefaultConfig()
	set.String(&job.Topic, "topic", schema.SummaryTopic, "summary topic", config.Env("READER_TOPIC"))
	set.String(&format, "format", "table", "table, json (one object a line) or csv", config.Env("READER_FORMAT"))
	set.Int(&limit, "limit", 100, "rows of the table format (0: all); json and csv print all", config.Env("READER_LIMIT"))
	set.Bool(&check, "audit", false, "check the summary table against the input instead of printing it: exit 0 equal, 1 not, 2 cannot audit", config.Env("READER_AUDIT"))
	set.String(&aj.Audit.Group, "group", def.Group, "--audit: the enricher's consumer group", config.Env("ENRICHER_GROUP"))
	set.String(&aj.Audit.StateTopic, "state-topic", def.StateTopic, "--audit: the enricher's state topic", config.Env("ENRICHER_STATE_TOPIC"))
	set.String(&aj.Regions, "regions", "data/regions.csv", "--audit: the regions CSV the enricher joins with, local path or s3://", config.Env("ENRICHER_REGIONS"))
	set.Duration(&aj.Audit.Wait, "audit-wait", 0, "--audit: wait up to this long for the enricher to catch up; 0 audits a consistent cut of a running enricher at once", config.Env("READER_AUDIT_WAIT"))
	set.Int(&maxS, "audit-max-sales", audit.DefaultMaxSales, "--audit: refuse to hold more sales offsets than this (about a byte each)", config.Env("READER_AUDIT_MAX_SALES"))
	return func(ctx context.Context, rt cli.Runtime) error {
		f, err := reader.ParseFormat(format)
		if err != nil {
			return fmt.Errorf("--format: %w", err)
		}
		job.Kafka.Logger = rt.Log
		if job.Registry, err = rc.Connect(ctx, rt.Log); err != nil {
			return err
		}
		if check {
			aj.Audit.MaxSales = int64(maxS)
			return runAudit(ctx, rt, aj, job)
		}
		res, err := job.Run(ctx)
		if err != nil {
			return err
		}
		for _, e := range res.Errors {
			fmt.Fprintf(rt.Stderr, "skipped undecodable record: %v\n", e)
		}
		if res.Undecodable > len(res.Errors) {
			fmt.Fprintf(rt.Stderr, "... %d undecodable records in all\n", res.Undecodable)
		}
		return reader.Write(rt.Stdout, res.Rows, f, limit)
	}
}

// runAudit runs reader --audit: exit 1 when the table differs, 2 when it
// cannot audit.
func runAudit(ctx context.Context, rt cli.Runtime, aj audit.Job, job reader.Job) error {
	aj.Kafka, aj.Registry, aj.Audit.SummaryTopic = job.Kafka, job.Registry, job.Topic
	v, err := aj.Run(ctx)
	if err != nil {
		var c *audit.CannotAudit
		if !errors.As(err, &c) {
			err = fmt.Errorf("cannot audit: %w", err)
		}
		return &cli.ExitError{Code: 2, Err: err}
	}
	if err := v.Write(rt.Stdout); err != nil {
		return &cli.ExitError{Code: 2, Err: err}
	}
	if !v.OK() {
		return &cli.ExitError{Code: 1, Err: errors.New("the summary table is not what the input makes it (see above)")}
	}
	return nil
}
