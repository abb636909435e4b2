package topics

import (
	"context"
	"errors"
	"maps"
	"strconv"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/salesstream/salesstream/internal/platform/kafkatest"
)

// produce writes n records to each partition of topic, as counts says.
func produce(t *testing.T, cl *kgo.Client, topic string, counts map[int32]int) {
	t.Helper()
	ctx := testContext(t)
	for p, n := range counts {
		for i := range n {
			r := &kgo.Record{Topic: topic, Partition: p, Key: []byte(strconv.Itoa(i)), Value: []byte("v")}
			if err := cl.ProduceSync(ctx, r).FirstErr(); err != nil {
				t.Fatalf("produce to %s[%d]: %v", topic, p, err)
			}
		}
	}
}

// manualClient starts a cluster with 3-partition seed topics and returns
// its addresses and a client that produces to the partition a record names.
func manualClient(t *testing.T, seed ...string) ([]string, *kgo.Client) {
	t.Helper()
	brokers := newCluster(t, 3, seed...)
	return brokers, kafkatest.Client(t, brokers, kgo.RecordPartitioner(kgo.ManualPartitioner()))
}

// observeSteps checks e.Done() (want doneAtEnd, at the moment named when),
// then after each of steps in turn.
func observeSteps(t *testing.T, e *Ends, when string, doneAtEnd bool, steps []obs) {
	t.Helper()
	if e.Done() != doneAtEnd {
		t.Fatalf("Done() = %v %s, want %v", e.Done(), when, doneAtEnd)
	}
	for i, o := range steps {
		e.Observe(o.topic, o.partition, o.offset)
		if e.Done() != o.done {
			t.Fatalf("step %d: after Observe(%s, %d, %d) Done() = %v, want %v", i, o.topic, o.partition, o.offset, e.Done(), o.done)
		}
	}
}

type obs struct {
	topic     string
	partition int32
	offset    int64
	done      bool // Done after this observation
}

func TestListEndsObserve(t *testing.T) {
	// Topic t: 5 records in partition 0, 2 in partition 1, none in 2.
	tests := []struct {
		name      string
		from      map[string]map[int32]int64
		doneAtEnd bool // Done right after ListEnds
		steps     []obs
	}{
		{"read from the start", nil, false, []obs{
			{"t", 0, 0, false}, {"t", 0, 1, false}, {"t", 0, 2, false}, {"t", 0, 3, false}, {"t", 0, 4, false},
			{"t", 1, 0, false}, {"t", 1, 1, true},
		}},
		{"partitions in any order", nil, false, []obs{
			{"t", 1, 0, false}, {"t", 0, 0, false}, {"t", 1, 1, false}, {"t", 0, 4, true},
		}},
		{"gaps left by compaction", nil, false, []obs{
			{"t", 0, 4, false}, {"t", 1, 1, true},
		}},
		{"a partition counts once", nil, false, []obs{
			{"t", 0, 4, false}, {"t", 0, 4, false}, {"t", 0, 2, false}, {"t", 0, 5, false}, {"t", 1, 0, false}, {"t", 1, 1, true},
		}},
		{"offsets beyond the end", nil, false, []obs{
			{"t", 0, 9, false}, {"t", 1, 7, true},
		}},
		{"unknown topics and partitions are ignored", nil, false, []obs{
			{"other", 0, 100, false}, {"t", 2, 100, false}, {"t", 9, 100, false}, {"t", 0, 4, false}, {"t", 1, 1, true},
		}},
		{"from the ends", map[string]map[int32]int64{"t": {0: 5, 1: 2}}, true, nil},
		{"from beyond the ends", map[string]map[int32]int64{"t": {0: 100, 1: 2, 2: 7}}, true, nil},
		{"from inside", map[string]map[int32]int64{"t": {0: 3, 1: 2}}, false, []obs{
			{"t", 0, 2, false}, {"t", 0, 3, false}, {"t", 0, 4, true},
		}},
		{"from one partition", map[string]map[int32]int64{"t": {1: 2}}, false, []obs{
			{"t", 0, 4, true},
		}},
		{"from of other topics and partitions", map[string]map[int32]int64{"other": {0: 10}, "t": {7: 1}}, false, []obs{
			{"t", 0, 4, false}, {"t", 1, 1, true},
		}},
		{"from below the log start", map[string]map[int32]int64{"t": {0: -1, 1: -2}}, false, []obs{
			{"t", 0, 4, false}, {"t", 1, 1, true},
		}},
	}
	_, cl := manualClient(t, "t")
	produce(t, cl, "t", map[int32]int{0: 5, 1: 2})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, err := ListEnds(testContext(t), cl, tt.from, "t")
			if err != nil {
				t.Fatalf("ListEnds: %v", err)
			}
			want := map[string]map[int32]int64{"t": {0: 5, 1: 2, 2: 0}}
			if got := e.Offsets(); len(got) != 1 || !maps.Equal(got["t"], want["t"]) {
				t.Fatalf("Offsets() = %v, want %v", got, want)
			}
			observeSteps(t, e, "right after ListEnds", tt.doneAtEnd, tt.steps)
		})
	}
}

