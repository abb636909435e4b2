package app

import (
	"context"
	"log/slog"

	"github.com/salesstream/salesstream/internal/platform/config"
	"github.com/salesstream/salesstream/internal/platform/kafkaconn"
	"github.com/salesstream/salesstream/internal/platform/registryconn"
	"github.com/salesstream/salesstream/internal/platform/source"
	"github.com/salesstream/salesstream/pkg/registry"
)

// Connections are the settings of what a job connects to: Kafka, the
// registry, and the opener of input files (local or S3) if it reads any.
type Connections struct {
	Kafka    kafkaconn.Config
	Registry registryconn.Config
	// Files opens the input files; nil for a job that reads none.
	Files *source.Opener
}

// DeclareConnections declares the Kafka and registry settings in set, and
// those of input files if files is set; clientID names the binary to
// Kafka.
func DeclareConnections(set *config.Set, clientID string, files bool) *Connections {
	c := &Connections{}
	c.Kafka.ClientID = clientID
	c.Kafka.Register(set)
	c.Registry.Register(set)
	if files {
		c.Files = &source.Opener{}
		c.Files.Register(set)
	}
	return c
}

// Connect gives the connections log, once the settings are resolved, and
// returns a client of the registry, checked to answer.
func (c *Connections) Connect(ctx context.Context, log *slog.Logger) (*registry.Client, error) {
	c.Kafka.Logger = log
	if c.Files != nil {
		c.Files.Logger = log
	}
	return c.Registry.Connect(ctx, log)
}
