package enricherapp

import (
	"context"
	"slices"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/salesstream/salesstream/internal/pipeline/enricher"
	"github.com/salesstream/salesstream/internal/pipeline/enricher/dashboard"
	"github.com/salesstream/salesstream/internal/pipeline/reader"
	"github.com/salesstream/salesstream/internal/platform/topics"
)

// followFetchBytes bounds a fetch of the dashboard's follower.
const followFetchBytes = 256 << 10

// serve registers e's metrics, progress and dashboard on j.Ops, and
// follows the summary topic, of summaryParts partitions, for the dashboard
// until the returned stop is called.
func (j Job) serve(ctx context.Context, e *enricher.Enricher, opts []kgo.Opt, dec reader.Decoder, summaryParts int32) (stop func()) {
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
		err := reader.Follow(ctx, append(slices.Clone(opts), topics.CommittedFetch(followFetchBytes, int(summaryParts))...),
			dec, j.Enricher.SummaryTopic,
			reader.Follower{Stream: true, Table: sales.Table, Committed: sales.Committed, Error: sales.Error})
		if err != nil && j.Logger != nil {
			j.Logger.Error("the dashboard stopped following the summary topic", "err", err)
		}
	}()
	return func() { cancel(); <-done }
}
