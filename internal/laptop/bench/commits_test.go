package bench

import (
	"context"
	"encoding/hex"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/salesstream/salesstream/internal/platform/topics"
)

// TestCommitWatchCountsCommittedOffsets: through the broker's hooks, the
// watch counts the offsets a group's transactional session commits, after
// a transaction of the same reads that aborted; a watch of other
// transactional IDs counts none.
func TestCommitWatchCountsCommittedOffsets(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	e, err := newEnv(ctx, t.TempDir(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer e.close()
	const topic, n = "watched", 10
	cl, err := e.client(kgo.DefaultProduceTopic(topic))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	if err := topics.Ensure(ctx, cl, topics.Spec{Name: topic, Partitions: 2}); err != nil {
		t.Fatal(err)
	}
	for i := range n {
		if err := cl.ProduceSync(ctx, &kgo.Record{Partition: int32(i % 2), Value: []byte("x")}).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}
	keys, err := topicKeys(ctx, kadm.NewClient(cl), topic)
	if err != nil {
		t.Fatal(err)
	}
	w := e.watchCommits("followed-")
	defer w.stop()
	other := e.watchCommits("other-")
	defer other.stop()

	s, err := kgo.NewGroupTransactSession(kgo.SeedBrokers(e.Stack.Brokers()...), kgo.TransactionalID("followed-0"),
		kgo.ConsumerGroup("watched-group"), kgo.ConsumeTopics(topic), kgo.FetchIsolationLevel(kgo.ReadCommitted()))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	// One transaction that reads everything and aborts, then one that
	// reads it again and commits.
	for _, try := range []kgo.TransactionEndTry{kgo.TryAbort, kgo.TryCommit} {
		if err := s.Begin(); err != nil {
			t.Fatal(err)
		}
		for got := 0; got < n; {
			fs := s.PollFetches(ctx)
			if err := fs.Err0(); err != nil {
				t.Fatal(err)
			}
			got += fs.NumRecords()
		}
		if _, err := s.End(ctx, try); err != nil {
			t.Fatal(err)
		}
	}
	if got := w.sum(keys); got != n {
		t.Errorf("the watch counts %d offsets committed in %s, want %d", got, topic, n)
	}
	if w.last().IsZero() {
		t.Error("the watch noted no commit")
	}
	if got := other.sum(keys); got != 0 || !other.last().IsZero() {
		t.Errorf("a watch of other transactional IDs counts %d offsets, last commit %v; want none", got, other.last())
	}
}

// TestCommitWatchFollowsTransactions feeds the watch the requests its
// hooks see: offsets count once their transaction commits, the latest
// commit of a partition stands, and topics named by ID count under it.
func TestCommitWatchFollowsTransactions(t *testing.T) {
	id := [16]byte{1, 2, 3}
	// commit asks to commit, in txn, the offsets of pairs: partition,
	// offset, partition, offset...
	commit := func(txn string, topic string, topicID [16]byte, pairs ...int64) *kmsg.TxnOffsetCommitRequest {
		r := kmsg.NewPtrTxnOffsetCommitRequest()
		r.TransactionalID = txn
		tp := kmsg.NewTxnOffsetCommitRequestTopic()
		tp.Topic, tp.TopicID = topic, topicID
		for i := 0; i+1 < len(pairs); i += 2 {
			pp := kmsg.NewTxnOffsetCommitRequestTopicPartition()
			pp.Partition, pp.Offset = int32(pairs[i]), pairs[i+1]
			tp.Partitions = append(tp.Partitions, pp)
		}
		r.Topics = append(r.Topics, tp)
		return r
	}
	end := func(txn string, ok bool) *kmsg.EndTxnRequest {
		r := kmsg.NewPtrEndTxnRequest()
		r.TransactionalID, r.Commit = txn, ok
		return r
	}
	keys := []string{"sales", hex.EncodeToString(id[:])}
	for _, tc := range []struct {
		name string
		reqs []kmsg.Request
		want int64
	}{
		{"committed", []kmsg.Request{commit("g-0", "sales", [16]byte{}, 0, 5, 1, 7), end("g-0", true)}, 12},
		{"named by ID", []kmsg.Request{commit("g-0", "", id, 0, 5, 1, 7), end("g-0", true)}, 12},
		{"aborted", []kmsg.Request{commit("g-0", "sales", [16]byte{}, 0, 5, 1, 7), end("g-0", false)}, 0},
		{"not yet ended", []kmsg.Request{commit("g-0", "sales", [16]byte{}, 0, 5, 1, 7)}, 0},
		{"the latest commit stands", []kmsg.Request{
			commit("g-0", "sales", [16]byte{}, 0, 5, 1, 7), end("g-0", true),
			commit("g-0", "sales", [16]byte{}, 0, 9), end("g-0", true),
		}, 16},
		{"an abort keeps the last commit", []kmsg.Request{
			commit("g-0", "sales", [16]byte{}, 0, 5, 1, 7), end("g-0", true),
			commit("g-0", "sales", [16]byte{}, 0, 9, 1, 9), end("g-0", false),
		}, 12},
		{"instances commit their own partitions", []kmsg.Request{
			commit("g-0", "sales", [16]byte{}, 0, 5), end("g-0", true),
			commit("g-1", "sales", [16]byte{}, 1, 7), end("g-1", true),
		}, 12},
		{"other transactional IDs", []kmsg.Request{commit("h-0", "sales", [16]byte{}, 0, 5), end("h-0", true)}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newCommitWatch("g-")
			for _, r := range tc.reqs {
				switch r := r.(type) {
				case *kmsg.TxnOffsetCommitRequest:
					w.offsets(r)
				case *kmsg.EndTxnRequest:
					w.ended(r)
				}
			}
			if got := w.sum(keys); got != tc.want {
				t.Errorf("sum = %d, want %d", got, tc.want)
			}
		})
	}
}
