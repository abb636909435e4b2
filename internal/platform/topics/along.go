package topics

import (
	"context"
	"errors"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// EnsureAlong creates base if it does not exist, waits until the cluster's
// metadata shows its partition count n (a topic just created may take a
// moment), then creates the topics of derived(n) that do not exist yet. It
// lets a job give its own topics the partition count of the topic it reads.
func EnsureAlong(ctx context.Context, cl *kgo.Client, base Spec, derived func(partitions int32) []Spec) error {
	if err := Ensure(ctx, cl, base); err != nil {
		return err
	}
	wait := 100 * time.Millisecond
	for {
		n, err := Partitions(ctx, cl, base.Name)
		if err == nil {
			return Ensure(ctx, cl, derived(n[base.Name])...)
		}
		if !errors.Is(err, ErrNoTopic) || wait > 5*time.Second {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(wait):
		}
		wait *= 2
	}
}
