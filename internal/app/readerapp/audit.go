package readerapp

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/salesstream/salesstream/internal/app"
	"github.com/salesstream/salesstream/internal/app/enricherapp"
	"github.com/salesstream/salesstream/internal/pipeline/audit"
	"github.com/salesstream/salesstream/internal/platform/cli"
	"github.com/salesstream/salesstream/pkg/serde"
)

// AuditJob is reader --audit's whole run: it loads the regions file,
// connects to Kafka and the registry, and audits the summary table.
type AuditJob struct {
	app.Clients
	// Regions is the regions CSV path or s3:// URL the enricher used.
	Regions string
	// Audit is the rest of the audit's settings; Run sets its Regions,
	// RegionsSource, Decoder and Logger.
	Audit audit.Config
}

// Run runs the audit.
func (j AuditJob) Run(ctx context.Context) (*audit.Verdict, error) {
	regions, err := enricherapp.LoadRegions(ctx, j.Registry, j.Files(), j.Regions)
	if err != nil {
		return nil, err
	}
	opts, err := j.KafkaOptions(ctx)
	if err != nil {
		return nil, err
	}
	cfg := j.Audit
	cfg.Regions, cfg.RegionsSource = regions, j.Regions
	cfg.Decoder = serde.New(j.Registry)
	cfg.Logger = j.Logger
	return audit.Run(ctx, opts, cfg)
}

// runAudit runs reader --audit and prints its verdict to out: exit 1
// when the table differs, 2 when it cannot audit.
func runAudit(ctx context.Context, out io.Writer, j AuditJob) error {
	v, err := j.Run(ctx)
	if err != nil {
		var c *audit.CannotAudit
		if !errors.As(err, &c) {
			err = fmt.Errorf("cannot audit: %w", err)
		}
		return &cli.ExitError{Code: 2, Err: err}
	}
	if err := v.Write(out); err != nil {
		return &cli.ExitError{Code: 2, Err: err}
	}
	if !v.OK() {
		return &cli.ExitError{Code: 1, Err: errors.New("the summary table is not what the input makes it (see above)")}
	}
	return nil
}
