// Package kafkaconn builds franz-go clients from configuration. It is the
// one place that knows how salesstream connects to Kafka: broker addresses,
// TLS and SASL, so that every binary connects the same way.
package kafkaconn

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/salesstream/salesstream/pkg/config"
)

// DefaultBrokers is the embedded stack's broker address.
const DefaultBrokers = "127.0.0.1:9092"

// Config says how to reach a Kafka cluster.
type Config struct {
	// Brokers are the seed brokers, host:port.
	Brokers []string
	// ClientID names the client in broker logs.
	ClientID string
}

// Register declares the connection settings in s.
func (c *Config) Register(s *config.Set) {
	s.Strings(&c.Brokers, "brokers", []string{DefaultBrokers}, "Kafka bootstrap brokers, comma-separated host:port",
		config.Env("KAFKA_BROKERS"), config.Param("kafka_servers"))
}

// Options returns the franz-go options that connect to the cluster.
func (c Config) Options(ctx context.Context) ([]kgo.Opt, error) {
	if len(c.Brokers) == 0 {
		return nil, errors.New("no Kafka brokers configured: set --brokers or KAFKA_BROKERS")
	}
	opts := []kgo.Opt{kgo.SeedBrokers(c.Brokers...)}
	if c.ClientID != "" {
		opts = append(opts, kgo.ClientID(c.ClientID))
	}
	return opts, nil
}

// NewClient builds a client with the connection options followed by extra,
// and checks within a few seconds that a broker answers, so that a wrong
// address fails fast with an error that says what to do.
func NewClient(ctx context.Context, c Config, extra ...kgo.Opt) (*kgo.Client, error) {
	opts, err := c.Options(ctx)
	if err != nil {
		return nil, err
	}
	cl, err := kgo.NewClient(append(opts, extra...)...)
	if err != nil {
		return nil, fmt.Errorf("create Kafka client for %s: %w", strings.Join(c.Brokers, ","), err)
	}
	if err := Ping(ctx, cl, c.Brokers); err != nil {
		cl.Close()
		return nil, err
	}
	return cl, nil
}

// PingTimeout bounds how long Ping waits for a broker.
const PingTimeout = 5 * time.Second

// Ping checks that a broker answers, within PingTimeout.
func Ping(ctx context.Context, cl *kgo.Client, brokers []string) error {
	ctx, cancel := context.WithTimeout(ctx, PingTimeout)
	defer cancel()
	if err := cl.Ping(ctx); err != nil {
		return fmt.Errorf("kafka at %s is unreachable (%v): start the embedded stack with \"go run ./cmd/devstack\" or set --brokers / KAFKA_BROKERS",
			strings.Join(brokers, ","), err)
	}
	return nil
}
