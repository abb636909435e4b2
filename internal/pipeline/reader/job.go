package reader

import (
	"context"

	"github.com/salesstream/salesstream/internal/platform/kafkaconn"
	"github.com/salesstream/salesstream/pkg/registry"
	"github.com/salesstream/salesstream/pkg/serde"
)

// Job is the reader binary's whole run: it connects, then reads topic.
type Job struct {
	Kafka    kafkaconn.Config
	Registry *registry.Client
	Topic    string
}

// Run reads the summary table.
func (j Job) Run(ctx context.Context) (Result, error) {
	cl, err := kafkaconn.NewClient(ctx, j.Kafka)
	if err != nil {
		return Result{}, err
	}
	cl.Close()
	opts, err := j.Kafka.Options(ctx)
	if err != nil {
		return Result{}, err
	}
	return Read(ctx, opts, serde.New(j.Registry), j.Topic)
}

// Follow prints the summary table as it stands, then every row as it is
// committed, through p, until ctx ends.
func (j Job) Follow(ctx context.Context, p *Printer, onErr func(error)) error {
	cl, err := kafkaconn.NewClient(ctx, j.Kafka)
	if err != nil {
		return err
	}
	cl.Close()
	opts, err := j.Kafka.Options(ctx)
	if err != nil {
		return err
	}
	return Follow(ctx, opts, serde.New(j.Registry), j.Topic, Follower{Table: p.Table, Committed: p.Committed, Error: onErr})
}
