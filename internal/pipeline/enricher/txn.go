package enricher

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/salesstream/salesstream/pkg/window"
)

// txn is the Kafka transaction of the open micro-batch. It begins at the
// batch's first record and takes the forwarded, dead-letter and late
// records as they are made, so they stream out while the batch is read;
// at the trigger it takes the summary rows and the tables' changes, and
// commits them with the consumer offsets of both topics.
type txn struct {
	sess *kgo.GroupTransactSession
	open bool

	mu  sync.Mutex
	err error // of the records produced so far
}

// begin opens the transaction if it is not open.
func (t *txn) begin() error {
	if t.open {
		return nil
	}
	if err := t.sess.Begin(); err != nil {
		return fmt.Errorf("begin transaction: %w", err)
	}
	t.open = true
	return nil
}

// produce sends r in the transaction; a failure fails the transaction.
// It blocks while the client's produce buffer is full.
func (t *txn) produce(ctx context.Context, r *kgo.Record) {
	t.sess.Produce(ctx, r, t.produced)
}

func (t *txn) produced(r *kgo.Record, err error) {
	if err != nil {
		t.mu.Lock()
		t.err = errors.Join(t.err, fmt.Errorf("produce to %s: %w", r.Topic, err))
		t.mu.Unlock()
	}
}

// end flushes the transaction's records and commits it with the polled
// offsets, or aborts it if failed or a record failed. It reports whether
// it committed.
func (t *txn) end(ctx context.Context, failed error) (bool, error) {
	t.open = false
	if err := t.sess.Client().Flush(ctx); err != nil {
		return false, fmt.Errorf("flush transaction: %w", err)
	}
	t.mu.Lock()
	failed = errors.Join(failed, t.err)
	t.err = nil
	t.mu.Unlock()
	try := kgo.TryCommit
	if failed != nil {
		try = kgo.TryAbort
	}
	committed, err := t.sess.End(ctx, try)
	if err != nil {
		return false, fmt.Errorf("end transaction: %w", err)
	}
	if failed != nil && err == nil {
		return false, &batchError{failed}
	}
	return committed, nil
}

// batchError is a micro-batch that failed and was aborted.
type batchError struct{ err error }

func (b *batchError) Error() string { return b.err.Error() }

// commit ends the micro-batch: prepare, transact, settle. A batch that
// polled only transaction markers commits its offsets alone. If the
// transaction aborts (a rebalance, a fenced producer, a failed record),
// every table goes back to its state as of the last commit and the
// session rewinds to the committed offsets, so the records are processed
// again. It reports whether the batch committed.
func (s *session) commit(ctx context.Context) (bool, error) {
	now := time.Now()
	markers, idle := s.src.markers(&s.b, now, s.e.cfg.IdleTimeout)
	if s.b.polled == 0 && len(markers) == 0 {
		return true, nil
	}
	s.b.f.commitBegan = time.Now()
	if err := s.tx.begin(); err != nil {
		return false, err
	}
	var directErr error
	if s.decideDirect() {
		directErr = s.commitDirect(markers)
	} else {
		// The markers follow the forwarded sales in the transaction.
		s.e.emitMarkers(markers, s.partitions, s.b.emit)
	}
	touched, rows, encErr := s.prepare()
	committed, err := s.tx.end(ctx, errors.Join(directErr, encErr))
	var failed *batchError
	if errors.As(err, &failed) {
		s.e.log.Error("micro-batch failed; aborted it", "err", failed.err)
		committed, err = false, nil
	}
	if err != nil {
		return false, err
	}
	if !committed {
		return false, s.rollback()
	}
	s.src.committed(&s.b, idle, now)
	s.settle(touched, rows)
	return true, nil
}

// prepare emits, into the transaction, the rows of the tables that took
// input, for the output mode, and their changelog records. It returns
// those tables, the rows emitted, and the errors of encoding rows.
func (s *session) prepare() (touched []*task, rows int64, encErr error) {
	e := s.e
	for _, p := range slices.Sorted(maps.Keys(s.tasks)) {
		tk := s.tasks[p]
		if !tk.touched {
			continue
		}
		touched = append(touched, tk)
		tk.t.TriggerAt(tk.marks.eventTime(e.cfg.WatermarkPolicy, s.sales), func(row window.Row[string, window.Sum]) {
			rec, err := e.summaryRecord(row)
			if err != nil {
				encErr = errors.Join(encErr, err)
				return
			}
			s.b.emit(rec)
			rows++
		})
		e.changelog(tk, s.partitions, s.b.emit)
	}
	return touched, rows, encErr
}

// rollback returns every table to its state as of the last commit, after
// an abort.
func (s *session) rollback() error {
	e, b := s.e, &s.b
	e.stats.aborts.Add(1)
	e.log.Warn("micro-batch aborted; replaying it from the last committed offsets", "records", b.records, "windowed", b.windowed)
	for p, tk := range s.tasks {
		if err := tk.t.Rollback(); err != nil {
			return fmt.Errorf("roll window state of partition %d back: %w", p, err)
		}
		tk.marks.rollback()
		tk.touched = false
	}
	b.reset()
	s.gauges()
	return nil
}

// settle makes a committed batch the state to roll back to, and adds its
// counts to the stats.
func (s *session) settle(touched []*task, rows int64) {
	e, b := s.e, &s.b
	for _, tk := range touched {
		tk.t.Checkpoint()
		tk.marks.commit()
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
	e.unassigned.merge(&b.noRegion)
	s.gauges()
	defer b.reset()
	if b.records == 0 && b.windowed == 0 && b.markers == 0 && rows == 0 {
		e.log.Debug("offsets committed past transaction markers")
		return
	}
	st.batches.Add(1)
	s.warnLate(b.late, b.windowed)
	s.report(rows, touched, "markers", b.markers, "watermark_policy", e.cfg.WatermarkPolicy,
		"event_times", fmtEventTimes(st.eventTimes.load()))
}
