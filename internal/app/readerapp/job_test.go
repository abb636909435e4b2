package readerapp

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/salesstream/salesstream/internal/app"
	"github.com/salesstream/salesstream/internal/domain/money"
	"github.com/salesstream/salesstream/internal/domain/schema"
	"github.com/salesstream/salesstream/internal/laptop/devstack/devstacktest"
	"github.com/salesstream/salesstream/internal/platform/kafkaconn"
	"github.com/salesstream/salesstream/internal/platform/kafkatest"
	"github.com/salesstream/salesstream/internal/platform/topics"
	"github.com/salesstream/salesstream/pkg/serde"
)

var quiet = slog.New(slog.DiscardHandler)

// TestJobReadsCommittedRows: the job connects with the binary's settings
// and reads the committed rows of the topic it is given, skipping an
// aborted transaction and counting an undecodable record.
func TestJobReadsCommittedRows(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s, reg := devstacktest.Start(t, true)
	const topic = "my-summary"
	keyEnc, valEnc, err := app.Encoders(ctx, serde.New(reg), schema.SummaryTopic)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Date(2021, 5, 10, 13, 0, 0, 0, time.UTC)
	record := func(region string, c money.Cents) *kgo.Record {
		k, err := keyEnc.Append(nil, &schema.SummaryKey{Region: region, WindowStart: start.UnixMilli()})
		if err != nil {
			t.Fatal(err)
		}
		v, err := valEnc.Append(nil, &schema.SummaryValue{Region: region, Sales: schema.AppendDecimal(nil, c), Orders: 1,
			WindowStart: start.UnixMilli(), WindowEnd: start.Add(10 * time.Minute).UnixMilli()})
		if err != nil {
			t.Fatal(err)
		}
		return &kgo.Record{Topic: topic, Key: k, Value: v}
	}
	cl := kafkatest.Client(t, s.Brokers(), kgo.TransactionalID("readerapp-test"))
	if err := topics.Ensure(ctx, cl, topics.Spec{Name: topic, Partitions: 2, Compacted: true}); err != nil {
		t.Fatal(err)
	}
	for _, tx := range []struct {
		commit bool
		recs   []*kgo.Record
	}{
		{true, []*kgo.Record{record("Europe", 1199), {Topic: topic, Key: []byte("junk"), Value: []byte("junk")}}},
		{false, []*kgo.Record{record("Asia", 99)}},
	} {
		if err := cl.BeginTransaction(); err != nil {
			t.Fatal(err)
		}
		if err := cl.ProduceSync(ctx, tx.recs...).FirstErr(); err != nil {
			t.Fatal(err)
		}
		if err := cl.EndTransaction(ctx, kgo.TransactionEndTry(tx.commit)); err != nil {
			t.Fatal(err)
		}
	}

	res, err := Job{Clients: app.Clients{Kafka: kafkaconn.Config{Brokers: s.Brokers(), Logger: quiet}, Registry: reg}, Topic: topic}.Run(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Rows) != 1 || res.Rows[0].Region != "Europe" || res.Rows[0].Sales != 1199 || !res.Rows[0].WindowStart.Equal(start) {
		t.Fatalf("rows %+v, want Europe 11.99 at %v alone", res.Rows, start)
	}
	if res.Records != 2 || res.Undecodable != 1 {
		t.Fatalf("%d records, %d undecodable; want 2 and 1", res.Records, res.Undecodable)
	}
}

// TestJobDeadBroker: a broker that does not answer is reported as such.
func TestJobDeadBroker(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_, err := Job{Clients: app.Clients{Kafka: kafkaconn.Config{Brokers: []string{"127.0.0.1:1"}, Logger: quiet}}, Topic: "t"}.Run(ctx)
	if err == nil || !strings.Contains(err.Error(), "127.0.0.1:1") {
		t.Fatalf("Run error = %v, want one naming the broker", err)
	}
}
