// Package topics declares the pipeline's Kafka topics, creates the ones a
// cluster lacks, and tells readers where the topics end: Ends tracks a
// read_committed consumer's way to the last stable offsets, and WaitStable
// waits for the transactions open on a topic to end first, so that the
// end includes every commit made before.
package topics

import (
	"context"
	"errors"
	"fmt"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
)

// Spec describes one topic.
type Spec struct {
	Name       string
	Partitions int32
	// Compacted topics keep the latest record per key.
	Compacted bool
}

// Ensure creates the topics of specs that do not exist yet, with the
// cluster's default replication factor. Existing topics are left as they
// are.
func Ensure(ctx context.Context, cl *kgo.Client, specs ...Spec) error {
	adm := kadm.NewClient(cl)
	for _, s := range specs {
		var cfg map[string]*string
		if s.Compacted {
			policy := "compact"
			cfg = map[string]*string{"cleanup.policy": &policy}
		}
		resp, err := adm.CreateTopic(ctx, s.Partitions, -1, cfg, s.Name)
		if err == nil {
			err = resp.Err
		}
		if err != nil && !errors.Is(err, kerr.TopicAlreadyExists) {
			return fmt.Errorf("create topic %s: %w", s.Name, err)
		}
	}
	return nil
}

// Partitions returns the partition count of each of the named topics. A
// topic the cluster does not have is an error wrapping ErrNoTopic.
func Partitions(ctx context.Context, cl *kgo.Client, names ...string) (map[string]int32, error) {
	details, err := kadm.NewClient(cl).ListTopics(ctx, names...)
	if err != nil {
		return nil, fmt.Errorf("describe topics %v: %w", names, err)
	}
	out := make(map[string]int32, len(names))
	for _, n := range names {
		d, ok := details[n]
		switch {
		case !ok || errors.Is(d.Err, kerr.UnknownTopicOrPartition):
			return nil, fmt.Errorf("topic %s does not exist: %w", n, ErrNoTopic)
		case d.Err != nil:
			return nil, fmt.Errorf("describe topic %s: %w", n, d.Err)
		}
		out[n] = int32(len(d.Partitions))
	}
	return out, nil
}
