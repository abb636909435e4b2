package topics

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/salesstream/salesstream/internal/platform/kafkatest"
)

// newCluster starts a one-broker kfake cluster with seed topics of the
// given partition count, and returns its addresses.
func newCluster(t *testing.T, partitions int32, seed ...string) []string {
	t.Helper()
	var opts []kfake.Opt
	if len(seed) > 0 {
		opts = append(opts, kfake.SeedTopics(partitions, seed...))
	}
	return kafkatest.Cluster(t, opts...).ListenAddrs()
}

func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func TestEnsure(t *testing.T) {
	ctx := testContext(t)
	cl := kafkatest.Client(t, newCluster(t, 1))
	adm := kadm.NewClient(cl)
	specs := []Spec{
		{Name: "sales", Partitions: 3},
		{Name: "summary", Partitions: 2, Compacted: true},
		{Name: "dlq", Partitions: 1},
	}
	if err := Ensure(ctx, cl, specs...); err != nil {
		t.Fatalf("Ensure: %v", err)
	}
	// Idempotent, and existing topics are left alone even when the specs
	// now say otherwise.
	changed := []Spec{
		{Name: "sales", Partitions: 5, Compacted: true},
		{Name: "summary", Partitions: 4},
		{Name: "dlq", Partitions: 1},
		{Name: "late", Partitions: 2},
	}
	if err := Ensure(ctx, cl, changed...); err != nil {
		t.Fatalf("second Ensure: %v", err)
	}
	want := []struct {
		name       string
		partitions int
		policy     string
	}{
		{"sales", 3, "delete"},
		{"summary", 2, "compact"},
		{"dlq", 1, "delete"},
		{"late", 2, "delete"},
	}
	tds, err := adm.ListTopics(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(tds) != len(want) {
		t.Errorf("cluster has topics %v, want %d", tds.Names(), len(want))
	}
	for _, w := range want {
		td, ok := tds[w.name]
		if !ok {
			t.Errorf("topic %s was not created", w.name)
			continue
		}
		if len(td.Partitions) != w.partitions {
			t.Errorf("topic %s has %d partitions, want %d", w.name, len(td.Partitions), w.partitions)
		}
		rcs, err := adm.DescribeTopicConfigs(ctx, w.name)
		if err != nil {
			t.Fatal(err)
		}
		rc, err := rcs.On(w.name, nil)
		if err != nil {
			t.Fatalf("describe configs of %s: %v", w.name, err)
		}
		policy := "delete" // Kafka's default when the topic sets none
		for _, c := range rc.Configs {
			if c.Key == "cleanup.policy" && c.Value != nil {
				policy = *c.Value
			}
		}
		if policy != w.policy {
			t.Errorf("topic %s has cleanup.policy %q, want %q", w.name, policy, w.policy)
		}
	}
}

// TestEnsureBrokerErrors makes the broker answer CreateTopics with an
// error code: TOPIC_ALREADY_EXISTS is success, any other fails Ensure with
// the topic's name.
func TestEnsureBrokerErrors(t *testing.T) {
	tests := []struct {
		name    string
		code    int16
		wantErr bool
	}{
		{"already exists", kerr.TopicAlreadyExists.Code, false},
		{"policy violation", kerr.PolicyViolation.Code, true},
		{"invalid replication", kerr.InvalidReplicationFactor.Code, true},
		{"not authorized", kerr.TopicAuthorizationFailed.Code, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := testContext(t)
			c := kafkatest.Cluster(t)
			c.ControlKey(int16(kmsg.CreateTopics), func(req kmsg.Request) (kmsg.Response, error, bool) {
				c.KeepControl()
				r := req.(*kmsg.CreateTopicsRequest)
				resp := r.ResponseKind().(*kmsg.CreateTopicsResponse)
				for _, rt := range r.Topics {
					st := kmsg.NewCreateTopicsResponseTopic()
					st.Topic = rt.Topic
					st.ErrorCode = tt.code
					resp.Topics = append(resp.Topics, st)
				}
				return resp, nil, true
			})
			err := Ensure(ctx, kafkatest.Client(t, c.ListenAddrs()), Spec{Name: "refused", Partitions: 1})
			if (err != nil) != tt.wantErr {
				t.Fatalf("Ensure error = %v, want error %v", err, tt.wantErr)
			}
			if err != nil {
				if !strings.Contains(err.Error(), "create topic refused") {
					t.Errorf("error %q does not name the topic", err)
				}
				if !errors.Is(err, kerr.ErrorForCode(tt.code)) {
					t.Errorf("error %q does not wrap the broker's %v", err, kerr.ErrorForCode(tt.code))
				}
			}
		})
	}
}

func TestEnsureCancelled(t *testing.T) {
	cl := kafkatest.Client(t, newCluster(t, 1))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := Ensure(ctx, cl, Spec{Name: "x", Partitions: 1}); err == nil {
		t.Fatal("Ensure with a cancelled context succeeded")
	}
}

func TestPartitions(t *testing.T) {
	brokers := newCluster(t, 3, "three")
	cl := kafkatest.Client(t, brokers)
	ctx := testContext(t)
	if err := Ensure(ctx, cl, Spec{Name: "one", Partitions: 1}); err != nil {
		t.Fatal(err)
	}
	got, err := Partitions(ctx, cl, "three", "one")
	if err != nil {
		t.Fatal(err)
	}
	if got["three"] != 3 || got["one"] != 1 || len(got) != 2 {
		t.Fatalf("Partitions = %v, want three:3 one:1", got)
	}
	if _, err := Partitions(ctx, cl, "one", "missing"); !errors.Is(err, ErrNoTopic) || !strings.Contains(err.Error(), "missing") {
		t.Fatalf("Partitions of a missing topic = %v, want ErrNoTopic naming it", err)
	}
}
