package enricher

import (
	"context"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/twmb/franz-go/pkg/kgo"
)

// assignments collects the group's changes to the repartition partitions
// this instance owns, which kgo reports from its own goroutine, for the
// poll loop to apply between polls. kgo calls OnPartitionsAssigned before
// it fetches the offsets of the new partitions, so the poll that returns a
// partition's first records comes after the event that announces it.
type assignments struct {
	topic  string
	mu     sync.Mutex
	events []assignment
	// joined is set when the group assigns this member its partitions
	// (kgo calls OnPartitionsAssigned after every join, even with none
	// new), and cleared when the member loses its session.
	joined atomic.Bool
	// onLost, if set, is called when the session is lost (fenced,
	// expired), from kgo's goroutine.
	onLost func()
	// changes counts the changes recorded, taken or not.
	changes atomic.Int64
}

// assignment is one change: partitions added, or revoked or lost.
type assignment struct {
	partitions []int32
	added      bool
}

func (a *assignments) record(m map[string][]int32, added bool) {
	ps := m[a.topic]
	if len(ps) == 0 {
		return
	}
	a.changes.Add(1)
	a.mu.Lock()
	defer a.mu.Unlock()
	a.events = append(a.events, assignment{partitions: slices.Clone(ps), added: added})
}

// assigned is the kgo.OnPartitionsAssigned hook.
func (a *assignments) assigned(_ context.Context, _ *kgo.Client, m map[string][]int32) {
	a.record(m, true)
	a.joined.Store(true)
}

// revoked is the kgo.OnPartitionsRevoked and kgo.OnPartitionsLost hook.
func (a *assignments) revoked(_ context.Context, _ *kgo.Client, m map[string][]int32) {
	a.record(m, false)
}

// lost is the kgo.OnPartitionsLost hook: the session is gone, and with it
// the partitions.
func (a *assignments) lost(ctx context.Context, cl *kgo.Client, m map[string][]int32) {
	a.joined.Store(false)
	if a.onLost != nil {
		a.onLost()
	}
	a.revoked(ctx, cl, m)
}

// pending reports whether changes wait to be taken.
func (a *assignments) pending() bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.events) > 0
}

// take returns the changes recorded since the last call, oldest first.
func (a *assignments) take() []assignment {
	a.mu.Lock()
	defer a.mu.Unlock()
	ev := a.events
	a.events = nil
	return ev
}

// netChanges folds changes, in order, into the partitions to drop and those to
// restore: a partition revoked and assigned again is restored afresh.
func netChanges(events []assignment) (drop, add []int32) {
	state := map[int32]bool{} // true: to restore; false: to drop
	for _, ev := range events {
		for _, p := range ev.partitions {
			state[p] = ev.added
		}
	}
	for p, added := range state {
		drop = append(drop, p) // an added partition drops any stale table first
		if added {
			add = append(add, p)
		}
	}
	slices.Sort(drop)
	slices.Sort(add)
	return drop, add
}
