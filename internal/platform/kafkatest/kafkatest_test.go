package kafkatest

import (
	"context"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
)

// TestClusterAndClient: a record produced through a Client of a Cluster's
// addresses is read back by another Client, and the seed topics asked for
// exist with their partition count.
func TestClusterAndClient(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c := Cluster(t, kfake.SeedTopics(2, "t"))
	w := Client(t, c.ListenAddrs(), kgo.DefaultProduceTopic("t"))
	if err := w.ProduceSync(ctx, &kgo.Record{Value: []byte("v")}).FirstErr(); err != nil {
		t.Fatal(err)
	}
	r := Client(t, c.ListenAddrs(), kgo.ConsumeTopics("t"), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	fs := r.PollFetches(ctx)
	if err := fs.Err0(); err != nil {
		t.Fatal(err)
	}
	recs := fs.Records()
	if len(recs) != 1 || string(recs[0].Value) != "v" {
		t.Fatalf("read %v, want the one record v", recs)
	}
	if recs[0].Partition < 0 || recs[0].Partition > 1 {
		t.Fatalf("record in partition %d of a topic of 2", recs[0].Partition)
	}
}
