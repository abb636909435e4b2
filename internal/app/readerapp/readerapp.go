// Package readerapp wires the reader binary (cmd/reader): its settings and the
// clients, serdes and topics it builds around its stage.
package readerapp

import (
	"context"
	"fmt"
	"strings"

	"github.com/salesstream/salesstream/internal/app"
	"github.com/salesstream/salesstream/internal/pipeline/audit"
	"github.com/salesstream/salesstream/internal/pipeline/enricher"
	"github.com/salesstream/salesstream/internal/pipeline/reader"
	"github.com/salesstream/salesstream/internal/platform/cli"
	"github.com/salesstream/salesstream/internal/platform/config"
	"github.com/salesstream/salesstream/internal/platform/source"
)

// Declare declares the reader binary's settings in set and returns its job.
func Declare(set *config.Set) cli.Job {
	var (
		job    Job
		format reader.Format
		limit  int
		follow bool
		filter reader.Filter
		since  string
		until  string
		check  bool
	)
	conn := app.DeclareConnections(set, "salesstream-reader", true)
	app.DeclareSummaryTopic(set, &job.Topic)
	set.TextVar(&format, "format", format, "table, json (one object a line) or csv", config.Env("READER_FORMAT"))
	set.Int(&limit, "limit", 100, "rows of the table format (0: all); json and csv print all", config.Env("READER_LIMIT"))
	set.Bool(&follow, "follow", false, "after the table, keep printing rows as they are committed (read_committed), until Ctrl-C", config.Env("READER_FOLLOW"))
	set.String(&filter.Region, "region", "", "only this region's rows", config.Env("READER_REGION"))
	set.String(&since, "since", "", "only windows starting at or after this UTC time (RFC 3339, 2006-01-02 15:04, or a date)", config.Env("READER_SINCE"))
	set.String(&until, "until", "", "only windows starting before this UTC time (RFC 3339, 2006-01-02 15:04, or a date)", config.Env("READER_UNTIL"))
	set.Bool(&check, "audit", false, "check the summary table against the input instead of printing it: exit 0 equal, 1 not, 2 cannot audit", config.Env("READER_AUDIT"))
	aj, maxS := declareAudit(set, conn.Files)
	set.Check(func() error { return auditAlone(check, follow, filter.Region, since, until) })
	set.Check(func() error { return parseWindowRange(&filter, since, until) })
	return func(ctx context.Context, rt cli.Runtime) error {
		var err error
		if job.Clients, err = conn.Connect(ctx, rt.Log); err != nil {
			return err
		}
		if check {
			aj.Clients, aj.Audit.SummaryTopic, aj.Audit.MaxSales = job.Clients, job.Topic, int64(*maxS)
			return runAudit(ctx, rt.Stdout, *aj)
		}
		if follow {
			p := &reader.Printer{W: rt.Stdout, Format: format, Limit: limit, Filter: filter}
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
		rows := filter.Rows(res.Rows)
		if len(rows) == 0 && format != reader.Table {
			fmt.Fprintln(rt.Stderr, reader.NoRowsYet)
		}
		return reader.Write(rt.Stdout, rows, format, limit)
	}
}

// declareAudit declares the settings of --audit in set and returns the
// audit job they fill, and --audit-max-sales. The regions file is opened
// with files, as the enricher opens it: relative to --data-bucket when
// set, and with the shared AWS settings for s3://.
func declareAudit(set *config.Set, files *source.Opener) (*AuditJob, *int) {
	def := enricher.DefaultConfig()
	aj := &AuditJob{Clients: app.Clients{Opener: files}}
	maxS := new(int)
	set.String(&aj.Audit.Group, "group", def.Group, "--audit: the enricher's consumer group", config.Env("ENRICHER_GROUP"))
	set.String(&aj.Audit.StateTopic, "state-topic", def.StateTopic, "--audit: the enricher's state topic", config.Env("ENRICHER_STATE_TOPIC"))
	set.String(&aj.Regions, "regions", app.DefaultRegionsCSV, "--audit: the regions CSV the enricher joins with, local path or s3:// (relative to --data-bucket when set)", config.Env("ENRICHER_REGIONS"))
	set.Duration(&aj.Audit.Wait, "audit-wait", 0, "--audit: wait up to this long for the enricher to catch up; 0 audits a consistent cut of a running enricher at once", config.Env("READER_AUDIT_WAIT"))
	set.Int(maxS, "audit-max-sales", audit.DefaultMaxSales, "--audit: refuse to hold more sales offsets than this (about a byte each)", config.Env("READER_AUDIT_MAX_SALES"))
	set.Check(func() error {
		if *maxS < 1 {
			return fmt.Errorf("--audit-max-sales %d: give the most sales offsets the audit may hold, at least 1 (default %d)", *maxS, audit.DefaultMaxSales)
		}
		return nil
	})
	return aj, maxS
}

// auditAlone refuses the table's selection and --follow with --audit,
// which checks the whole table once: they would be ignored.
func auditAlone(audit, follow bool, region, since, until string) error {
	if !audit {
		return nil
	}
	var given []string
	for _, f := range []struct {
		name string
		set  bool
	}{{"--follow", follow}, {"--region", region != ""}, {"--since", since != ""}, {"--until", until != ""}} {
		if f.set {
			given = append(given, f.name)
		}
	}
	if len(given) > 0 {
		return fmt.Errorf("--audit checks the whole summary table once: drop %s, or drop --audit to print the table", strings.Join(given, ", "))
	}
	return nil
}

// parseWindowRange sets f's Since and Until from the --since and --until
// values, checked with the other settings so that --print-config refuses
// what a run would.
func parseWindowRange(f *reader.Filter, since, until string) error {
	var err error
	if f.Since, err = reader.ParseTime(since); err != nil {
		return fmt.Errorf("--since: %w", err)
	}
	if f.Until, err = reader.ParseTime(until); err != nil {
		return fmt.Errorf("--until: %w", err)
	}
	if !f.Since.IsZero() && !f.Until.IsZero() && !f.Since.Before(f.Until) {
		return fmt.Errorf("--since %s is not before --until %s: no window can match", since, until)
	}
	return nil
}
