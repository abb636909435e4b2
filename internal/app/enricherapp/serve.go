package enricherapp

import (
	"context"
	"slices"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/salesstream/salesstream/internal/app"
	"github.com/salesstream/salesstream/internal/pipeline/enricher"
	"github.com/salesstream/salesstream/internal/pipeline/enricher/dashboard"
	"github.com/salesstream/salesstream/internal/pipeline/reader"
	"github.com/salesstream/salesstream/internal/platform/topics"
)

// summaryPartitions returns the summary topic's partition count, or, if it
// cannot be listed, the count the job creates topics with.
func (j Job) summaryPartitions(ctx context.Context, opts []kgo.Opt) int32 {
	n := app.Partitions(j.Partitions)
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		return n
	}
	defer cl.Close()
	if parts, err := topics.Partitions(ctx, cl, j.Enricher.SummaryTopic); err == nil {
		n = parts[j.Enricher.SummaryTopic]
	}
	return n
}

// followFetchBytes bounds a fetch of the dashboard's follower.
const followFetchBytes = 256 << 10

// serve registers e's metrics, progress and dashboard on j.Ops, and
// follows the summary topic for the dashboard until the returned stop is
// called.
func (j Job) serve(ctx context.Context, e *enricher.Enricher, opts []kgo.Opt, dec reader.Decoder) (stop func()) {
	enricher.Metrics(j.Ops, e)
	windows := j.DashboardWindows
	if windows <= 0 {
		windows = 6
	}
	sales := dashboard.NewSales(windows)
	dashboard.New(e.Progress(), sales).Register(j.Ops)
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		// The dashboard keeps the latest windows only: the summary topic
		// streams through it, in small fetches, rather than being
		// gathered whole, so its memory does not grow with the topic.
		err := reader.Follow(ctx, append(slices.Clone(opts), topics.CommittedFetch(followFetchBytes, int(j.summaryPartitions(ctx, opts)))...),
			dec, j.Enricher.SummaryTopic,
			reader.Follower{Stream: true, Table: sales.Table, Committed: sales.Committed, Error: sales.Error})
		if err != nil && j.Logger != nil {
			j.Logger.Error("the dashboard stopped following the summary topic", "err", err)
		}
	}()
	return func() { cancel(); <-done }
}
