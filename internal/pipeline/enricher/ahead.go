package enricher

import (
	"context"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// chunk is the records of one partition from one poll.
type chunk struct {
	topic string
	recs  []*kgo.Record
}

// noteFetches notes the records of fs by partition (notePartition) and
// appends them to chunks, to be read once noted.
func (s *session) noteFetches(tr *trigger, fs kgo.Fetches, direct bool, chunks []chunk) []chunk {
	for _, f := range fs {
		for _, ft := range f.Topics {
			for _, fp := range ft.Partitions {
				if len(fp.Records) == 0 {
					continue
				}
				s.notePartition(tr, ft.Topic, fp.Records, direct)
				chunks = append(chunks, chunk{ft.Topic, fp.Records})
			}
		}
	}
	return chunks
}

// notePartition notes the polled records of one partition where they are
// tracked by partition (the trigger's ends, the shares, the direct path's
// spans, a drain's ends), from their first and last records alone.
func (s *session) notePartition(tr *trigger, topic string, recs []*kgo.Record, direct bool) {
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
}

// pollAheadWait bounds the poll ahead: it takes what the client holds,
// and does not wait for a fetch.
const pollAheadWait = time.Millisecond

// pollAhead polls once more, before the records just polled are read,
// when they made a sales partition take its share. The client drops what
// it holds of a partition once it is paused, and fetches again only at
// the poll after that; polling at once, rather than after reading those
// records, has the next fetch on its way while they are read. It polls
// ahead only while the batch still has shares to take (its next poll
// would come in the same batch), within the batch's bounds, and notes
// what it brings as a poll of its own.
func (s *session) pollAhead(ctx context.Context, tr *trigger, pending int, direct bool) error {
	if !s.sh.pausedNew {
		return nil
	}
	s.sh.pausedNew = false
	if s.drain.active || !s.sh.active() || s.sh.met() || (tr.availableNow && tr.ends.Done()) ||
		s.b.bytes >= tr.limits.bytes {
		return nil
	}
	room := tr.limits.records - (s.b.polled + int64(pending) - s.b.beside)
	if room <= 0 {
		return nil
	}
	pollCtx, cancel := context.WithTimeout(ctx, pollAheadWait)
	t0 := time.Now()
	fs := s.gts.PollRecords(pollCtx, s.pollMax(int(room)))
	cancel()
	s.b.f.polled(t0, fs)
	if err := s.afterPoll(ctx, fs); err != nil {
		return err
	}
	s.chunks = s.noteFetches(tr, fs, direct, s.chunks)
	return nil
}
