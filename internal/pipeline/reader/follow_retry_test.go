package reader

import (
	"context"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/salesstream/salesstream/internal/platform/topics"
)

// TestFollowRetriesTheTableFromTheStart: a fetch that fails after the
// first read has consumed part of the topic makes Follow read the table
// again from the start, so the rows read before the failure are in it.
func TestFollowRetriesTheTableFromTheStart(t *testing.T) {
	const topic = "summary-follow-retry"
	e := newEnv(t)
	ctx := testContext(t)
	start := time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC)
	cl := e.writer(ctx, t, topics.Spec{Name: topic, Partitions: 1, Compacted: true})
	// Two batches, so that a fetch bounded to one byte returns one.
	for _, r := range []*kgo.Record{e.summary(t, topic, "Asia", start, 100, 1), e.summary(t, topic, "Europe", start, 200, 2)} {
		if err := cl.ProduceSync(ctx, r).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}
	// The second fetch of the topic fails with an error the client hands
	// to the poll; the others pass.
	var fetches atomic.Int32
	failFetches(ctx, t, e, cl, topic, func() bool { return fetches.Add(1) == 2 })

	fctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var table Result
	var reported []string
	err := Follow(fctx, []kgo.Opt{kgo.SeedBrokers(e.Stack.Brokers()...), kgo.FetchMaxPartitionBytes(1), kgo.FetchMaxBytes(1)}, e.Serde, topic, Follower{
		Table:     func(r Result) error { table = r; cancel(); return nil },
		Committed: func([]Change) error { return nil },
		Error:     func(err error) { reported = append(reported, err.Error()) },
	})
	if err != nil {
		t.Fatal(err)
	}
	if fetches.Load() < 2 {
		t.Fatalf("%d fetches of the topic: the failure was never injected", fetches.Load())
	}
	if len(reported) == 0 || !strings.Contains(reported[0], "retrying") {
		t.Errorf("reported %q, want the failed read first", reported)
	}
	var regions []string
	for _, r := range table.Rows {
		regions = append(regions, r.Region)
	}
	if !slices.Equal(regions, []string{"Europe", "Asia"}) {
		t.Fatalf("table rows %v, want Europe and Asia", regions)
	}
}

// TestFollowSpacesOutALastingError: once the table is read, every fetch
// of the topic fails at once (an authorization taken away). Follow reports
// the error and polls again after a wait that doubles, not in a loop that
// reports it thousands of times a second.
func TestFollowSpacesOutALastingError(t *testing.T) {
	const topic = "summary-follow-lasting"
	e := newEnv(t)
	ctx := testContext(t)
	cl := e.writer(ctx, t, topics.Spec{Name: topic, Partitions: 1, Compacted: true})
	var failing atomic.Bool
	failFetches(ctx, t, e, cl, topic, failing.Load)

	fctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var reports atomic.Int64
	first := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- Follow(fctx, []kgo.Opt{kgo.SeedBrokers(e.Stack.Brokers()...), kgo.FetchMaxWait(100 * time.Millisecond),
			// Every fetch names the topic, so that each can fail.
			kgo.DisableFetchSessions()}, e.Serde, topic, Follower{
			Table:     func(Result) error { failing.Store(true); return nil },
			Committed: func([]Change) error { return nil },
			Error: func(error) {
				if reports.Add(1) == 1 {
					close(first)
				}
			},
		})
	}()
	select {
	case <-first:
	case err := <-done:
		t.Fatalf("Follow ended before the error: %v", err)
	case <-ctx.Done():
		t.Fatal("no error reported before the deadline")
	}
	// Waits of 0.1, 0.2, 0.4 and 0.8 s fit in the next 2 s: at most 5
	// reports, however fast or slow the machine.
	time.Sleep(2 * time.Second)
	n := reports.Load()
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if n > 5 {
		t.Errorf("%d reports of the error within 2 s of the first: the polls are not spaced out", n)
	}
}

// failFetches makes every fetch of topic for which fail returns true
// answer with TOPIC_AUTHORIZATION_FAILED, an error the client hands to the
// poll.
func failFetches(ctx context.Context, t *testing.T, e *env, cl *kgo.Client, topic string, fail func() bool) {
	t.Helper()
	td, err := kadm.NewClient(cl).ListTopics(ctx, topic)
	if err != nil {
		t.Fatal(err)
	}
	id := td[topic].ID
	c := e.Stack.Cluster()
	c.ControlKey(int16(kmsg.Fetch), func(kr kmsg.Request) (kmsg.Response, error, bool) {
		c.KeepControl()
		req := kr.(*kmsg.FetchRequest)
		if !slices.ContainsFunc(req.Topics, func(t kmsg.FetchRequestTopic) bool { return t.Topic == topic || t.TopicID == id }) || !fail() {
			return nil, nil, false
		}
		resp := req.ResponseKind().(*kmsg.FetchResponse)
		for _, rt := range req.Topics {
			st := kmsg.NewFetchResponseTopic()
			st.Topic, st.TopicID = rt.Topic, rt.TopicID
			for _, rp := range rt.Partitions {
				sp := kmsg.NewFetchResponseTopicPartition()
				sp.Partition, sp.ErrorCode = rp.Partition, kerr.TopicAuthorizationFailed.Code
				st.Partitions = append(st.Partitions, sp)
			}
			resp.Topics = append(resp.Topics, st)
		}
		return resp, nil, true
	})
}
