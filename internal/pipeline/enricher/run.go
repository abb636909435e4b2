package enricher

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/salesstream/salesstream/internal/domain/schema"
	"github.com/salesstream/salesstream/internal/platform/topics"
	"github.com/salesstream/salesstream/pkg/window"
)

// Topics returns the topics the enricher reads and writes, for creation.
// The sales, summary, repartition and state topics get partitions
// partitions: give the sales topic's partition count, so that stage 2 can
// spread over as many instances as stage 1.
func (e *Enricher) Topics(partitions int32) []topics.Spec {
	specs := []topics.Spec{
		{Name: e.cfg.SalesTopic, Partitions: partitions},
		{Name: e.cfg.SummaryTopic, Partitions: partitions, Compacted: true},
		{Name: e.cfg.DeadLetterTopic, Partitions: 1},
		{Name: e.cfg.RepartitionTopic, Partitions: partitions},
		{Name: e.cfg.StateTopic, Partitions: partitions, Compacted: true},
	}
	if e.cfg.LateTopic != "" {
		specs = append(specs, topics.Spec{Name: e.cfg.LateTopic, Partitions: 1})
	}
	return specs
}

// Run consumes the sales and repartition topics in the consumer group and
// writes a micro-batch at every trigger until ctx ends (nil is then
// returned) or, with Once, until what the topics held is processed and
// committed. It rebuilds the table of each repartition partition the group
// assigns it from the changelog, and drops the tables of partitions taken
// away. An uncommitted micro-batch is simply not committed: the records
// are processed again, by this instance or the one their partition moved
// to. connOpts connect to the cluster.
//
// When the cluster fails under it (a broker restart, a fenced or timed-out
// transaction), Run does what a restart would do, in process: it drops its
// session and state, waits with backoff, restores the state from the
// changelog and resumes from the committed offsets. Only errors that a
// restart cannot mend, such as a state topic built with other window
// settings or by an enricher of an older layout, end it.
func (e *Enricher) Run(ctx context.Context, connOpts []kgo.Opt) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	connOpts = e.observe(ctx, connOpts)
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
		e.stats.restarts.Add(1)
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

// stream is one consumer session's state, owned by its poll loop.
type stream struct {
	e          *Enricher
	sess       *kgo.GroupTransactSession
	connOpts   []kgo.Opt
	partitions int32 // of the repartition topic
	asg        *assignments
	tasks      map[int32]*task // by repartition partition
	b          batch
	v          schema.SaleValue
	regions    map[string]string // interned region names
}