// listed checks the error of a call to the function named call against
// wantErr: with wantErr set, the call must have failed with it and listed
// returns false; otherwise the call must have succeeded.
func listed(t *testing.T, call string, err, wantErr error) bool {
	t.Helper()
	if wantErr != nil {
		if !errors.Is(err, wantErr) {
			t.Fatalf("%s error = %v, want %v", call, err, wantErr)
		}
		return false
	}
	if err != nil {
		t.Fatal(err)
	}
	return true
}

func TestListEndsTopics(t *testing.T) {
	_, cl := manualClient(t, "full", "empty")
	produce(t, cl, "full", map[int32]int{0: 1, 2: 3})
	tests := []struct {
		name   string
		topics []string
		want   map[string]map[int32]int64
		done   bool
		noneIs error
	}{
		{"empty topic", []string{"empty"}, map[string]map[int32]int64{"empty": {0: 0, 1: 0, 2: 0}}, true, nil},
		{"two topics", []string{"full", "empty"}, map[string]map[int32]int64{"full": {0: 1, 1: 0, 2: 3}, "empty": {0: 0, 1: 0, 2: 0}}, false, nil},
		{"missing topic", []string{"missing"}, nil, false, ErrNoTopic},
		{"one of two missing", []string{"full", "missing"}, nil, false, ErrNoTopic},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, err := ListEnds(testContext(t), cl, nil, tt.topics...)
			if !listed(t, "ListEnds", err, tt.noneIs) {
				return
			}
			got := e.Offsets()
			if len(got) != len(tt.want) {
				t.Fatalf("Offsets() = %v, want %v", got, tt.want)
			}
			for topic, w := range tt.want {
				if !maps.Equal(got[topic], w) {
					t.Fatalf("Offsets()[%s] = %v, want %v", topic, got[topic], w)
				}
			}
			if e.Done() != tt.done {
				t.Fatalf("Done() = %v, want %v", e.Done(), tt.done)
			}
		})
	}
}

// TestListEndsLogStart checks that records deleted from the log's start
// need not be read.
func TestListEndsLogStart(t *testing.T) {
	tests := []struct {
		name      string
		deleteTo  int64
		doneAtEnd bool
		steps     []obs
	}{
		{"part deleted", 3, false, []obs{{"d", 0, 3, false}, {"d", 0, 4, true}}},
		{"all deleted", 5, true, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := testContext(t)
			_, cl := manualClient(t, "d")
			produce(t, cl, "d", map[int32]int{0: 5})
			var o kadm.Offsets
			o.Add(kadm.Offset{Topic: "d", Partition: 0, At: tt.deleteTo})
			resp, err := kadm.NewClient(cl).DeleteRecords(ctx, o)
			if err == nil {
				err = resp.Error()
			}
			if err != nil {
				t.Fatalf("delete records: %v", err)
			}
			e, err := ListEnds(ctx, cl, nil, "d")
			if err != nil {
				t.Fatal(err)
			}
			observeSteps(t, e, "right after ListEnds", tt.doneAtEnd, tt.steps)
		})
	}
}

