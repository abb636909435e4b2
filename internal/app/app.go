// Package app holds what the wiring of the salesstream binaries shares: the
// defaults of settings that more than one binary declares, and the
// connection settings and Clients their jobs run with. Each binary's
// wiring (its settings, and the clients, serdes and topics it builds around
// a stage of internal/pipeline) lives in a package of its own below it:
// enricherapp, producerapp, readerapp, schemasapp. cmd/* call them.
package app

import (
	"context"
	"fmt"

	"github.com/salesstream/salesstream/internal/domain/schema"
	"github.com/salesstream/salesstream/internal/platform/config"
	"github.com/salesstream/salesstream/internal/platform/registryconn"
	"github.com/salesstream/salesstream/pkg/registry"
	"github.com/salesstream/salesstream/pkg/serde"
)

// DefaultPartitions is the partition count of the topics the producer and
// the enricher create when --partitions is not given.
const DefaultPartitions = 3

// Partitions returns n, or DefaultPartitions when n is not positive: the
// partition count of the topics a job creates, given its Partitions.
func Partitions(n int32) int32 {
	if n <= 0 {
		return DefaultPartitions
	}
	return n
}

// Hint returns a job's result v and its error with what a user of the
// binaries can do about a registry failure added (registryconn.Hint): a
// job's Run returns Hint(j.run(ctx)).
func Hint[T any](v T, err error) (T, error) { return v, registryconn.Hint(err) }

// CheckPartitions refuses a --partitions of less than one.
func CheckPartitions(n int) error {
	if n < 1 {
		return fmt.Errorf("--partitions %d: a topic needs at least one partition; give the count of partitions of the topics to create, e.g. --partitions %d", n, DefaultPartitions)
	}
	return nil
}

// The input files the producer, the enricher and the demo read unless told
// otherwise, relative to the repository's root.
const (
	DefaultSalesCSV   = "data/sales.csv"
	DefaultRegionsCSV = "data/regions.csv"
)

// DeclareSalesTopic declares --sales-topic (env SALES_TOPIC), the topic of
// the sales, stored in p: what the producer writes, the enricher reads
// (Spark's subscribe option) and the schemas job registers schemas for.
func DeclareSalesTopic(set *config.Set, p *string) {
	declareTopic(set, p, "sales-topic", schema.SalesTopic, "topic of the sales, keyed by customer", "SALES_TOPIC")
}

// DeclareSummaryTopic declares --summary-topic (env SUMMARY_TOPIC), the
// topic of the windowed summaries, stored in p: what the enricher writes
// (Spark's sink topic option), the reader reads and the schemas job
// registers schemas for.
func DeclareSummaryTopic(set *config.Set, p *string) {
	declareTopic(set, p, "summary-topic", schema.SummaryTopic, "compacted topic of the summaries, one row per (region, window)", "SUMMARY_TOPIC")
}

func declareTopic(set *config.Set, p *string, name, def, usage, env string) {
	set.String(p, name, def, usage, config.Env(env))
	set.Check(func() error {
		if *p == "" {
			return fmt.Errorf("--%s must not be empty: give a topic name such as %s", name, def)
		}
		return nil
	})
}

// Encoders returns the encoders of the key and value schemas registered
// for topic (TopicIdStrategy: "<topic>-key" and "<topic>-value").
func Encoders(ctx context.Context, sd *serde.Serde, topic string) (key, value *serde.Encoder, err error) {
	if key, err = sd.Encoder(ctx, schema.KeyArtifact(topic)); err != nil {
		return nil, nil, err
	}
	if value, err = sd.Encoder(ctx, schema.ValueArtifact(topic)); err != nil {
		return nil, nil, err
	}
	return key, value, nil
}

// SalesSerde returns the Serde the producer encodes sales with: keys and
// values of this build's schemas without reflection (schema.SaleEncoder),
// any other registered version with hamba/avro.
func SalesSerde(reg *registry.Client) (*serde.Serde, error) {
	ke, err := schema.NewSaleKeyEncoder()
	if err != nil {
		return nil, err
	}
	ve, err := schema.NewSaleValueEncoder()
	if err != nil {
		return nil, err
	}
	return serde.New(reg, serde.WithFastEncoder(ke), serde.WithFastEncoder(ve)), nil
}
