package enricher

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/salesstream/salesstream/pkg/schema"
	"github.com/salesstream/salesstream/pkg/topics"
	"github.com/salesstream/salesstream/pkg/window"
)

// Topics returns the topics the enricher reads and writes, for creation.
func (e *Enricher) Topics(partitions int32) []topics.Spec {
	specs := []topics.Spec{
		{Name: e.cfg.SalesTopic, Partitions: partitions},
		{Name: e.cfg.SummaryTopic, Partitions: partitions, Compacted: true},
		{Name: e.cfg.DeadLetterTopic, Partitions: 1},
		{Name: e.cfg.StateTopic, Partitions: 1, Compacted: true},
	}
	if e.cfg.LateTopic != "" {
		specs = append(specs, topics.Spec{Name: e.cfg.LateTopic, Partitions: 1})
	}
	return specs
}

// Run restores the window state, then consumes the sales topic and writes
// a micro-batch at every trigger until ctx ends (nil is then returned) or,
// with Once, until what the topic held at the start is processed and
// committed. An uncommitted micro-batch is simply not committed: a restarted
// enricher processes its records again. connOpts connect to the cluster.
//
// When the cluster fails under it (a broker restart, a fenced or timed-out
// transaction), Run does what a restart would do, in process: it drops its
// session and state, waits with backoff, restores the state from the
// changelog and resumes from the committed offsets. Only errors that a
// restart cannot mend, such as a state topic built with other window
// settings, end it.
func (e *Enricher) Run(ctx context.Context, connOpts []kgo.Opt) error {
	wait := e.cfg.Retry
	for {
		began := time.Now()
		err := e.session(ctx, connOpts)
		if err == nil || ctx.Err() != nil {
			return nil
		}
		var fatal *fatalError
		if errors.As(err, &fatal) {
			return fatal.err
		}
		if time.Since(began) > time.Minute {
			wait = e.cfg.Retry // it ran well for a while: a new failure
		}
		e.log.Error("stream failed; restarting from the committed state", "err", err, "wait", wait)
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(wait):
		}
		wait = min(2*wait, 30*time.Second)
	}
}

// fatalError is an error that restarting cannot mend.
type fatalError struct{ err error }

func (f *fatalError) Error() string { return f.err.Error() }
func (f *fatalError) Unwrap() error { return f.err }

// session runs one consumer session: fence, restore, consume, commit,
// until ctx ends, Once completes, or something fails.
func (e *Enricher) session(ctx context.Context, connOpts []kgo.Opt) error {
	sess, err := kgo.NewGroupTransactSession(append(slices.Clone(connOpts),
		kgo.ConsumerGroup(e.cfg.Group),
		kgo.ConsumeTopics(e.cfg.SalesTopic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.TransactionalID(e.cfg.TransactionalID),
		// Static membership: a restarted instance takes its partitions
		// back at once instead of waiting out the session timeout.
		kgo.InstanceID(e.cfg.TransactionalID),
		kgo.FetchIsolationLevel(kgo.ReadCommitted()),
		kgo.RequireStableFetchOffsets(),
		kgo.KeepControlRecords(),
	)...)
	if err != nil {
		return fmt.Errorf("create transactional session: %w", err)
	}
	defer sess.Close()
	// Fence a previous instance with this transactional id before reading
	// the state: its open transaction, if any, is aborted, or, if it was
	// committing, completes, so the changelog read next and the offsets
	// the group resumes from are the same commit's. (Reading the state
	// first could miss a commit that lands just after, and resume past
	// records whose state changes were never read.) It also frees the
	// group's offset fetch, which would otherwise wait behind that
	// transaction until it times out.
	if _, _, err := sess.Client().ProducerID(ctx); err != nil {
		return fmt.Errorf("initialize transactional producer %s: %w", e.cfg.TransactionalID, err)
	}
	t, err := window.New[string, int64, window.Sum](e.cfg.Window, window.AddSum)
	if err != nil {
		return &fatalError{fmt.Errorf("window: %w", err)}
	}
	n, read, err := e.loadState(ctx, connOpts, t)
	if err != nil {
		return err
	}
	e.stats.watermark.Store(t.Watermark())
	e.stats.windows.Store(int64(n))
	e.log.Info("window state restored", "topic", e.cfg.StateTopic, "windows", n, "records_read", read, "watermark", fmtMillis(t.Watermark()))

	var ends *topics.Ends
	if e.cfg.Once {
		if ends, err = e.listEnds(ctx, sess.Client()); err != nil {
			return err
		}
	}
	good := t.Snapshot()
	e.stats.ready.Store(true)
	defer e.stats.ready.Store(false)
	var (
		b    batch
		v    schema.SaleValue
		next = time.Now().Add(e.cfg.Trigger)
	)
	for {
		if ends != nil && ends.Done() {
			if err := e.commit(ctx, sess, t, &b, &good); err != nil {
				return err
			}
			e.log.Info("available data processed", "stats", e.Stats())
			return nil
		}
		pollCtx, cancel := ctx, context.CancelFunc(func() {})
		if ends == nil && e.cfg.Trigger > 0 {
			pollCtx, cancel = context.WithDeadline(ctx, next)
		}
		fs := sess.PollFetches(pollCtx)
		cancel()
		if ctx.Err() != nil {
			return nil
		}
		fs.EachError(func(topic string, p int32, err error) {
			if !errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, context.Canceled) {
				e.log.Warn("fetch error", "topic", topic, "partition", p, "err", err)
			}
		})
		for it := fs.RecordIter(); !it.Done(); {
			r := it.Next()
			if ends != nil {
				ends.Observe(r.Topic, r.Partition, r.Offset)
			}
			if r.Attrs.IsControl() {
				continue
			}
			if err := e.process(ctx, t, &b, r, &v); err != nil {
				return nil // ctx ended while waiting for the registry
			}
		}
		if ends != nil {
			continue
		}
		if e.cfg.Trigger == 0 || !time.Now().Before(next) {
			if err := e.commit(ctx, sess, t, &b, &good); err != nil {
				if ctx.Err() != nil {
					return nil
				}
				return err
			}
			if e.cfg.Trigger > 0 {
				for !time.Now().Before(next) {
					next = next.Add(e.cfg.Trigger)
				}
			}
		}
	}
}

