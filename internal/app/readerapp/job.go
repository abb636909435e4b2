package readerapp

import (
	"context"

	"github.com/salesstream/salesstream/internal/app"
	"github.com/salesstream/salesstream/internal/pipeline/reader"
	"github.com/salesstream/salesstream/pkg/serde"
)

// Job is the reader binary's whole run: it connects, then reads Topic.
type Job struct {
	app.Clients
	Topic string
}

// Run reads the summary table. Its registry errors say what to do about
// them.
func (j Job) Run(ctx context.Context) (reader.Result, error) {
	opts, err := j.KafkaOptions(ctx)
	if err != nil {
		return reader.Result{}, err
	}
	return app.Hint(reader.Read(ctx, opts, serde.New(j.Registry), j.Topic))
}

// Follow prints the summary table as it stands, then every row as it is
// committed, through p, until ctx ends.
func (j Job) Follow(ctx context.Context, p *reader.Printer, onErr func(error)) error {
	opts, err := j.KafkaOptions(ctx)
	if err != nil {
		return err
	}
	return reader.Follow(ctx, opts, serde.New(j.Registry), j.Topic, reader.Follower{Table: p.Table, Committed: p.Committed, Error: onErr})
}
