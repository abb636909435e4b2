package audit

import (
	"context"

	"github.com/salesstream/salesstream/internal/pipeline/enricher"
	"github.com/salesstream/salesstream/internal/platform/kafkaconn"
	"github.com/salesstream/salesstream/internal/platform/source"
	"github.com/salesstream/salesstream/pkg/registry"
	"github.com/salesstream/salesstream/pkg/serde"
)

// Job is reader --audit's whole run: it loads the regions file, connects
// to Kafka and the registry, and audits.
type Job struct {
	Kafka    kafkaconn.Config
	Registry *registry.Client
	// Regions is the regions CSV path or s3:// URL the enricher used.
	Regions string
	Opener  *source.Opener
	// Audit is the rest of the audit's settings; its Regions, Decoder
	// and Logger are set by Run.
	Audit Config
}

// Run runs the audit.
func (j Job) Run(ctx context.Context) (*Verdict, error) {
	regions, err := enricher.LoadRegions(ctx, j.Registry, j.Opener, j.Regions)
	if err != nil {
		return nil, err
	}
	cl, err := kafkaconn.NewClient(ctx, j.Kafka)
	if err != nil {
		return nil, err
	}
	cl.Close()
	opts, err := j.Kafka.Options(ctx)
	if err != nil {
		return nil, err
	}
	cfg := j.Audit
	cfg.Regions, cfg.RegionsSource = regions, j.Regions
	cfg.Decoder = serde.New(j.Registry)
	cfg.Logger = j.Kafka.Logger
	return Run(ctx, opts, cfg)
}
