package app

import (
	"context"
	"log/slog"

	"github.com/twmb/franz-go/pkg/kgo"

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
// returns the clients a job runs with; their registry client is checked
// to answer.
func (c *Connections) Connect(ctx context.Context, log *slog.Logger) (Clients, error) {
	c.Kafka.Logger = log
	if c.Files != nil {
		c.Files.Logger = log
	}
	reg, err := c.Registry.Connect(ctx, log)
	if err != nil {
		return Clients{}, err
	}
	return Clients{Kafka: c.Kafka, Registry: reg, Opener: c.Files, Logger: log}, nil
}

// Clients are what a job runs with once its binary has connected: the
// Kafka settings, a registry client, the opener of input files and the
// logger. The producer's, enricher's, reader's and audit's jobs embed it.
type Clients struct {
	Kafka    kafkaconn.Config
	Registry *registry.Client
	// Opener opens input files, local or s3://; nil opens them with the
	// default settings.
	Opener *source.Opener
	// Logger receives the job's logs; nil discards them.
	Logger *slog.Logger
}

// Log returns the Logger, or a logger that discards when there is none.
func (c Clients) Log() *slog.Logger {
	if c.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return c.Logger
}

// Files returns the Opener, or one of the default settings when there is
// none.
func (c Clients) Files() *source.Opener {
	if c.Opener == nil {
		return &source.Opener{}
	}
	return c.Opener
}

// KafkaOptions checks that the brokers answer, so that a dead broker is
// reported as such rather than as an empty read, and returns the client
// options of the Kafka settings.
func (c Clients) KafkaOptions(ctx context.Context) ([]kgo.Opt, error) {
	cl, err := kafkaconn.NewClient(ctx, c.Kafka)
	if err != nil {
		return nil, err
	}
	cl.Close()
	return c.Kafka.Options(ctx)
}
