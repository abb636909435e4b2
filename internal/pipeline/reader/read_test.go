package reader

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/salesstream/salesstream/internal/app"
	"github.com/salesstream/salesstream/internal/domain/money"
	"github.com/salesstream/salesstream/internal/domain/schema"
	"github.com/salesstream/salesstream/internal/laptop/devstack"
	"github.com/salesstream/salesstream/internal/laptop/devstack/devstacktest"
	"github.com/salesstream/salesstream/internal/platform/kafkatest"
	"github.com/salesstream/salesstream/internal/platform/topics"
	"github.com/salesstream/salesstream/pkg/serde"
)

// env is an embedded stack with the schemas registered and summary
// encoders ready.
type env struct {
	*devstack.Pipeline
	keyEnc *serde.Encoder
	valEnc *serde.Encoder
}

func newEnv(t *testing.T) *env {
	t.Helper()
	ctx := testContext(t)
	p := devstacktest.Pipeline(t)
	keyEnc, valEnc, err := app.Encoders(ctx, p.Serde, schema.SummaryTopic)
	if err != nil {
		t.Fatal(err)
	}
	return &env{Pipeline: p, keyEnc: keyEnc, valEnc: valEnc}
}

func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func (e *env) client(t *testing.T, opts ...kgo.Opt) *kgo.Client {
	t.Helper()
	return kafkatest.Client(t, e.Stack.Brokers(), opts...)
}

// writer creates the topics of specs on the stack and returns a client
// of it to write them with, closed when t ends.
func (e *env) writer(ctx context.Context, t *testing.T, specs ...topics.Spec) *kgo.Client {
	t.Helper()
	cl := e.client(t)
	if err := topics.Ensure(ctx, cl, specs...); err != nil {
		t.Fatal(err)
	}
	return cl
}

func (e *env) key(t *testing.T, region string, start time.Time) []byte {
	t.Helper()
	k, err := e.keyEnc.Append(nil, &schema.SummaryKey{Region: region, WindowStart: start.UnixMilli()})
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func (e *env) value(t *testing.T, region string, start time.Time, sales money.Cents, orders int64) []byte {
	t.Helper()
	v, err := e.valEnc.Append(nil, &schema.SummaryValue{
		Region: region, Sales: schema.AppendDecimal(nil, sales), Orders: orders,
		WindowStart: start.UnixMilli(), WindowEnd: start.Add(10 * time.Minute).UnixMilli(),
	})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// summary is a record of the summary topic; a nil value is a tombstone.
func (e *env) summary(t *testing.T, topic, region string, start time.Time, sales money.Cents, orders int64) *kgo.Record {
	return &kgo.Record{Topic: topic, Key: e.key(t, region, start), Value: e.value(t, region, start, sales, orders)}
}

func (e *env) tombstone(t *testing.T, topic, region string, start time.Time) *kgo.Record {
	return &kgo.Record{Topic: topic, Key: e.key(t, region, start)}
}

// transact produces recs in one transaction and commits or aborts it.
func (e *env) transact(t *testing.T, id string, commit bool, recs ...*kgo.Record) {
	t.Helper()
	ctx := testContext(t)
	tx := e.client(t, kgo.TransactionalID(id))
	if err := tx.BeginTransaction(); err != nil {
		t.Fatal(err)
	}
	if err := tx.ProduceSync(ctx, recs...).FirstErr(); err != nil {
		t.Fatal(err)
	}
	if err := tx.EndTransaction(ctx, kgo.TransactionEndTry(commit)); err != nil {
		t.Fatal(err)
	}
}

func TestRead(t *testing.T) {
	const topic = "summary-test"
	e := newEnv(t)
	ctx := testContext(t)
	cl := e.writer(ctx, t, topics.Spec{Name: topic, Partitions: 3, Compacted: true})
	plain := []*kgo.Record{
		e.summary(t, topic, "Europe", w0, 1000, 1),
		e.summary(t, topic, "Asia", w0, 300, 1),
		e.summary(t, topic, "Europe", w0, 1250, 2), // an update of the first
		e.summary(t, topic, "Asia", w1, 700, 1),
		e.tombstone(t, topic, "Asia", w1),          // deletes the one before
		e.tombstone(t, topic, "North America", w0), // deletes nothing
		{Topic: topic, Key: []byte("not avro"), Value: []byte("junk")},
		{Topic: topic, Key: e.key(t, "Europe", w1), Value: []byte("junk")},
	}
	for _, r := range plain {
		if err := cl.ProduceSync(ctx, r).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}
	e.transact(t, "committed", true, e.summary(t, topic, "Oceania", w2, 500, 1))
	// The aborted transaction comes last, so partitions end on its marker.
	e.transact(t, "aborted", false,
		e.summary(t, topic, "Europe", w1, 99999, 9),
		e.summary(t, topic, "Africa", w0, 100, 1),
		e.tombstone(t, topic, "Europe", w0),
		e.summary(t, topic, "Asia", w0, 1, 1),
	)

	check := func(t *testing.T, res Result) {
		t.Helper()
		want := []Row{
			row("Oceania", w2, 500, 1),
			row("Europe", w0, 1250, 2),
			row("Asia", w0, 300, 1),
		}
		if len(res.Rows) != len(want) {
			t.Fatalf("rows %+v, want %+v", res.Rows, want)
		}
		for i := range want {
			g, w := res.Rows[i], want[i]
			if g.Region != w.Region || !g.WindowStart.Equal(w.WindowStart) || !g.WindowEnd.Equal(w.WindowEnd) ||
				g.Sales != w.Sales || g.Orders != w.Orders || g.WindowStart.Location() != time.UTC {
				t.Errorf("row %d = %+v, want %+v", i, g, w)
			}
		}
		if res.Records != len(plain)+1 {
			t.Errorf("%d records read, want %d (the aborted ones are not read)", res.Records, len(plain)+1)
		}
		if res.Undecodable != 2 || len(res.Errors) != 2 {
			t.Fatalf("%d undecodable, errors %v; want 2", res.Undecodable, res.Errors)
		}
		// The two are on different partitions, read in no set order.
		var keyErrs, valueErrs int
		for _, err := range res.Errors {
			if !errors.Is(err, serde.ErrBadFraming) {
				t.Errorf("error %q, want one of a message that is not framed Avro", err)
			}
			switch {
			case strings.Contains(err.Error(), " key: "):
				keyErrs++
			case strings.Contains(err.Error(), " value: "):
				valueErrs++
			}
		}
		if keyErrs != 1 || valueErrs != 1 {
			t.Errorf("errors %q, want one of a key and one of a value", res.Errors)
		}
	}
	t.Run("Read", func(t *testing.T) {
		res, err := Read(testContext(t), []kgo.Opt{kgo.SeedBrokers(e.Stack.Brokers()...)}, e.Serde, topic)
		if err != nil {
			t.Fatal(err)
		}
		check(t, res)
	})
}

func TestReadEdges(t *testing.T) {
	e := newEnv(t)
	ctx := testContext(t)
	e.writer(ctx, t, topics.Spec{Name: "empty", Partitions: 3, Compacted: true},
		topics.Spec{Name: "aborted-only", Partitions: 1, Compacted: true})
	e.transact(t, "edge", false, e.summary(t, "aborted-only", "Europe", w0, 100, 1))
	tests := []struct {
		name    string
		topic   string
		wantErr error
	}{
		{"empty topic", "empty", nil},
		{"only an aborted transaction", "aborted-only", nil},
		{"missing topic", "missing", topics.ErrNoTopic},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := Read(testContext(t), []kgo.Opt{kgo.SeedBrokers(e.Stack.Brokers()...)}, e.Serde, tt.topic)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("Read error = %v, want %v", err, tt.wantErr)
				}
				if !strings.Contains(err.Error(), "run it first (go run ./cmd/enricher)") {
					t.Errorf("Read error %q does not say to run the enricher", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Rows) != 0 || res.Records != 0 || res.Undecodable != 0 {
				t.Fatalf("Read = %+v, want nothing", res)
			}
		})
	}
}

