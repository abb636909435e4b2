package enricher

import (
	"errors"
	"fmt"
	"log/slog"

	"github.com/twmb/franz-go/pkg/kerr"
)

// fenced returns the fatal error that ends an instance another instance
// has fenced, or nil if err is not such a fence. The transactional id is
// also the static group member id, so a second instance started with it
// takes over both: the group answers this one FENCED_INSTANCE_ID, the
// transaction coordinator PRODUCER_FENCED. Restarting would only fence the
// other one back, so the instance stops and says why.
func (e *Enricher) fenced(err error) error {
	if err == nil || !(errors.Is(err, kerr.FencedInstanceID) || errors.Is(err, kerr.ProducerFenced)) {
		return nil
	}
	return &fatalError{fmt.Errorf("transactional id %s is in use by another enricher instance, which fenced this one (%w); "+
		"stop the other instance, or give each instance its own --transactional-id", e.cfg.TransactionalID, err)}
}

// Ready reports whether e works as it should: the group has assigned it
// its partitions, their window state is restored, and a poll has returned
// since, so its positions are the group's committed offsets and it is
// caught up enough to commit. A fenced or stopped instance, or one
// restoring a partition, is not ready.
func (e *Enricher) Ready() bool { return e.stats.ready.Load() }

// markReady is called after each poll has applied the group's changes:
// the stream is ready once it has joined its group and no change waits
// to be applied.
func (s *session) markReady() {
	if s.e.stats.ready.Load() || !s.asg.joined.Load() || s.asg.pending() {
		return
	}
	s.e.stats.ready.Store(true)
	s.e.log.Info("ready", "group", s.e.cfg.Group, "partitions", len(s.tasks))
}

// Most of a micro-batch is late when more than half its windowed sales,
// and at least lateWarnMin, are.
const lateWarnMin = 10

// warnLate warns, once per Enricher, when most of a committed micro-batch
// was late: typically sales with old event times sent into a group whose
// state, restored from an earlier run, holds a watermark far ahead of them.
func (s *session) warnLate(late, windowed int64) {
	e := s.e
	if late < lateWarnMin || late*2 <= windowed || !e.lateWarned.CompareAndSwap(false, true) {
		return
	}
	from := "the sales read by this run: the later event times among them closed the windows of the earlier ones"
	if s.restoredWatermark != minInt64 {
		from = fmt.Sprintf("the window state of an earlier run, restored from state topic %s (group %s), watermark %s",
			e.cfg.StateTopic, e.cfg.Group, fmtMillis(s.restoredWatermark))
	}
	e.log.Warn("most sales of this micro-batch are late: their windows had closed, so they are counted as late and left out of the summary",
		"late", late, "windowed", windowed, "watermark", fmtMillis(e.stats.watermark.Load()),
		"watermark_from", from,
		"to_window_them", "start afresh with a new --group and --state-topic (the new group reads the sales topic from its start), or send the sales with --event-time now")
}

// LogValue makes Stats log as named fields, the watermark as a time (or
// "none yet"), rather than as a Go struct.
func (s Stats) LogValue() slog.Value {
	return slog.GroupValue(
		slog.Int64("consumed", s.Consumed), slog.Int64("repartitioned", s.Repartitioned),
		slog.Int64("windowed", s.Windowed), slog.Int64("aggregated", s.Aggregated),
		slog.Int64("late", s.Late), slog.Int64("dead", s.Dead), slog.Int64("rows", s.Rows),
		slog.Int64("batches", s.Batches), slog.Int64("aborts", s.Aborts),
		slog.String("watermark", fmtMillis(s.Watermark)), slog.Int64("windows", s.Windows),
		slog.Int64("partitions", s.Partitions),
	)
}
