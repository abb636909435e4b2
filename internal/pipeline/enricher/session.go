package enricher

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/salesstream/salesstream/internal/domain/schema"
	"github.com/salesstream/salesstream/internal/platform/topics"
)

// session is one consumer session: the group membership and transactional
// producer, the repartition partitions it owns with their tasks, and the
// open micro-batch. Its poll loop owns it.
type session struct {
	e          *Enricher
	gts        *kgo.GroupTransactSession
	connOpts   []kgo.Opt
	partitions int32 // of the repartition topic
	asg        *assignments
	tasks      map[int32]*task // by repartition partition
	b          batch
	tx         txn
	v          schema.SaleValue
	names      regionNames
	// restoredWatermark is the largest watermark restored from the
	// changelog in this session (minInt64 if none): an earlier run's.
	restoredWatermark int64
	src               *sourceClock // stage 1's sales partitions, for idleness
	sales             int32        // partitions of the sales topic
	// sh is the open batch's lag-proportional shares of the sales
	// partitions (shares.go), set at its first poll (sharesSet);
	// lastFull says the last batch filled up, a sign of a backlog (true
	// at the start: the backlog is unknown).
	sh        shares
	sharesSet bool
	lastFull  bool
	behind    bool // a fetch of the open batch showed sales left behind it
	// regionParts remembers the repartition partition of regions, and
	// drain the round trip's records left before the direct path, for the
	// direct path (direct.go, drain.go).
	regionParts map[string]int32
	drain       drain
	// ahead, if not nil, brings the sales partitions' ends the next
	// batch plans from, asked for as the last one ended and kept only if
	// it committed (prefetch.go); listing is set while a listing is under
	// way, so that at most one is.
	ahead   chan listed
	listing atomic.Bool
}

// runSession runs one consumer session: fence, check the topics, consume,
// restore tables as partitions are assigned, commit, until ctx ends, the
// available-now trigger completes, or something fails.
func (e *Enricher) runSession(ctx context.Context, connOpts []kgo.Opt) error {
	s, err := e.openSession(ctx, connOpts)
	if err != nil {
		return err
	}
	defer s.gts.Close()
	defer e.stats.partitions.Store(0)
	defer s.abandon()
	return s.run(ctx)
}

