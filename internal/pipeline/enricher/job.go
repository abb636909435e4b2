package enricher

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/salesstream/salesstream/internal/domain/sales"
	"github.com/salesstream/salesstream/internal/domain/schema"
	"github.com/salesstream/salesstream/internal/pipeline/enricher/dashboard"
	"github.com/salesstream/salesstream/internal/pipeline/reader"
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
	Kafka    kafkaconn.Config
	Registry *registry.Client
	// Regions is the regions CSV path or s3:// URL.
	Regions string
	Opener  *source.Opener
	// Partitions of the topics the job creates.
	Partitions int32
	Enricher   Config
	Logger     *slog.Logger
	// Started, if set, receives the Enricher once it is built, so a
	// caller can watch its Stats.
	Started func(*Enricher)
	// Ops, if set, serves the enricher's metrics, its progress at
	// /progress and its dashboard at /.
	Ops *ops.Server
	// DashboardWindows is how many of the latest windows the dashboard
	// shows; 0 means 6.
	DashboardWindows int
}

// Run runs the job and returns the enricher's committed counts.
func (j Job) Run(ctx context.Context) (Stats, error) {
	log := j.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	j.Enricher.Logger = log
	regions, err := LoadRegions(ctx, j.Registry, j.Opener, j.Regions)
	if err != nil {
		return Stats{}, err
	}
	log.Info("regions loaded", "path", j.Regions, "countries", regions.Len())
	sd := serde.New(j.Registry)
	keyEnc, err := sd.Encoder(ctx, schema.KeyArtifact(j.Enricher.SummaryTopic))
	if err != nil {
		return Stats{}, err
	}
	valEnc, err := sd.Encoder(ctx, schema.ValueArtifact(j.Enricher.SummaryTopic))
	if err != nil {
		return Stats{}, err
	}
	e, err := New(j.Enricher, regions, sd, keyEnc, valEnc)
	if err != nil {
		return Stats{}, err
	}
	cl, err := kafkaconn.NewClient(ctx, j.Kafka)
	if err != nil {
		return Stats{}, err
	}
	parts := j.Partitions
	if parts <= 0 {
		parts = 3
	}
	err = j.ensureTopics(ctx, cl, e, parts)
	cl.Close()
	if err != nil {
		return Stats{}, err
	}
	opts, err := j.Kafka.Options(ctx)
	if err != nil {
		return Stats{}, err
	}
	if j.Ops != nil {
		stop := j.serve(ctx, e, opts, sd)
		defer stop()
	}
	if j.Started != nil {
		j.Started(e)
	}
	err = e.Run(ctx, opts)
	return e.Stats(), err
}

// serve registers e's metrics, progress and dashboard on j.Ops, and
// follows the summary topic for the dashboard until the returned stop is
// called.
func (j Job) serve(ctx context.Context, e *Enricher, opts []kgo.Opt, dec reader.Decoder) (stop func()) {
	Metrics(j.Ops, e)
	windows := j.DashboardWindows
	if windows <= 0 {
		windows = 6
	}
	sales := dashboard.NewSales(windows)
	dashboard.New(e.Progress(), sales).Register(j.Ops)
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		err := reader.Follow(ctx, opts, dec, e.cfg.SummaryTopic,
			reader.Follower{Table: sales.Table, Committed: sales.Committed, Error: sales.Error})
		if err != nil {
			e.log.Error("the dashboard stopped following the summary topic", "err", err)
		}
	}()
	return func() { cancel(); <-done }
}

// ensureTopics creates the topics the enricher needs and lacks. The
// repartition and state topics get the partition count of the sales topic,
// which gets parts if it does not exist yet: stage 2 can then spread over
// as many instances as stage 1.
func (j Job) ensureTopics(ctx context.Context, cl *kgo.Client, e *Enricher, parts int32) error {
	sales := e.cfg.SalesTopic
	if err := topics.Ensure(ctx, cl, topics.Spec{Name: sales, Partitions: parts}); err != nil {
		return err
	}
	// A topic just created may take a moment to show in the metadata.
	wait := 100 * time.Millisecond
	for {
		n, err := topics.Partitions(ctx, cl, sales)
		if err == nil {
			return topics.Ensure(ctx, cl, e.Topics(n[sales])...)
		}
		if !errors.Is(err, topics.ErrNoTopic) || wait > 5*time.Second {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(wait):
		}
		wait *= 2
	}
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