// TestListEndsStopsAtOpenTransaction checks that the end is the last
// stable offset: records of a transaction still open are beyond it, and
// the end moves past the commit marker once the transaction commits.
func TestListEndsStopsAtOpenTransaction(t *testing.T) {
	ctx := testContext(t)
	brokers, cl := manualClient(t, "x")
	produce(t, cl, "x", map[int32]int{0: 2})
	tx := kafkatest.Client(t, brokers, kgo.TransactionalID("ends-test"), kgo.RecordPartitioner(kgo.ManualPartitioner()))
	if err := tx.BeginTransaction(); err != nil {
		t.Fatal(err)
	}
	if err := tx.ProduceSync(ctx, &kgo.Record{Topic: "x", Partition: 0, Value: []byte("open")}).FirstErr(); err != nil {
		t.Fatal(err)
	}
	e, err := ListEnds(ctx, cl, nil, "x")
	if err != nil {
		t.Fatal(err)
	}
	if got := e.Offsets()["x"][0]; got != 2 {
		t.Fatalf("end of x[0] with a transaction open at offset 2 = %d, want 2", got)
	}
	if err := tx.EndTransaction(ctx, kgo.TryCommit); err != nil {
		t.Fatal(err)
	}
	e, err = ListEnds(ctx, cl, nil, "x")
	if err != nil {
		t.Fatal(err)
	}
	if got := e.Offsets()["x"][0]; got != 4 {
		t.Fatalf("end of x[0] after the commit = %d, want 4 (two records, the transaction's record, its marker)", got)
	}

	// A read_committed consumer that keeps control records reaches that
	// end by observing what it polls.
	rd := kafkatest.Client(t, brokers, kgo.ConsumeTopics("x"), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.FetchIsolationLevel(kgo.ReadCommitted()), kgo.KeepControlRecords())
	var data int
	for !e.Done() {
		fs := rd.PollFetches(ctx)
		if ctx.Err() != nil {
			t.Fatalf("did not reach the end: %v (%d data records read)", ctx.Err(), data)
		}
		for _, fe := range fs.Errors() {
			t.Fatal(fe.Err)
		}
		fs.EachRecord(func(r *kgo.Record) {
			e.Observe(r.Topic, r.Partition, r.Offset)
			if !r.Attrs.IsControl() {
				data++
			}
		})
	}
	if data != 3 {
		t.Fatalf("read %d data records on the way to the end, want 3", data)
	}
}

func TestListPartitionEnds(t *testing.T) {
	_, cl := manualClient(t, "p")
	produce(t, cl, "p", map[int32]int{0: 2, 1: 3})
	tests := []struct {
		name       string
		partitions []int32
		want       map[int32]int64
		done       bool
		err        error
	}{
		{"one partition", []int32{1}, map[int32]int64{1: 3}, false, nil},
		{"an empty partition alone", []int32{2}, map[int32]int64{2: 0}, true, nil},
		{"two of three", []int32{0, 2}, map[int32]int64{0: 2, 2: 0}, false, nil},
		{"a partition the topic lacks", []int32{0, 5}, nil, false, ErrNoTopic},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, err := ListPartitionEnds(testContext(t), cl, "p", tt.partitions)
			if !listed(t, "ListPartitionEnds", err, tt.err) {
				return
			}
			if got := e.Offsets()["p"]; !maps.Equal(got, tt.want) {
				t.Fatalf("Offsets() = %v, want %v", got, tt.want)
			}
			if e.Done() != tt.done {
				t.Fatalf("Done() = %v, want %v", e.Done(), tt.done)
			}
			// Records of partitions not asked for do not count.
			if _, asked := tt.want[1]; !asked {
				before := e.Done()
				e.Observe("p", 1, 2)
				if e.Done() != before {
					t.Fatalf("a record of partition 1, not asked for, changed Done() to %v", e.Done())
				}
			}
		})
	}
}

// TestWaitStable: WaitStable returns at once when no transaction is open,
// and otherwise only once the transactions open at the call have ended,
// whether on the partitions asked for or, with nil, on any.
func TestWaitStable(t *testing.T) {
	tests := []struct {
		name       string
		openOn     int32   // partition with an open transaction
		partitions []int32 // asked for
		waits      bool
	}{
		{"open on the partition asked for", 1, []int32{1}, true},
		{"open on another partition", 1, []int32{0, 2}, false},
		{"open, all partitions asked for", 2, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := testContext(t)
			brokers, cl := manualClient(t, "s")
			produce(t, cl, "s", map[int32]int{0: 1, 1: 1, 2: 1})
			if err := WaitStable(ctx, cl, "s", tt.partitions); err != nil {
				t.Fatalf("WaitStable with no transaction open: %v", err)
			}
			tx := kafkatest.Client(t, brokers, kgo.TransactionalID("stable-test"), kgo.RecordPartitioner(kgo.ManualPartitioner()))
			if err := tx.BeginTransaction(); err != nil {
				t.Fatal(err)
			}
			if err := tx.ProduceSync(ctx, &kgo.Record{Topic: "s", Partition: tt.openOn, Value: []byte("open")}).FirstErr(); err != nil {
				t.Fatal(err)
			}
			if tt.waits {
				// It must still be waiting when a short deadline passes.
				short, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
				err := WaitStable(short, cl, "s", tt.partitions)
				cancel()
				if !errors.Is(err, context.DeadlineExceeded) {
					t.Fatalf("WaitStable with a transaction open on partition %d = %v, want it to wait until the deadline", tt.openOn, err)
				}
			} else if err := WaitStable(ctx, cl, "s", tt.partitions); err != nil {
				t.Fatalf("WaitStable with a transaction open only elsewhere: %v", err)
			}
			done := make(chan error, 1)
			go func() { done <- WaitStable(ctx, cl, "s", tt.partitions) }()
			if err := tx.EndTransaction(ctx, kgo.TryCommit); err != nil {
				t.Fatal(err)
			}
			if err := <-done; err != nil {
				t.Fatalf("WaitStable after the commit: %v", err)
			}
			// The end listed now includes the committed record.
			e, err := ListEnds(ctx, cl, nil, "s")
			if err != nil {
				t.Fatal(err)
			}
			if got := e.Offsets()["s"][tt.openOn]; got != 3 {
				t.Fatalf("end of s[%d] = %d, want 3 (a record, the transaction's, its marker)", tt.openOn, got)
			}
		})
	}
}

