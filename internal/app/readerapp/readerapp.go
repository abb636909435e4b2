// Package readerapp wires the reader binary (cmd/reader): its settings and the
// clients, serdes and topics it builds around its stage.
package readerapp

import (
	"context"
	"fmt"

	"github.com/salesstream/salesstream/internal/domain/schema"
	"github.com/salesstream/salesstream/internal/pipeline/reader"
	"github.com/salesstream/salesstream/internal/platform/cli"
	"github.com/salesstream/salesstream/internal/platform/config"
	"github.com/salesstream/salesstream/internal/platform/registryconn"
)

// Declare declares the reader binary's settings in set and returns its job.
func Declare(set *config.Set) cli.Job {
	var (
		job    Job
		rc     registryconn.Config
		format reader.Format
		limit  int
	)
	job.Kafka.ClientID = "salesstream-reader"
	job.Kafka.Register(set)
	rc.Register(set)
	set.String(&job.Topic, "topic", schema.SummaryTopic, "summary topic", config.Env("READER_TOPIC"))
	set.TextVar(&format, "format", format, "table, json (one object a line) or csv", config.Env("READER_FORMAT"))
	set.Int(&limit, "limit", 100, "rows of the table format (0: all); json and csv print all", config.Env("READER_LIMIT"))
	return func(ctx context.Context, rt cli.Runtime) error {
		var err error
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
		if len(res.Rows) == 0 && format != reader.Table {
			fmt.Fprintln(rt.Stderr, reader.NoRowsYet)
		}
		return reader.Write(rt.Stdout, res.Rows, format, limit)
	}
}