// abandon aborts the open transaction, if any, when the session ends, so
// that read_committed readers of what it wrote need not wait for it to
// time out.
func (s *session) abandon() {
	if !s.tx.open {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := s.gts.End(ctx, kgo.TryAbort); err != nil {
		s.e.log.Warn("abort the open transaction at the end of the session", "err", err)
	}
	s.tx.open = false
}

// clientOpts are the options of the session's client besides connOpts.
// Fetches and produce buffers are bounded so that what the client holds
// does not grow with the backlog.
func (e *Enricher) clientOpts(asg *assignments, src *sourceClock, partitions int) []kgo.Opt {
	c := &e.cfg
	return append(topics.CommittedFetch(int32(c.FetchMaxBytes), partitions),
		kgo.ConsumerGroup(c.Group),
		kgo.ConsumeTopics(c.SalesTopic, c.RepartitionTopic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.TransactionalID(c.TransactionalID),
		// The transaction stays open while a batch is read, up to the
		// next tick: give it time beyond that (brokers cap it at 15 m by
		// default; the trigger ends a batch before this runs out).
		kgo.TransactionTimeout(txnTimeout(c.Trigger)),
		// Static membership: a restarted instance takes its partitions
		// back at once instead of waiting out the session timeout.
		kgo.InstanceID(c.TransactionalID),
		kgo.FetchIsolationLevel(kgo.ReadCommitted()),
		kgo.RequireStableFetchOffsets(),
		kgo.KeepControlRecords(),
		kgo.MaxConcurrentFetches(2),
		// A fetch waits up to this for data. A topic or partition resumed
		// (a drain's end, a share's) is fetched only once the fetch in
		// flight returns: keep that wait short.
		kgo.FetchMaxWait(500*time.Millisecond),
		// Room for two fetches, so that the next is fetched while the
		// poll loop works through the last (one sales fetch holds about
		// 30,000 records): reading no longer waits for each fetch.
		kgo.MaxBufferedRecords(40_000),
		kgo.MaxBufferedBytes(int(max(2*c.FetchMaxBytes, produceBufferBytes))),
		// Fetched records are decoded into pooled blocks, which the poll
		// loop hands back as it is done with them (readPartition).
		kgo.WithPools(&recordPool{}),
		kgo.RecordPartitioner(newPartitioner(c.StateTopic, c.RepartitionTopic)),
		kgo.OnPartitionsAssigned(both(asg.assigned, src.asg.assigned)),
		kgo.OnPartitionsRevoked(both(asg.revoked, src.asg.revoked)),
		kgo.OnPartitionsLost(both(asg.lost, src.asg.revoked)),
	)
}

// openSession joins the group with a transactional producer, fences a
// previous instance of the same transactional id, and checks the layout
// of the repartition and state topics.
func (e *Enricher) openSession(ctx context.Context, connOpts []kgo.Opt) (*session, error) {
	asg := &assignments{topic: e.cfg.RepartitionTopic, onLost: func() { e.stats.ready.Store(false) }}
	src := newSourceClock(e.cfg.SalesTopic)
	sales, n, err := e.readLayout(ctx, connOpts)
	if err != nil {
		return nil, err
	}
	gts, err := kgo.NewGroupTransactSession(append(slices.Clone(connOpts), e.clientOpts(asg, src, int(sales+n))...)...)
	if err != nil {
		return nil, fmt.Errorf("create transactional session: %w", err)
	}
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
	if _, _, err := gts.Client().ProducerID(ctx); err != nil {
		gts.Close()
		return nil, fmt.Errorf("initialize transactional producer %s: %w", e.cfg.TransactionalID, err)
	}
	s := &session{e: e, gts: gts, connOpts: connOpts, partitions: n, asg: asg,
		tasks: map[int32]*task{}, names: regionNames{}, src: src, sales: sales,
		restoredWatermark: minInt64, sh: shares{topic: e.cfg.SalesTopic, besideTopic: e.cfg.RepartitionTopic}, lastFull: true}
	s.tx.sess = gts
	return s, nil
}

// run is the poll loop: it reads bounded micro-batches and commits each
// when the trigger says, until ctx ends or the available-now trigger has
// worked off what the topics held.
func (s *session) run(ctx context.Context) error {
	e := s.e
	// Records are produced into the open transaction as they are made.
	s.b.emit = func(r *kgo.Record) { s.tx.produce(ctx, r) }
	tr, err := s.newTrigger(ctx)
	if err != nil {
		return err
	}
	e.stats.ready.Store(false) // until joined and restored
	defer e.stats.ready.Store(false)
	for {
		if !tr.reached() {
			if err := s.read(ctx, tr); err != nil {
				if ctx.Err() != nil {
					return nil
				}
				return err
			}
		}
		if !s.due(tr) {
			continue
		}
		backlog := s.backlogAfter(tr.limits.full(&s.b) || s.sh.full(), s.b.records > 0)
		ahead := s.listAhead(ctx, tr, backlog)
		committed, err := s.commit(ctx)
		s.endShares(backlog, committed && err == nil)
		s.endDrain(committed && err == nil)
		s.ahead = nil // a listing is for the batch right after the one it followed
		if committed && err == nil {
			s.ahead = ahead
		}
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
		done, err := tr.settled(ctx, s, committed)
		if err != nil {
			return err
		}
		if done {
			e.log.Info("available data processed", "stats", e.Stats())
			return nil
		}
	}
}

// read polls once, up to the batch's bounds and the trigger's deadline,
// applies the group's changes of assignment, and runs each record through
// its stage within the open transaction, which it begins at the batch's
// first record.
func (s *session) read(ctx context.Context, tr *trigger) error {
	e := s.e
	pollCtx, cancel := tr.pollContext(ctx)
	if !e.stats.ready.Load() {
		// Until ready, look often for the group's assignment, so that
		// restoring it does not wait for records or a trigger.
		cancel()
		pollCtx, cancel = context.WithTimeout(ctx, readyPoll)
	}
	if s.sh.pending() && !tr.availableNow {
		// The batch ends when the shares are taken, not at the tick:
		// look for them in short polls, so a full batch still ends.
		cancel()
		pollCtx, cancel = context.WithTimeout(ctx, readyPoll)
	}
	if err := s.startDrain(ctx, tr); err != nil {
		cancel()
		return err
	}
	if err := s.startShares(ctx, tr); err != nil {
		cancel()
		return err
	}
	t0 := time.Now()
	fs := s.gts.PollRecords(pollCtx, s.pollMax(tr.limits.room(&s.b)))
	cancel()
	s.b.f.polled(t0, fs)
	if ctx.Err() != nil {
		return ctx.Err()
	}
	var fence error
	fs.EachError(func(topic string, p int32, err error) {
		if f := e.fenced(err); f != nil {
			fence = f
			return
		}
		if !errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, context.Canceled) {
			e.log.Warn("fetch error", "topic", topic, "partition", p, "err", err)
		}
	})
	if fence != nil {
		e.stats.ready.Store(false)
		return fence
	}
	if err := s.apply(ctx, s.asg.take()); err != nil {
		return err
	}
	s.src.apply(time.Now())
	s.markReady()
	s.followDrain()
	s.noteBehind(fs)
	if fs.NumRecords() == 0 {
		return nil
	}
	if !s.tx.open && s.b.polled == 0 {
		// The batch's first records: the partitions owned are known now.
		if err := s.startDrain(ctx, tr); err != nil {
			return err
		}
	}
	if err := s.tx.begin(); err != nil {
		return err
	}
	direct := s.decideDirect()
	defer s.b.f.processed(time.Now())
	for _, f := range fs {
		for _, ft := range f.Topics {
			for _, fp := range ft.Partitions {
				if err := s.readPartition(ctx, tr, ft.Topic, fp.Records, direct); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// readPartition runs the records of one partition of a fetch through
// their stage. What is tracked by partition (the trigger's ends, the
// shares, the direct path's spans) notes only the first and last records.
func (s *session) readPartition(ctx context.Context, tr *trigger, topic string, recs []*kgo.Record, direct bool) error {
	if len(recs) == 0 {
		return nil
	}
	e := s.e
	last := recs[len(recs)-1]
	tr.observe(last)
	if !s.drain.active {
		// A drain reads the repartition topic alone: no shares.
		s.sharePartition(topic, last.Partition, last.Offset, int64(len(recs)), tr.limits.records)
	}
	if direct && topic == e.cfg.SalesTopic {
		s.windowedRange(recs[0], last)
	}
	s.drain.observe(topic, last, e.cfg)
	if topic == e.cfg.RepartitionTopic {
		tk := s.tasks[last.Partition]
		for _, r := range recs {
			s.b.take(r)
			s.b.direct.note(r, e.cfg.RepartitionTopic)
			// Without a table the partition was revoked after these
			// records were fetched: the session aborts this micro-batch,
			// or no longer commits that partition.
			if tk != nil && !r.Attrs.IsControl() {
				e.fold(&s.b, tk, r, s.names)
			}
		}
		recycle(recs)
		return nil
	}
	for _, r := range recs {
		s.b.take(r)
		s.b.direct.note(r, e.cfg.RepartitionTopic)
		if r.Attrs.IsControl() {
			continue
		}
		if err := e.forward(ctx, &s.b, r, &s.v); err != nil {
			return err // ctx ended while waiting for the registry
		}
	}
	recycle(recs)
	return nil
}

// apply drops the tables of repartition partitions taken away and restores
// those of partitions assigned, as the group's changes say.
func (s *session) apply(ctx context.Context, events []assignment) error {
	if len(events) == 0 {
		return nil
	}
	e := s.e
	drop, add := netChanges(events)
	for _, p := range drop {
		delete(s.tasks, p)
	}
	if len(add) > 0 {
		was := e.stats.ready.Swap(false)
		tasks, err := e.restore(ctx, s.connOpts, add, s.partitions)
		if err != nil {
			return err
		}
		e.stats.ready.Store(was)
		for p, tk := range tasks {
			s.tasks[p] = tk
			s.restoredWatermark = max(s.restoredWatermark, tk.t.Watermark())
			e.log.Info("window state restored", "topic", e.cfg.StateTopic, "partition", p,
				"windows", tk.t.Len(), "records_read", tk.read, "watermark", fmtMillis(tk.t.Watermark()))
		}
	}
	owned := slices.Sorted(maps.Keys(s.tasks))
	e.log.Info("repartition partitions assigned", "topic", e.cfg.RepartitionTopic, "owned", owned, "restored", add)
	s.gauges()
	return nil
}

// gauges publishes the tables' watermark, windows and count.
func (s *session) gauges() {
	wm, windows := int64(minInt64), 0
	for _, tk := range s.tasks {
		wm = max(wm, tk.t.Watermark())
		windows += tk.t.Len()
	}
	st := &s.e.stats
	st.watermark.Store(wm)
	st.eventTimes.store(s.tasks)
	st.windows.Store(int64(windows))
	st.partitions.Store(int64(len(s.tasks)))
}
