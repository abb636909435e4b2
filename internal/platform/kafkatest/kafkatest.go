// Package kafkatest gives tests an in-process Kafka broker (kfake) and
// franz-go clients of it, each closed when the test ends, so a test's
// setup is one line rather than a cluster, a client and their errors
// written out again. The stages', the platform packages', the embedded
// stack's and the registry journal's tests import it.
package kafkatest

import (
	"testing"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
)

// Cluster starts a one-broker kfake cluster with opts (which may ask for
// more brokers), closed when tb ends.
func Cluster(tb testing.TB, opts ...kfake.Opt) *kfake.Cluster {
	tb.Helper()
	c, err := kfake.NewCluster(append([]kfake.Opt{kfake.NumBrokers(1)}, opts...)...)
	if err != nil {
		tb.Fatalf("start a kfake cluster: %v", err)
	}
	tb.Cleanup(c.Close)
	return c
}

// Client returns a client of brokers with opts, closed when tb ends.
func Client(tb testing.TB, brokers []string, opts ...kgo.Opt) *kgo.Client {
	tb.Helper()
	cl, err := kgo.NewClient(append([]kgo.Opt{kgo.SeedBrokers(brokers...)}, opts...)...)
	if err != nil {
		tb.Fatalf("new Kafka client of %v: %v", brokers, err)
	}
	tb.Cleanup(cl.Close)
	return cl
}
