package registryserver

import (
	"context"
	"errors"
	"net"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/salesstream/salesstream/internal/platform/kafkatest"
)

const journalTopic = "registry-journal-test"

func newKfake(t *testing.T, opts ...kfake.Opt) *kfake.Cluster {
	t.Helper()
	return kafkatest.Cluster(t, opts...)
}

func seeds(c *kfake.Cluster) []kgo.Opt { return []kgo.Opt{kgo.SeedBrokers(c.ListenAddrs()...)} }

func openKafkaJournal(t *testing.T, c *kfake.Cluster) *KafkaJournal {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	j, err := NewKafkaJournal(ctx, seeds(c), journalTopic)
	if err != nil {
		t.Fatalf("NewKafkaJournal: %v", err)
	}
	t.Cleanup(func() { _ = j.Close() })
	return j
}

func admin(t *testing.T, c *kfake.Cluster) *kadm.Client {
	t.Helper()
	return kadm.NewClient(kafkatest.Client(t, c.ListenAddrs()))
}

func TestKafkaJournalRoundTrip(t *testing.T) {
	c := newKfake(t)
	j := openKafkaJournal(t, c)
	appendEvents(t, j, "a", "b", "c")
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	if err := j.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if err := j.Append(context.Background(), Event{Kind: EventGroupCreated, GroupID: "late"}); err == nil || !strings.Contains(err.Error(), "closed") {
		t.Fatalf("append after close: %v, want a 'closed' error", err)
	}
	if _, err := replayGroups(t, j); err == nil {
		t.Fatal("replay after close succeeded")
	}

	j = openKafkaJournal(t, c)
	got, err := replayGroups(t, j)
	if err != nil || strings.Join(got, ",") != "a,b,c" {
		t.Fatalf("replay = %v, %v; want a,b,c", got, err)
	}
	// Appends after a replay follow the replayed events.
	appendEvents(t, j, "d")
	got, err = replayGroups(t, openKafkaJournal(t, c))
	if err != nil || strings.Join(got, ",") != "a,b,c,d" {
		t.Fatalf("replay = %v, %v; want a,b,c,d", got, err)
	}

	// The topic was created as a journal must be.
	adm := admin(t, c)
	ctx := context.Background()
	details, err := adm.ListTopics(ctx, journalTopic)
	if err != nil || len(details[journalTopic].Partitions) != 1 {
		t.Fatalf("journal topic: %+v, %v; want one partition", details[journalTopic], err)
	}
	rcs, err := adm.DescribeTopicConfigs(ctx, journalTopic)
	if err != nil {
		t.Fatal(err)
	}
	rc, err := rcs.On(journalTopic, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"cleanup.policy": "delete", "retention.ms": "-1", "retention.bytes": "-1", "max.message.bytes": strconv.Itoa(kafkaJournalMaxRecordBytes)}
	for _, cfg := range rc.Configs {
		if w, ok := want[cfg.Key]; ok {
			if cfg.MaybeValue() != w {
				t.Errorf("journal topic %s=%s, want %s", cfg.Key, cfg.MaybeValue(), w)
			}
			delete(want, cfg.Key)
		}
	}
	if len(want) > 0 {
		t.Errorf("journal topic lacks configs %v", want)
	}
}

func TestKafkaJournalEmptyTopicName(t *testing.T) {
	if _, err := NewKafkaJournal(context.Background(), nil, ""); err == nil {
		t.Fatal("NewKafkaJournal accepted an empty topic name")
	}
}

