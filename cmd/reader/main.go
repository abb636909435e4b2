// Command reader batch-reads the summary topic from its start to its
// current end and prints the latest row of every (region, window), latest
// windows first, then by sales.
//
//	reader [--format table|json|csv] [--limit 100]
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/salesstream/salesstream/pkg/cli"
	"github.com/salesstream/salesstream/pkg/config"
	"github.com/salesstream/salesstream/pkg/reader"
	"github.com/salesstream/salesstream/pkg/registryconn"
	"github.com/salesstream/salesstream/pkg/schema"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "reader:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("reader", flag.ContinueOnError)
	set := config.New(fs)
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
	var logging cli.Logging
	logging.Register(set)
	if done, err := (cli.Env{Stdout: stdout}).Setup(ctx, set, args); done || err != nil {
		return err
	}
	log, err := logging.Logger(os.Stderr)
	if err != nil {
		return err
	}
	job.Kafka.Logger = log
	f, err := reader.ParseFormat(format)
	if err != nil {
		return fmt.Errorf("--format: %w", err)
	}
	if job.Registry, err = rc.Connect(ctx, log); err != nil {
		return err
	}
	res, err := job.Run(ctx)
	if err != nil {
		return err
	}
	for _, e := range res.Errors {
		fmt.Fprintf(stderr, "skipped undecodable record: %v\n", e)
	}
	if res.Undecodable > len(res.Errors) {
		fmt.Fprintf(stderr, "... %d undecodable records in all\n", res.Undecodable)
	}
	return reader.Write(stdout, res.Rows, f, limit)
}
