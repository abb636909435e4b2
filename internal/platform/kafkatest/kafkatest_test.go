package kafkatest

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
)

// TestClosedWhenTheTestEnds: within the test that started it, the cluster
// serves a record produced through one Client and read back through
// another; once that test has ended, nothing listens on its address any
// more.
func TestClosedWhenTheTestEnds(t *testing.T) {
	var addr string
	t.Run("in use", func(t *testing.T) {
		brokers := Cluster(t, kfake.SeedTopics(2, "t")).ListenAddrs()
		addr = brokers[0]
		if got := roundTrip(t, brokers, "t"); got != "v" {
			t.Fatalf("read back %q, want v", got)
		}
	})
	if conn, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		conn.Close()
		t.Fatalf("%s still listens after the test that started the cluster ended", addr)
	}
}

// roundTrip produces the value "v" to topic through one client of brokers
// and returns the value of the first record another client reads there.
func roundTrip(t *testing.T, brokers []string, topic string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	w := Client(t, brokers, kgo.DefaultProduceTopic(topic))
	if err := w.ProduceSync(ctx, &kgo.Record{Value: []byte("v")}).FirstErr(); err != nil {
		t.Fatalf("produce to %s: %v", topic, err)
	}
	r := Client(t, brokers, kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	fs := r.PollRecords(ctx, 1)
	if err := fs.Err0(); err != nil {
		t.Fatalf("fetch %s: %v", topic, err)
	}
	recs := fs.Records()
	if len(recs) != 1 {
		t.Fatalf("read %d records of %s, want 1", len(recs), topic)
	}
	return string(recs[0].Value)
}