// session runs one consumer session: fence, check the topics, consume,
// restore tables as partitions are assigned, commit, until ctx ends, Once
// completes, or something fails.
func (e *Enricher) session(ctx context.Context, connOpts []kgo.Opt) error {
	asg := &assignments{topic: e.cfg.RepartitionTopic}
	sess, err := kgo.NewGroupTransactSession(append(slices.Clone(connOpts),
		kgo.ConsumerGroup(e.cfg.Group),
		kgo.ConsumeTopics(e.cfg.SalesTopic, e.cfg.RepartitionTopic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.TransactionalID(e.cfg.TransactionalID),
		// Static membership: a restarted instance takes its partitions
		// back at once instead of waiting out the session timeout.
		kgo.InstanceID(e.cfg.TransactionalID),
		kgo.FetchIsolationLevel(kgo.ReadCommitted()),
		kgo.RequireStableFetchOffsets(),
		kgo.KeepControlRecords(),
		kgo.RecordPartitioner(newPartitioner(e.cfg.StateTopic, e.cfg.RepartitionTopic)),
		kgo.OnPartitionsAssigned(asg.assigned),
		kgo.OnPartitionsRevoked(asg.revoked),
		kgo.OnPartitionsLost(asg.revoked),
	)...)
	if err != nil {
		return fmt.Errorf("create transactional session: %w", err)
	}
	defer sess.Close()
	defer e.stats.partitions.Store(0)
	// Fence a previous instance with this transactional id before reading
	// any state: its open transaction, if any, is aborted, or, if it was
	// committing, completes, so the changelog partitions read next and the
	// offsets the group resumes from are the same commit's. (Reading the
	// state first could miss a commit that lands just after, and resume
	// past records whose state changes were never read.) It also frees
	// the group's offset fetch, which would otherwise wait behind that
	// transaction until it times out. Tables are read only once the group
	// assigns their partitions, which the poll loop handles after this;
	// a partition that comes from another instance is covered in restore.
	if _, _, err := sess.Client().ProducerID(ctx); err != nil {
		return fmt.Errorf("initialize transactional producer %s: %w", e.cfg.TransactionalID, err)
	}
	n, err := e.checkLayout(ctx, sess.Client())
	if err != nil {
		return err
	}
	s := &stream{e: e, sess: sess, connOpts: connOpts, partitions: n, asg: asg,
		tasks: map[int32]*task{}, regions: map[string]string{}}
	return s.run(ctx)
}

// run is the poll loop.
func (s *stream) run(ctx context.Context) error {
	e := s.e
	cl := s.sess.Client()
	var (
		ends  *topics.Ends
		phase int // with Once: 1 forwards the sales, 2 windows them
		err   error
	)
	if e.cfg.Once {
		phase = 1
		if ends, err = e.listEnds(ctx, cl, e.cfg.SalesTopic); err != nil {
			return err
		}
	}
	e.stats.ready.Store(true)
	defer e.stats.ready.Store(false)
	next := time.Now().Add(e.cfg.Trigger)
	for {
		if ends != nil && ends.Done() {
			committed, err := s.commit(ctx)
			if err != nil {
				return err
			}
			if committed && phase == 2 {
				e.log.Info("available data processed", "stats", e.Stats())
				return nil
			}
			if committed {
				// Stage 2 now windows what the repartition topic holds,
				// this run's forwarded sales included.
				phase = 2
				cl.PauseFetchTopics(e.cfg.SalesTopic)
			}
			// After an abort the session rewound to the committed
			// offsets: reach the same end again.
			topic := e.cfg.SalesTopic
			if phase == 2 {
				topic = e.cfg.RepartitionTopic
			}
			if ends, err = e.listEnds(ctx, cl, topic); err != nil {
				return err
			}
			continue
		}
		pollCtx, cancel := ctx, context.CancelFunc(func() {})
		if ends == nil && e.cfg.Trigger > 0 {
			pollCtx, cancel = context.WithDeadline(ctx, next)
		}
		t0 := time.Now()
		fs := s.sess.PollFetches(pollCtx)
		cancel()
		s.b.f.polled(t0, fs)
		if ctx.Err() != nil {
			return nil
		}
		fs.EachError(func(topic string, p int32, err error) {
			if !errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, context.Canceled) {
				e.log.Warn("fetch error", "topic", topic, "partition", p, "err", err)
			}
		})
		if err := s.apply(ctx, s.asg.take()); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
		t1 := time.Now()
		for it := fs.RecordIter(); !it.Done(); {
			r := it.Next()
			if ends != nil {
				ends.Observe(r.Topic, r.Partition, r.Offset)
			}
			s.b.polled++
			if r.Attrs.IsControl() {
				continue
			}
			if r.Topic == e.cfg.RepartitionTopic {
				if tk := s.tasks[r.Partition]; tk != nil {
					e.fold(&s.b, tk, r, s.region)
				}
				// Without a table the partition was revoked after
				// these records were fetched: the session aborts this
				// micro-batch, or no longer commits that partition.
				continue
			}
			if err := e.forward(ctx, &s.b, r, &s.v); err != nil {
				return nil // ctx ended while waiting for the registry
			}
		}
		s.b.f.process += time.Since(t1)
		if ends != nil {
			continue
		}
		if e.cfg.Trigger == 0 || !time.Now().Before(next) {
			if _, err := s.commit(ctx); err != nil {
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

// apply drops the tables of repartition partitions taken away and restores
// those of partitions assigned, as the group's changes say.
func (s *stream) apply(ctx context.Context, events []assignment) error {
	if len(events) == 0 {
		return nil
	}
	e := s.e
	drop, add := netChanges(events)
	for _, p := range drop {
		delete(s.tasks, p)
	}
	if len(add) > 0 {
		e.stats.ready.Store(false)
		tasks, err := e.restore(ctx, s.connOpts, add, s.partitions)
		e.stats.ready.Store(true)
		if err != nil {
			return err
		}
		for p, tk := range tasks {
			s.tasks[p] = tk
			e.log.Info("window state restored", "topic", e.cfg.StateTopic, "partition", p,
				"windows", tk.t.Len(), "records_read", tk.read, "watermark", fmtMillis(tk.t.Watermark()))
		}
	}
	owned := slices.Sorted(maps.Keys(s.tasks))
	e.log.Info("repartition partitions assigned", "topic", e.cfg.RepartitionTopic, "owned", owned, "restored", add)
	s.gauges()
	return nil
}

// region interns a region name read from a record key.
func (s *stream) region(k []byte) string {
	if r, ok := s.regions[string(k)]; ok {
		return r
	}
	r := string(k)
	if len(s.regions) < 1<<12 {
		s.regions[r] = r
	}
	return r
}

// gauges publishes the tables' watermark, windows and count.
func (s *stream) gauges() {
	wm, windows := int64(minInt64), 0
	for _, tk := range s.tasks {
		if w := tk.t.Watermark(); w != minInt64 && (wm == minInt64 || w < wm) {
			wm = w
		}
		windows += tk.t.Len()
	}
	st := &s.e.stats
	st.watermark.Store(wm)
	st.windows.Store(int64(windows))
	st.partitions.Store(int64(len(s.tasks)))
}

// listEnds returns the current end of topic, to be reached from the
// group's committed offsets. It first waits for the transactions written
// to topic to end, so the end includes this instance's last commit.
func (e *Enricher) listEnds(ctx context.Context, cl *kgo.Client, topic string) (*topics.Ends, error) {
	committed, err := kadm.NewClient(cl).FetchOffsets(kadm.RequireStable(ctx), e.cfg.Group)
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
	if err := topics.WaitStable(ctx, cl, topic, nil); err != nil {
		return nil, err
	}
	return topics.ListEnds(ctx, cl, from, topic)
}

// commit ends the micro-batch: the tables that took input emit their rows
// for the output mode, and the forwarded sales, the summary rows, the dead
// and late records, the tables' changes and the consumer offsets of both
// topics go out in one transaction. A batch that polled only transaction
// markers commits its offsets alone. If the transaction aborts (a
// rebalance, a fenced producer), every table goes back to its state as of
// the last commit, and the session rewinds to the committed offsets, so
// the records are processed again. It reports whether the batch committed.
func (s *stream) commit(ctx context.Context) (bool, error) {
	e, b := s.e, &s.b
	if b.polled == 0 {
		return true, nil
	}
	began := time.Now()
	out := slices.Clone(b.out)
	var rows int64
	var encErr error
	var touched []*task
	for _, p := range slices.Sorted(maps.Keys(s.tasks)) {
		tk := s.tasks[p]
		if !tk.touched {
			continue
		}
		touched = append(touched, tk)
		tk.t.Trigger(func(row window.Row[string, window.Sum]) {
			rec, err := e.summaryRecord(row)
			if err != nil {
				encErr = errors.Join(encErr, err)
				return
			}
			out = append(out, rec)
			rows++
		})
		out = e.changelog(tk, s.partitions, out)
	}

	sess := s.sess
	if err := sess.Begin(); err != nil {
		return false, fmt.Errorf("begin transaction: %w", err)
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
		return false, fmt.Errorf("flush transaction: %w", err)
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
		return false, fmt.Errorf("end transaction: %w", err)
	}
	if !committed {
		e.stats.aborts.Add(1)
		e.log.Warn("micro-batch aborted; replaying it from the last committed offsets", "records", b.records, "windowed", b.windowed)
		for p, tk := range s.tasks {
			if err := tk.t.Restore(tk.good); err != nil {
				return false, fmt.Errorf("roll window state of partition %d back: %w", p, err)
			}
			tk.touched = false
		}
		b.reset()
		s.gauges()
		return false, nil
	}
	for _, tk := range touched {
		tk.good = tk.t.Snapshot()
		tk.touched = false
	}
	st := &e.stats
	st.consumed.Add(b.records)
	st.repartitioned.Add(b.forwards)
	st.windowed.Add(b.windowed)
	st.aggregated.Add(b.agg)
	st.late.Add(b.late)
	st.dead.Add(b.dead)
	st.rows.Add(rows)
	s.gauges()
	if b.records == 0 && b.windowed == 0 {
		e.log.Debug("offsets committed past transaction markers")
		b.reset()
		return true, nil
	}
	st.batches.Add(1)
	s.report(rows, began, touched)
	b.reset()
	return true, nil
}

func fmtMillis(ms int64) string {
	if ms == minInt64 {
		return "none"
	}
	return time.UnixMilli(ms).UTC().Format(time.RFC3339)
}

const minInt64 = -1 << 63