// TestKafkaJournalRefusesUnsafeTopics: an existing topic that would
// reorder or lose events is refused with the reason; a proper one is used.
func TestKafkaJournalRefusesUnsafeTopics(t *testing.T) {
	v := func(s string) *string { return &s }
	tests := []struct {
		name       string
		partitions int32
		configs    map[string]*string
		wantErr    string
	}{
		{"three partitions", 3, nil, "has 3 partitions"},
		{"compacted", 1, map[string]*string{"cleanup.policy": v("compact"), "retention.ms": v("-1"), "retention.bytes": v("-1")}, "cleanup.policy=compact"},
		{"compacted and deleted", 1, map[string]*string{"cleanup.policy": v("compact,delete"), "retention.ms": v("-1"), "retention.bytes": v("-1")}, "cleanup.policy=compact,delete"},
		{"a week of retention", 1, map[string]*string{"retention.ms": v("604800000")}, "retention.ms=604800000"},
		{"retention by size", 1, map[string]*string{"retention.ms": v("-1"), "retention.bytes": v("1048576")}, "retention.bytes=1048576"},
		{"kept forever", 1, map[string]*string{"retention.ms": v("-1"), "retention.bytes": v("-1")}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newKfake(t)
			if _, err := admin(t, c).CreateTopic(context.Background(), tt.partitions, 1, tt.configs, journalTopic); err != nil {
				t.Fatal(err)
			}
			j, err := NewKafkaJournal(context.Background(), seeds(c), journalTopic)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("NewKafkaJournal on a proper existing topic: %v", err)
				}
				j.Close()
				return
			}
			if err == nil {
				j.Close()
				t.Fatalf("NewKafkaJournal accepted the topic; want an error with %q", tt.wantErr)
			}
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("error %q does not contain %q", err, tt.wantErr)
			}
		})
	}
}

