package topics

import (
	"bytes"
	"crypto/rand"
	"testing"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/salesstream/salesstream/internal/platform/kafkatest"
)

// TestCommittedFetchSkipsAbortedTransactions: a partition holds a
// committed transaction, an aborted one and another committed one, each
// of many 1 KiB records in small batches. A read_committed consumer whose
// fetches are bounded to 64 KiB, the partition's bound equal to the
// request's, is handed records of the aborted transaction by the embedded
// broker (see CommittedFetch); with CommittedFetch's bounds it reads the
// committed records alone.
func TestCommittedFetchSkipsAbortedTransactions(t *testing.T) {
	const topic = "fetch-test"
	brokers := newCluster(t, 1, topic)
	ctx := testContext(t)
	pr := kafkatest.Client(t, brokers, kgo.TransactionalID("fetch-test"), kgo.DefaultProduceTopic(topic),
		kgo.ProducerBatchMaxBytes(8<<10), kgo.RecordPartitioner(kgo.ManualPartitioner()))
	const n = 200
	for _, commit := range []bool{true, false, true} {
		if err := pr.BeginTransaction(); err != nil {
			t.Fatal(err)
		}
		v := []byte("committed")
		if !commit {
			v = []byte("aborted")
		}
		for range n {
			pad := make([]byte, 1<<10)
			rand.Read(pad) // incompressible
			pr.Produce(ctx, &kgo.Record{Value: append(pad, v...)}, nil)
		}
		if err := pr.Flush(ctx); err != nil {
			t.Fatal(err)
		}
		if err := pr.EndTransaction(ctx, kgo.TransactionEndTry(commit)); err != nil {
			t.Fatal(err)
		}
	}
	read := func(opts ...kgo.Opt) (committed, aborted int) {
		cl := kafkatest.Client(t, brokers, append([]kgo.Opt{kgo.ConsumeTopics(topic), kgo.FetchIsolationLevel(kgo.ReadCommitted())}, opts...)...)
		defer cl.Close()
		for committed < 2*n {
			fs := cl.PollFetches(ctx)
			if ctx.Err() != nil {
				t.Fatalf("read %d committed records of %d before the deadline", committed, 2*n)
			}
			fs.EachRecord(func(r *kgo.Record) {
				if bytes.HasSuffix(r.Value, []byte("aborted")) {
					aborted++
				} else {
					committed++
				}
			})
		}
		return committed, aborted
	}
	if _, aborted := read(kgo.FetchMaxBytes(64<<10), kgo.FetchMaxPartitionBytes(64<<10)); aborted == 0 {
		t.Error("the embedded broker no longer hands out aborted records when it cuts a fetch at the request's bound: the test no longer shows why CommittedFetch exists")
	}
	if committed, aborted := read(CommittedFetch(64<<10, 1)...); aborted != 0 || committed != 2*n {
		t.Errorf("read %d committed and %d aborted records with CommittedFetch's bounds, want %d and none", committed, aborted, 2*n)
	}
}
