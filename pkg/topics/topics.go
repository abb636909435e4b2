// Package topics declares the pipeline's Kafka topics and creates the ones
// a cluster lacks.
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
