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
	cl := e.client(t)
	if err := topics.Ensure(ctx, cl, topics.Spec{Name: topic, Partitions: 1, Compacted: true}); err != nil {
		t.Fatal(err)
	}
	// Two batches, so that a fetch bounded to one byte returns one.
	for _, r := range []*kgo.Record{e.summary(t, topic, "Asia", start, 100, 1), e.summary(t, topic, "Europe", start, 200, 2)} {
		if err := cl.ProduceSync(ctx, r).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}
	td, err := kadm.NewClient(cl).ListTopics(ctx, topic)
	if err != nil {
		t.Fatal(err)
	}
	id := td[topic].ID
	// The second fetch of the topic fails with an error the client hands
	// to the poll; the others pass.
	var fetches atomic.Int32
	c := e.stack.Cluster()
	c.ControlKey(int16(kmsg.Fetch), func(kr kmsg.Request) (kmsg.Response, error, bool) {
		c.KeepControl()
		req := kr.(*kmsg.FetchRequest)
		if !slices.ContainsFunc(req.Topics, func(t kmsg.FetchRequestTopic) bool { return t.Topic == topic || t.TopicID == id }) || fetches.Add(1) != 2 {
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

	fctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var table Result
	var reported []string
	err = Follow(fctx, []kgo.Opt{kgo.SeedBrokers(e.stack.Brokers()...), kgo.FetchMaxPartitionBytes(1), kgo.FetchMaxBytes(1)}, e.sd, topic, Follower{
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
