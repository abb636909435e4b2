package bench

import (
	"context"
	"encoding/hex"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// commitWatch follows, from inside the embedded broker, the transactions
// of some transactional IDs: the offsets each commits for its group and
// when the commit was asked for. The broker's control hooks run in its
// request loop, so the watch costs the enricher nothing: no request to the
// broker, and one wake-up of the harness per commit. Watched with
// requests instead (the group's offsets fetched after each commit and
// every 100 ms), streaming runs' batches took 4% longer than `--once`'s
// (four runs of each); watched this way, 3% and 0% longer (two sets of
// six runs of each). Fetched every 10 ms, their first commit came about
// 30 ms later.
type commitWatch struct {
	prefix  string
	commit  chan struct{} // has a value after a commit
	stopped atomic.Bool

	mu sync.Mutex
	at time.Time // when the last commit was asked for
	// pending holds each open transaction's offsets, by transactional
	// ID, until it ends; committed the offsets committed, by topic key
	// (the topic's name or its ID in hex, as the request named it) and
	// partition.
	pending   map[string][]offsetCommit
	committed map[string]map[int32]int64
}

// offsetCommit is one partition's offset in a transaction's commit.
type offsetCommit struct {
	topic     string
	partition int32
	offset    int64
}

// watchCommits starts following the transactions of the transactional
// IDs that begin with prefix.
func (e *env) watchCommits(prefix string) *commitWatch {
	w := newCommitWatch(prefix)
	c := e.Stack.Cluster()
	hook := func(req kmsg.Request) (kmsg.Response, error, bool) {
		if w.stopped.Load() {
			c.DropControl()
			return nil, nil, false
		}
		c.KeepControl()
		switch r := req.(type) {
		case *kmsg.TxnOffsetCommitRequest:
			w.offsets(r)
		case *kmsg.EndTxnRequest:
			w.ended(r)
		}
		return nil, nil, false
	}
	c.ControlKey(int16(kmsg.TxnOffsetCommit), hook)
	c.ControlKey(int16(kmsg.EndTxn), hook)
	return w
}

// newCommitWatch returns a watch of the transactional IDs that begin with
// prefix, not yet hooked into a broker.
func newCommitWatch(prefix string) *commitWatch {
	return &commitWatch{prefix: prefix, commit: make(chan struct{}, 1),
		pending: map[string][]offsetCommit{}, committed: map[string]map[int32]int64{}}
}

// offsets notes the offsets a transaction is to commit.
func (w *commitWatch) offsets(r *kmsg.TxnOffsetCommitRequest) {
	if !strings.HasPrefix(r.TransactionalID, w.prefix) {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, t := range r.Topics {
		key := t.Topic
		if key == "" {
			key = hex.EncodeToString(t.TopicID[:])
		}
		for _, p := range t.Partitions {
			w.pending[r.TransactionalID] = append(w.pending[r.TransactionalID], offsetCommit{key, p.Partition, p.Offset})
		}
	}
}

// ended applies a committed transaction's offsets and wakes the waiter,
// or forgets an aborted one's.
func (w *commitWatch) ended(r *kmsg.EndTxnRequest) {
	if !strings.HasPrefix(r.TransactionalID, w.prefix) {
		return
	}
	w.mu.Lock()
	pending := w.pending[r.TransactionalID]
	delete(w.pending, r.TransactionalID)
	if r.Commit {
		for _, o := range pending {
			if w.committed[o.topic] == nil {
				w.committed[o.topic] = map[int32]int64{}
			}
			w.committed[o.topic][o.partition] = o.offset
		}
		w.at = time.Now()
	}
	w.mu.Unlock()
	if r.Commit {
		select {
		case w.commit <- struct{}{}:
		default:
		}
	}
}

// stop ends the watch: the broker drops its hooks at the next commit of
// any transaction.
func (w *commitWatch) stop() { w.stopped.Store(true) }

// last returns when the last commit was asked for, or the zero time.
func (w *commitWatch) last() time.Time {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.at
}

// sum returns the offsets committed in topic, summed over its
// partitions; keys are the topic's keys (topicKeys).
func (w *commitWatch) sum(keys []string) int64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	var n int64
	for _, k := range keys {
		for _, o := range w.committed[k] {
			n += o
		}
	}
	return n
}

// topicKeys returns the keys a commit may name topic by: its name, and its
// ID in hex (a TxnOffsetCommit of version 6 or later names topics by ID).
func topicKeys(ctx context.Context, adm *kadm.Client, topic string) ([]string, error) {
	md, err := adm.Metadata(ctx, topic)
	if err != nil {
		return nil, fmt.Errorf("look up topic %s: %w", topic, err)
	}
	t, ok := md.Topics[topic]
	if !ok || t.Err != nil {
		return nil, fmt.Errorf("look up topic %s: not found (%v)", topic, t.Err)
	}
	return []string{topic, hex.EncodeToString(t.ID[:])}, nil
}
