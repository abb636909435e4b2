package enricherapp

import (
	"context"
	"fmt"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/salesstream/salesstream/internal/app"
	"github.com/salesstream/salesstream/internal/domain/sales"
	"github.com/salesstream/salesstream/internal/domain/schema"
	"github.com/salesstream/salesstream/internal/pipeline/enricher"
	"github.com/salesstream/salesstream/internal/pipeline/registrar"
	"github.com/salesstream/salesstream/internal/platform/kafkaconn"
	"github.com/salesstream/salesstream/internal/platform/ops"
	"github.com/salesstream/salesstream/internal/platform/source"
	"github.com/salesstream/salesstream/internal/platform/topics"
	"github.com/salesstream/salesstream/pkg/registry"
	"github.com/salesstream/salesstream/pkg/serde"
)

// Job is the enricher binary's whole run: it loads the regions, connects
// to Kafka and the registry, creates missing topics, and runs the Enricher.
type Job struct {
	app.Clients
	// Regions is the regions CSV path or s3:// URL.
	Regions string
	// Partitions of the topics the job creates (app.DefaultPartitions if
	// not positive).
	Partitions int32
	Enricher   enricher.Config
	// StartingOffsets is where a group with no committed offsets starts
	// reading the sales topic: enricher.StartEarliest (also when empty)
	// or enricher.StartLatest.
	StartingOffsets enricher.StartingOffsets
	// Started, if set, receives the Enricher once it is built, so a
	// caller can watch its Stats.
	Started func(*enricher.Enricher)
	// Ops, if set, serves the enricher's metrics, its progress at
	// /progress and its dashboard at /.
	Ops *ops.Server
	// DashboardWindows is how many of the latest windows the dashboard
	// shows; 0 means 6.
	DashboardWindows int
}

// Run runs the job and returns the enricher's committed counts. Its
// registry errors say what to do about them.
func (j Job) Run(ctx context.Context) (enricher.Stats, error) {
	return app.Hint(j.run(ctx))
}

func (j Job) run(ctx context.Context) (enricher.Stats, error) {
	log := j.Log()
	j.Enricher.Logger = log
	if j.Enricher.RegionsSource == "" {
		j.Enricher.RegionsSource = j.Regions
	}
	regions, err := LoadRegions(ctx, j.Registry, j.Files(), j.Regions)
	if err != nil {
		return enricher.Stats{}, err
	}
	log.Info("regions loaded", "path", j.Regions, "countries", regions.Len())
	fast, err := schema.NewSaleDecoder()
	if err != nil {
		return enricher.Stats{}, err
	}
	// Sales of this build's schema decode on the fast path; any other
	// writer schema through the general decoder.
	sd := serde.New(j.Registry, serde.WithFastDecoder(fast))
	keyEnc, valEnc, err := app.Encoders(ctx, sd, j.Enricher.SummaryTopic)
	if err != nil {
		return enricher.Stats{}, err
	}
	e, err := enricher.New(j.Enricher, regions, sd, keyEnc, valEnc)
	if err != nil {
		return enricher.Stats{}, err
	}
	summaryParts, err := j.ensureTopics(ctx, e)
	if err != nil {
		return enricher.Stats{}, err
	}
	opts, err := j.Kafka.Options(ctx)
	if err != nil {
		return enricher.Stats{}, err
	}
	if j.Ops != nil {
		stop := j.serve(ctx, e, opts, sd, summaryParts)
		defer stop()
	}
	if j.Started != nil {
		j.Started(e)
	}
	err = e.Run(ctx, opts)
	return e.Stats(), err
}

// ensureTopics creates the topics the enricher needs and lacks. The
// repartition and state topics get the partition count of the sales topic,
// which gets j.Partitions if it does not exist yet: stage 2 can then spread
// over as many instances as stage 1. With j.Ops it returns the summary
// topic's partition count, for the dashboard's follower (summaryPartitions).
func (j Job) ensureTopics(ctx context.Context, e *enricher.Enricher) (summaryParts int32, err error) {
	cl, err := kafkaconn.NewClient(ctx, j.Kafka)
	if err != nil {
		return 0, err
	}
	defer cl.Close()
	if err := topics.EnsureAlong(ctx, cl, topics.Spec{Name: j.Enricher.SalesTopic, Partitions: app.Partitions(j.Partitions)}, e.Topics); err != nil {
		return 0, err
	}
	if j.Ops != nil {
		summaryParts = j.summaryPartitions(ctx, cl)
	}
	if j.StartingOffsets == enricher.StartLatest {
		return summaryParts, enricher.StartAtEnd(ctx, cl, j.Enricher.Group, j.Enricher.SalesTopic, j.Enricher.StateTopic, j.Log())
	}
	return summaryParts, nil
}

// summaryPartitions returns the summary topic's partition count, which
// sizes the dashboard's fetches, or, if it cannot be listed (a topic just
// created may take a moment to show), the count the job creates topics
// with: the dashboard is no reason to refuse to run.
func (j Job) summaryPartitions(ctx context.Context, cl *kgo.Client) int32 {
	parts, err := topics.Partitions(ctx, cl, j.Enricher.SummaryTopic)
	if err != nil {
		j.Log().Warn("could not count the summary topic's partitions; the dashboard sizes its fetches for the default count",
			"topic", j.Enricher.SummaryTopic, "err", err)
		return app.Partitions(j.Partitions)
	}
	return parts[j.Enricher.SummaryTopic]
}

// LoadRegions reads the regions CSV at path, checking its header against
// the registered pagila.sales.regions.csv schema.
func LoadRegions(ctx context.Context, reg *registry.Client, opener *source.Opener, path string) (*sales.Regions, error) {
	header, err := registrar.Header(ctx, reg, schema.RegionsCSV)
	if err != nil {
		return nil, err
	}
	if opener == nil {
		opener = &source.Opener{}
	}
	rc, err := opener.Open(ctx, path)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	regions, err := sales.ReadRegions(rc, header)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return regions, nil
}
