// Package readerapp wires the reader binary (cmd/reader): its settings and the
// clients, serdes and topics it builds around its stage.
package readerapp

import (
	"context"
	"fmt"

	"github.com/salesstream/salesstream/internal/app"
	"github.com/salesstream/salesstream/internal/pipeline/reader"
	"github.com/salesstream/salesstream/internal/platform/cli"
	"github.com/salesstream/salesstream/internal/platform/config"
)

// Declare declares the reader binary's settings in set and returns its job.
func Declare(set *config.Set) cli.Job {
	var (
		job    Job
		format reader.Format
		limit  int
	)
	conn := app.DeclareConnections(set, "salesstream-reader", false)
	app.DeclareSummaryTopic(set, &job.Topic)
	set.TextVar(&format, "format", format, "table, json (one object a line) or csv", config.Env("READER_FORMAT"))
	set.Int(&limit, "limit", 100, "rows of the table format (0: all); json and csv print all", config.Env("READER_LIMIT"))
	return func(ctx context.Context, rt cli.Runtime) error {
		reg, err := conn.Connect(ctx, rt.Log)
		if err != nil {
			return err
		}
		job.Kafka, job.Registry = conn.Kafka, reg
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
		return reader.Write(rt.Stdout, res.Rows, format, limit)
	}
}