func (e *Enricher) listEnds(ctx context.Context, cl *kgo.Client) (*topics.Ends, error) {
	committed, err := kadm.NewClient(cl).FetchOffsets(ctx, e.cfg.Group)
	if errors.Is(err, kerr.GroupIDNotFound) {
		err = nil // a new group: nothing committed yet
	}
	if err != nil {
		return nil, fmt.Errorf("fetch committed offsets of group %s: %w", e.cfg.Group, err)
	}
	from := map[string]map[int32]int64{}
	committed.Each(func(o kadm.OffsetResponse) {
		if o.Err == nil && o.At >= 0 {
			if from[o.Topic] == nil {
				from[o.Topic] = map[int32]int64{}
			}
			from[o.Topic][o.Partition] = o.At
		}
	})
	return topics.ListEnds(ctx, cl, from, e.cfg.SalesTopic)
}

// commit ends the micro-batch: it emits the table's rows for the output
// mode and writes them, the batch's dead and late records, the state
// changes and the consumer offsets in one transaction. If the transaction
// aborts (a rebalance, a fenced producer), the table goes back to good, the
// state as of the last commit, and the session rewinds to the committed
// offsets, so the records are processed again.
func (e *Enricher) commit(ctx context.Context, sess *kgo.GroupTransactSession, t *table, b *batch, good *window.State[string, window.Sum]) error {
	if b.records == 0 {
		return nil
	}
	out := slices.Clone(b.out)
	var rows int64
	var encErr error
	t.Trigger(func(row window.Row[string, window.Sum]) {
		rec, err := e.summaryRecord(row)
		if err != nil {
			encErr = errors.Join(encErr, err)
			return
		}
		out = append(out, rec)
		rows++
	})
	out = e.changelog(t, out)

	if err := sess.Begin(); err != nil {
		return fmt.Errorf("begin transaction: %w", err)
	}
	var (
		mu      sync.Mutex
		prodErr error
	)
	for _, r := range out {
		sess.Produce(ctx, r, func(r *kgo.Record, err error) {
			if err != nil {
				mu.Lock()
				prodErr = errors.Join(prodErr, fmt.Errorf("produce to %s: %w", r.Topic, err))
				mu.Unlock()
			}
		})
	}
	if err := sess.Client().Flush(ctx); err != nil {
		return fmt.Errorf("flush transaction: %w", err)
	}
	mu.Lock()
	failed := errors.Join(encErr, prodErr)
	mu.Unlock()
	try := kgo.TryCommit
	if failed != nil {
		e.log.Error("micro-batch failed; aborting it", "err", failed)
		try = kgo.TryAbort
	}
	committed, err := sess.End(ctx, try)
	if err != nil {
		return fmt.Errorf("end transaction: %w", err)
	}
	if !committed {
		e.stats.aborts.Add(1)
		e.log.Warn("micro-batch aborted; replaying it from the last committed offsets", "records", b.records)
		if err := t.Restore(*good); err != nil {
			return fmt.Errorf("roll window state back: %w", err)
		}
		b.reset()
		return nil
	}
	*good = t.Snapshot()
	s := &e.stats
	s.consumed.Add(b.records)
	s.aggregated.Add(b.agg)
	s.late.Add(b.late)
	s.dead.Add(b.dead)
	s.rows.Add(rows)
	s.batches.Add(1)
	s.watermark.Store(t.Watermark())
	s.windows.Store(int64(t.Len()))
	e.log.Info("micro-batch committed", "records", b.records, "rows", rows, "late", b.late, "dead", b.dead,
		"watermark", fmtMillis(t.Watermark()), "windows", t.Len())
	b.reset()
	return nil
}

func fmtMillis(ms int64) string {
	if ms == minInt64 {
		return "none"
	}
	return time.UnixMilli(ms).UTC().Format(time.RFC3339)
}

const minInt64 = -1 << 63
