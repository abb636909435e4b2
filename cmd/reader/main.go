// Command reader batch-reads the summary topic from its start to its
// current end and prints the latest row of every (region, window), latest
// windows first, then by sales.
//
//	reader [--format table|json|csv] [--limit 100]
package main

import (
	"context"
	"fmt"

	"github.com/salesstream/salesstream/internal/domain/schema"
	"github.com/salesstream/salesstream/internal/pipeline/reader"
	"github.com/salesstream/salesstream/internal/platform/cli"
	"github.com/salesstream/salesstream/internal/platform/config"
	"github.com/salesstream/salesstream/internal/platform/registryconn"
)

func main() { cli.Main("reader", declare) }

func declare(set *config.Set) cli.Job {
	var (
		job    reader.Job
		rc     registryconn.Config
		format string
		limit  int
	)
	job.Kafka.ClientID = "salesstream-reader"
	job.Kafka.Register(set)
	rc.Register(set)
	set.String(&job.Topic, "topic", schema.SummaryTopic, "summary topic", config.Env("READER_TOPIC"))
	set.String(&format, "format", "table", "table, json (one object a line) or csv", config.Env("READER_FORMAT"))
	set.Int(&limit, "limit", 100, "rows of the table format (0: all); json and csv print all", config.Env("READER_LIMIT"))
	return func(ctx context.Context, rt cli.Runtime) error {
		f, err := reader.ParseFormat(format)
		if err != nil {
			return fmt.Errorf("--format: %w", err)
		}
		job.Kafka.Logger = rt.Log
		if job.Registry, err = rc.Connect(ctx, rt.Log); err != nil {
			return err
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
		if len(res.Rows) == 0 && f != reader.Table {
			fmt.Fprintln(rt.Stderr, reader.NoRowsYet)
		}
		return reader.Write(rt.Stdout, res.Rows, f, limit)
	}
}