// TestReadUndecodableCap checks that Errors keeps the first 20 of many
// undecodable records while Undecodable counts them all.
func TestReadUndecodableCap(t *testing.T) {
	const topic = "junk"
	e := newEnv(t)
	ctx := testContext(t)
	cl := e.writer(ctx, t, topics.Spec{Name: topic, Partitions: 1})
	var recs []*kgo.Record
	for range 25 {
		recs = append(recs, &kgo.Record{Topic: topic, Key: []byte{9, 9}, Value: []byte("x")})
	}
	recs = append(recs, e.summary(t, topic, "Europe", w0, 100, 1))
	if err := cl.ProduceSync(ctx, recs...).FirstErr(); err != nil {
		t.Fatal(err)
	}
	res, err := Read(ctx, []kgo.Opt{kgo.SeedBrokers(e.Stack.Brokers()...)}, e.Serde, topic)
	if err != nil {
		t.Fatal(err)
	}
	if res.Records != 26 || res.Undecodable != 25 || len(res.Errors) != 20 || len(res.Rows) != 1 {
		t.Fatalf("records %d undecodable %d errors %d rows %d; want 26, 25, 20, 1", res.Records, res.Undecodable, len(res.Errors), len(res.Rows))
	}
	if !strings.Contains(res.Errors[0].Error(), topic+"[0]@0 key") || !strings.Contains(res.Errors[19].Error(), topic+"[0]@19 key") {
		t.Errorf("errors do not say where: first %q, last %q", res.Errors[0], res.Errors[19])
	}
}

func TestReadCancelled(t *testing.T) {
	e := newEnv(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Read(ctx, []kgo.Opt{kgo.SeedBrokers(e.Stack.Brokers()...)}, e.Serde, "whatever"); err == nil {
		t.Fatal("Read with a cancelled context succeeded")
	}
}
