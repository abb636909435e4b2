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
