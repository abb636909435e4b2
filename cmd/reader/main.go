// Command reader batch-reads the summary topic from its start to its
// current end and prints the latest row of every (region, window), latest
// windows first, then by sales; with --follow it then keeps printing rows
// as they are committed, like a console sink. Times are UTC.
//
//	reader [--format table|json|csv] [--limit 100] [--follow] [--region R] [--since T] [--until T]
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
		follow bool
		filter reader.Filter
		since  string
		until  string
	)
	job.Kafka.ClientID = "salesstream-reader"
	job.Kafka.Register(set)
	rc.Register(set)
	set.String(&job.Topic, "topic", schema.SummaryTopic, "summary topic", config.Env("READER_TOPIC"))
	set.String(&format, "format", "table", "table, json (one object a line) or csv", config.Env("READER_FORMAT"))
	set.Int(&limit, "limit", 100, "rows of the table format (0: all); json and csv print all", config.Env("READER_LIMIT"))
	set.Bool(&follow, "follow", false, "after the table, keep printing rows as they are committed (read_committed), until Ctrl-C", config.Env("READER_FOLLOW"))
	set.String(&filter.Region, "region", "", "only this region's rows", config.Env("READER_REGION"))
	set.String(&since, "since", "", "only windows starting at or after this UTC time (RFC 3339, 2006-01-02 15:04, or a date)", config.Env("READER_SINCE"))
	set.String(&until, "until", "", "only windows starting before this UTC time (RFC 3339, 2006-01-02 15:04, or a date)", config.Env("READER_UNTIL"))
	return func(ctx context.Context, rt cli.Runtime) error {
		f, err := reader.ParseFormat(format)
		if err != nil {
			return fmt.Errorf("--format: %w", err)
		}
		if filter.Since, err = reader.ParseTime(since); err != nil {
			return fmt.Errorf("--since: %w", err)
		}
		if filter.Until, err = reader.ParseTime(until); err != nil {
			return fmt.Errorf("--until: %w", err)
		}
		if !filter.Since.IsZero() && !filter.Until.IsZero() && !filter.Since.Before(filter.Until) {
			return fmt.Errorf("--since %s is not before --until %s: no window can match", since, until)
		}
		job.Kafka.Logger = rt.Log
		if job.Registry, err = rc.Connect(ctx, rt.Log); err != nil {
			return err
		}
		if follow {
			p := &reader.Printer{W: rt.Stdout, Format: f, Limit: limit, Filter: filter}
			return job.Follow(ctx, p, func(err error) { rt.Log.Warn("following the summary", "err", err) })
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
		return reader.Write(rt.Stdout, filter.Rows(res.Rows), f, limit)
	}
}