func newJournaledServer(t *testing.T, j Journal) *Server {
	t.Helper()
	s, err := New(context.Background(), WithJournal(j), WithLogger(quietLogger()))
	if err != nil {
		t.Fatalf("New with a Kafka journal: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// TestKafkaJournalServerReopen: a new server over the same cluster has the
// same state and ids.
func TestKafkaJournalServerReopen(t *testing.T) {
	c := newKfake(t)
	s := newJournaledServer(t, openKafkaJournal(t, c))
	doomed := writeThroughEveryAPI(t, s)
	before := dumpState(s)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	checkReopened(t, newJournaledServer(t, openKafkaJournal(t, c)), before, doomed)
}

// TestKafkaJournalSurvivesBrokerRestart: the events outlive the broker,
// persisted in its data directory.
func TestKafkaJournalSurvivesBrokerRestart(t *testing.T) {
	dir := t.TempDir()
	c1 := newKfake(t, kfake.DataDir(dir), kfake.Ports(0))
	_, portText, err := net.SplitHostPort(c1.ListenAddrs()[0])
	if err != nil {
		t.Fatal(err)
	}
	port, _ := strconv.Atoi(portText)
	s := newJournaledServer(t, openKafkaJournal(t, c1))
	doomed := writeThroughEveryAPI(t, s)
	before := dumpState(s)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	c1.Close()

	c2 := newKfake(t, kfake.DataDir(dir), kfake.Ports(port))
	if got := c2.ListenAddrs()[0]; !strings.HasSuffix(got, ":"+portText) {
		t.Fatalf("restarted broker listens on %s, want port %d", got, port)
	}
	checkReopened(t, newJournaledServer(t, openKafkaJournal(t, c2)), before, doomed)
}

// TestKafkaJournalReplayEndsWhereItBegan: events appended while a replay
// runs are not part of it.
func TestKafkaJournalReplayEndsWhereItBegan(t *testing.T) {
	c := newKfake(t)
	j := openKafkaJournal(t, c)
	appendEvents(t, j, "a", "b")
	other := openKafkaJournal(t, c)
	var got []string
	err := j.Replay(context.Background(), func(e Event) error {
		if len(got) == 0 {
			appendEvents(t, other, "late")
		}
		got = append(got, e.GroupID)
		return nil
	})
	if err != nil || strings.Join(got, ",") != "a,b" {
		t.Fatalf("replay = %v, %v; want a,b", got, err)
	}
	if got, err := replayGroups(t, j); err != nil || strings.Join(got, ",") != "a,b,late" {
		t.Fatalf("second replay = %v, %v; want a,b,late", got, err)
	}
}

func TestKafkaJournalReplayErrors(t *testing.T) {
	t.Run("callback error", func(t *testing.T) {
		j := openKafkaJournal(t, newKfake(t))
		appendEvents(t, j, "a", "b")
		stop := errors.New("stop")
		n := 0
		err := j.Replay(context.Background(), func(Event) error { n++; return stop })
		if !errors.Is(err, stop) || n != 1 {
			t.Fatalf("replay returned %v after %d events; want the callback's error after 1", err, n)
		}
	})
	for _, tt := range []struct{ name, value string }{
		{"not JSON", "hello"},
		{"not an event", `{"groupId":"x"}`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := newKfake(t)
			j := openKafkaJournal(t, c)
			appendEvents(t, j, "a")
			cl := kafkatest.Client(t, c.ListenAddrs())
			if err := cl.ProduceSync(context.Background(), &kgo.Record{Topic: journalTopic, Value: []byte(tt.value)}).FirstErr(); err != nil {
				t.Fatal(err)
			}
			if _, err := replayGroups(t, j); err == nil || !strings.Contains(err.Error(), "offset 1 is not a registry event") {
				t.Fatalf("replay of a foreign record: %v", err)
			}
		})
	}
	t.Run("canceled", func(t *testing.T) {
		j := openKafkaJournal(t, newKfake(t))
		appendEvents(t, j, "a")
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if err := j.Replay(ctx, func(Event) error { return nil }); !errors.Is(err, context.Canceled) {
			t.Fatalf("replay with a canceled context: %v", err)
		}
	})
}

// TestKafkaJournalRefusedAppend: an event Kafka refuses is not written and
// the journal stays usable.
func TestKafkaJournalRefusedAppend(t *testing.T) {
	c := newKfake(t)
	j := openKafkaJournal(t, c)
	appendEvents(t, j, "a")
	huge := Event{Kind: EventGroupCreated, GroupID: "huge", Description: strings.Repeat("x", kafkaJournalMaxRecordBytes+1)}
	if err := j.Append(context.Background(), huge); err == nil {
		t.Fatal("an event above the record limit was appended")
	}
	appendEvents(t, j, "b")
	// An event above Kafka's 1 MiB default fits the journal's topic.
	big := Event{Kind: EventGroupCreated, GroupID: "big", Description: strings.Repeat("y", 3<<20)}
	if err := j.Append(context.Background(), big); err != nil {
		t.Fatalf("append of a 3 MiB event: %v", err)
	}
	var got []string
	err := openKafkaJournal(t, c).Replay(context.Background(), func(e Event) error {
		got = append(got, e.GroupID)
		if e.GroupID == "big" && e.Description != big.Description {
			t.Errorf("the 3 MiB event came back with a %d-byte description", len(e.Description))
		}
		return nil
	})
	if err != nil || strings.Join(got, ",") != "a,b,big" {
		t.Fatalf("replay = %v, %v; want a,b,big", got, err)
	}
}

// TestKafkaJournalUnknownOutcome: an append Kafka does not answer may yet
// be written, so the journal refuses later appends until it is reopened.
func TestKafkaJournalUnknownOutcome(t *testing.T) {
	c := newKfake(t)
	ctx := context.Background()
	j, err := newKafkaJournal(ctx, seeds(c), journalTopic, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	appendEvents(t, j, "a")

	var swallow atomic.Bool
	swallow.Store(true)
	c.ControlKey(int16(kmsg.Produce), func(kmsg.Request) (kmsg.Response, error, bool) {
		c.KeepControl()
		if swallow.Load() {
			return nil, nil, true // never answered
		}
		return nil, nil, false
	})
	if err := j.Append(ctx, Event{Kind: EventGroupCreated, GroupID: "lost"}); err == nil {
		t.Fatal("an append Kafka never answered succeeded")
	}
	swallow.Store(false)
	err = j.Append(ctx, Event{Kind: EventGroupCreated, GroupID: "b"})
	if err == nil || !strings.Contains(err.Error(), "restarted") {
		t.Fatalf("append after an unknown outcome: %v; want a refusal asking for a restart", err)
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	// Reopened, the journal works again; whether "lost" was written is
	// for the replay to tell.
	j2 := openKafkaJournal(t, c)
	got, err := replayGroups(t, j2)
	if err != nil || got[0] != "a" || len(got) > 2 || (len(got) == 2 && got[1] != "lost") {
		t.Fatalf("replay = %v, %v; want a, then maybe lost", got, err)
	}
	appendEvents(t, j2, "c")
}