func TestWaitStableMissingPartition(t *testing.T) {
	_, cl := manualClient(t, "s")
	if err := WaitStable(testContext(t), cl, "s", []int32{7}); !errors.Is(err, ErrNoTopic) {
		t.Fatalf("WaitStable for a partition the topic lacks = %v, want ErrNoTopic", err)
	}
}

func TestConsume(t *testing.T) {
	brokers, cl := manualClient(t, "t")
	ctx := testContext(t)
	produce(t, cl, "t", map[int32]int{0: 4, 1: 2})
	// A committed transaction leaves a marker at the end of partition 2.
	tx := kafkatest.Client(t, brokers, kgo.TransactionalID("consume-test"), kgo.RecordPartitioner(kgo.ManualPartitioner()))
	if err := tx.BeginTransaction(); err != nil {
		t.Fatal(err)
	}
	if err := tx.ProduceSync(ctx, &kgo.Record{Topic: "t", Partition: 2, Value: []byte("x")}).FirstErr(); err != nil {
		t.Fatal(err)
	}
	if err := tx.EndTransaction(ctx, kgo.TryCommit); err != nil {
		t.Fatal(err)
	}
	reader := func() *kgo.Client {
		return kafkatest.Client(t, brokers, kgo.ConsumeTopics("t"), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
			kgo.FetchIsolationLevel(kgo.ReadCommitted()), kgo.KeepControlRecords())
	}

	rc := reader()
	ends, err := ListEnds(ctx, rc, nil, "t")
	if err != nil {
		t.Fatal(err)
	}
	seen := map[int32]int{}
	if err := ends.Consume(ctx, rc, func(r *kgo.Record) error {
		if r.Attrs.IsControl() {
			t.Errorf("control record at %d:%d handed to fn", r.Partition, r.Offset)
		}
		seen[r.Partition]++
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if seen[0] != 4 || seen[1] != 2 || seen[2] != 1 || !ends.Done() {
		t.Errorf("saw %v, done %v; want 4, 2 and 1 records and done", seen, ends.Done())
	}

	rc = reader()
	ends, err = ListEnds(ctx, rc, nil, "t")
	if err != nil {
		t.Fatal(err)
	}
	stop := errors.New("stop")
	n := 0
	err = ends.Consume(ctx, rc, func(*kgo.Record) error {
		n++
		return stop
	})
	if !errors.Is(err, stop) || n != 1 {
		t.Errorf("fn failing: error %v after %d calls, want stop after 1", err, n)
	}
}

func TestEndsAt(t *testing.T) {
	tests := []struct {
		name       string
		start, end map[int32]int64
		doneAtEnd  bool
		steps      []obs
	}{
		{"from the start", nil, map[int32]int64{0: 3, 1: 1}, false, []obs{
			{"t", 0, 2, false}, {"t", 1, 0, true},
		}},
		{"empty and reached partitions", map[int32]int64{0: 3}, map[int32]int64{0: 3, 1: 0}, true, nil},
		{"from a log start", map[int32]int64{0: 5}, map[int32]int64{0: 8}, false, []obs{
			{"t", 0, 4, false}, {"t", 0, 6, false}, {"t", 0, 9, true},
		}},
		{"other topics are ignored", nil, map[int32]int64{0: 1}, false, []obs{
			{"other", 0, 5, false}, {"t", 0, 0, true},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := EndsAt("t", tt.start, tt.end)
			if got := e.Offsets(); !maps.Equal(got["t"], tt.end) {
				t.Fatalf("Offsets() = %v, want %v", got, tt.end)
			}
			observeSteps(t, e, "at first", tt.doneAtEnd, tt.steps)
		})
	}
}
