package producerapp

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/salesstream/salesstream/internal/domain/schema"
	"github.com/salesstream/salesstream/internal/laptop/devstack"
	"github.com/salesstream/salesstream/internal/pipeline/producer"
	"github.com/salesstream/salesstream/internal/pipeline/registrar"
	"github.com/salesstream/salesstream/internal/platform/kafkaconn"
	"github.com/salesstream/salesstream/internal/platform/topics"
	"github.com/salesstream/salesstream/pkg/registry"
	"github.com/salesstream/salesstream/pkg/serde"
)

var quiet = slog.New(slog.DiscardHandler)

// jobStack starts an embedded stack and returns it with a registry client,
// the schemas registered when register is set.
func jobStack(t *testing.T, register bool) (*devstack.Stack, *registry.Client) {
	t.Helper()
	ctx := context.Background()
	s, err := devstack.Start(ctx, devstack.Config{KafkaAddr: "127.0.0.1:0", RegistryAddr: "127.0.0.1:0", Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	reg, err := registry.New(s.RegistryURL(), registry.WithLogger(quiet))
	if err != nil {
		t.Fatal(err)
	}
	if register {
		if _, err := registrar.Register(ctx, reg, schema.Artifacts(), registrar.Rules{}); err != nil {
			t.Fatal(err)
		}
	}
	return s, reg
}

func writeCSV(t *testing.T, rows string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "sales.csv")
	if err := os.WriteFile(p, []byte(csvHeader+rows), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestJobStrictRefusesBadInput(t *testing.T) {
	s, reg := jobStack(t, true)
	path := writeCSV(t, jobRows)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	st, err := Job{
		Kafka: kafkaconn.Config{Brokers: s.Brokers(), Logger: quiet}, Registry: reg,
		Input: path, Strict: true, Producer: producer.Config{EventTime: producer.Original},
	}.Run(ctx)
	if err == nil || !strings.Contains(err.Error(), "has 3 bad rows of 7") || !strings.Contains(err.Error(), "nothing was sent") {
		t.Fatalf("Run error = %v, want one that counts the 3 bad rows of 7 and says nothing was sent", err)
	}
	if st.Bad != 3 || st.Read != 7 || st.Sent != 0 {
		t.Fatalf("stats read %d bad %d sent %d, want 7, 3, 0", st.Read, st.Bad, st.Sent)
	}
	// Nothing was sent: the job did not even create the sales topic.
	adm := kadm.NewClient(newClient(t, s.Brokers()))
	tds, err := adm.ListTopics(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if tds.Has(schema.SalesTopic) {
		t.Fatalf("the sales topic exists after a refused strict run")
	}
}

func TestJobSendsCSV(t *testing.T) {
	tests := []struct {
		name   string
		strict bool
		rows   string
		sent   int
		bad    int64
	}{
		{"bad rows kept aside", false, jobRows, 4, 3},
		{"strict, clean input", true, "11|7|25.50|2022-01-02 08:00:00+00|Oslo||Norway\n17|12|1000.00|2022-01-03 00:00:00+00||Kanto|Japan\n", 2, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, reg := jobStack(t, true)
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			st, err := Job{
				Kafka: kafkaconn.Config{Brokers: s.Brokers(), Logger: quiet}, Registry: reg,
				Input: writeCSV(t, tt.rows), Strict: tt.strict, Partitions: 2, Producer: producer.Config{EventTime: producer.Original},
			}.Run(ctx)
			if err != nil {
				t.Fatalf("Run: %v", err)
			}
			if st.Sent != int64(tt.sent) || st.Bad != tt.bad {
				t.Fatalf("sent %d bad %d, want %d and %d", st.Sent, st.Bad, tt.sent, tt.bad)
			}
			adm := kadm.NewClient(newClient(t, s.Brokers()))
			tds, err := adm.ListTopics(ctx, schema.SalesTopic, schema.SalesCSV+".dlq")
			if err != nil {
				t.Fatal(err)
			}
			if n := len(tds[schema.SalesTopic].Partitions); n != 2 {
				t.Errorf("sales topic has %d partitions, want 2", n)
			}
			if n := len(tds[schema.SalesCSV+".dlq"].Partitions); n != 1 {
				t.Errorf("reject topic has %d partitions, want 1", n)
			}

			// The records decode with the registered schemas to the rows.
			sd := serde.New(reg)
			recs := consumeAll(t, s.Brokers(), schema.SalesTopic)
			if len(recs) != tt.sent {
				t.Fatalf("%d records on the sales topic, want %d", len(recs), tt.sent)
			}
			want := map[int32]wantSale{}
			for _, w := range jobGood {
				want[w.id] = w
			}
			for _, r := range recs {
				var k schema.SaleKey
				if err := sd.Decode(ctx, r.Key, nil, true, &k); err != nil {
					t.Fatalf("decode key: %v", err)
				}
				var v schema.SaleValue
				if err := sd.Decode(ctx, r.Value, nil, false, &v); err != nil {
					t.Fatalf("decode value: %v", err)
				}
				sale, err := v.Sale()
				if err != nil {
					t.Fatal(err)
				}
				w, ok := want[sale.PaymentID]
				if !ok {
					t.Fatalf("unexpected payment %d", sale.PaymentID)
				}
				delete(want, sale.PaymentID)
				if k.CustomerID != w.customer || sale.CustomerID != w.customer || int64(sale.Amount) != w.cents ||
					!sale.PaymentDate.Equal(w.original.Truncate(time.Millisecond)) || sale.City != w.city || sale.District != w.dist || sale.Country != w.country {
					t.Errorf("payment %d decoded as key %+v, %+v; want %+v", sale.PaymentID, k, sale, w)
				}
			}
			if n := len(consumeAll(t, s.Brokers(), schema.SalesCSV+".dlq")); n != int(tt.bad) {
				t.Errorf("%d records on the reject topic, want %d", n, tt.bad)
			}
		})
	}
}

func TestJobErrors(t *testing.T) {
	tests := []struct {
		name     string
		register bool
		input    string // "" writes a clean CSV
		wantIs   error
		want     string
	}{
		{"schemas not registered", false, "", registry.ErrNotFound, registry.RegisterHint},
		{"missing input", true, "/nonexistent/sales.csv", os.ErrNotExist, "input file"},
		{"wrong header", true, "header", nil, "CSV header does not match"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, reg := jobStack(t, tt.register)
			input := tt.input
			switch input {
			case "":
				input = writeCSV(t, "1|10|11.99|2021-05-10 13:00:00+00|||France\n")
			case "header":
				input = filepath.Join(t.TempDir(), "bad.csv")
				if err := os.WriteFile(input, []byte("id|customer|amount\n1|2|3\n"), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			_, err := Job{Kafka: kafkaconn.Config{Brokers: s.Brokers(), Logger: quiet}, Registry: reg, Input: input}.Run(ctx)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Run error = %v, want one containing %q", err, tt.want)
			}
			if tt.wantIs != nil && !errors.Is(err, tt.wantIs) {
				t.Fatalf("Run error = %v, want it to wrap %v", err, tt.wantIs)
			}
		})
	}
}

func TestCSVHeader(t *testing.T) {
	_, reg := jobStack(t, true)
	got, err := CSVHeader(context.Background(), reg)
	if err != nil {
		t.Fatal(err)
	}
	if want := strings.TrimSuffix(strings.ReplaceAll(csvHeader, "|", ","), "\n"); strings.Join(got, ",") != want {
		t.Fatalf("CSVHeader = %v, want %s", got, want)
	}
}

// jobRows are good rows (out of time order) and bad ones between them.
const (
	csvHeader = "payment_id|customer_id|amount|payment_date|city|district|country\n"
	jobRows   = "" +
		"11|7|25.50|2022-01-02 08:00:00+00|Oslo||Norway\n" +
		"12|8|1,00|2022-01-02 08:00:01+00|||Norway\n" + // bad amount
		"13|9|0.01|2022-01-02 07:59:59.999+00|Quito|Pichincha|Ecuador\n" +
		"14|7|3.00|2022-01-02 08:01:00+00|Oslo\n" + // five fields
		"15|10|-1.25|2022-01-02 09:00:00+00|||Kenya\n" +
		"16|11|9.99|not a date|||Kenya\n" + // bad payment_date
		"17|12|1000.00|2022-01-03 00:00:00+00||Kanto|Japan\n"
)

type wantSale struct {
	id, customer int32
	cents        int64
	original     time.Time
	city, dist   string
	country      string
}

// jobGood are the good rows of jobRows.
var jobGood = []wantSale{
	{11, 7, 2550, time.Date(2022, 1, 2, 8, 0, 0, 0, time.UTC), "Oslo", "", "Norway"},
	{13, 9, 1, time.Date(2022, 1, 2, 7, 59, 59, 999e6, time.UTC), "Quito", "Pichincha", "Ecuador"},
	{15, 10, -125, time.Date(2022, 1, 2, 9, 0, 0, 0, time.UTC), "", "", "Kenya"},
	{17, 12, 100000, time.Date(2022, 1, 3, 0, 0, 0, 0, time.UTC), "", "Kanto", "Japan"},
}

func newClient(t *testing.T, brokers []string, opts ...kgo.Opt) *kgo.Client {
	t.Helper()
	cl, err := kgo.NewClient(append([]kgo.Opt{kgo.SeedBrokers(brokers...)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	return cl
}

// consumeAll returns every committed record of topic, up to its end.
func consumeAll(t *testing.T, brokers []string, topic string) []*kgo.Record {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cl := newClient(t, brokers, kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.FetchIsolationLevel(kgo.ReadCommitted()), kgo.KeepControlRecords())
	ends, err := topics.ListEnds(ctx, cl, nil, topic)
	if err != nil {
		t.Fatal(err)
	}
	var out []*kgo.Record
	if err := ends.Consume(ctx, cl, func(r *kgo.Record) error { out = append(out, r); return nil }); err != nil {
		t.Fatalf("read %s: %v", topic, err)
	}
	return out
}
