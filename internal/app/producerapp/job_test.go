package producerapp

import (
	"bytes"
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

	"github.com/salesstream/salesstream/internal/app"
	"github.com/salesstream/salesstream/internal/domain/sales"
	"github.com/salesstream/salesstream/internal/domain/schema"
	"github.com/salesstream/salesstream/internal/laptop/devstack/devstacktest"
	"github.com/salesstream/salesstream/internal/pipeline/producer"
	"github.com/salesstream/salesstream/internal/platform/kafkaconn"
	"github.com/salesstream/salesstream/internal/platform/kafkatest"
	"github.com/salesstream/salesstream/internal/platform/registryconn"
	"github.com/salesstream/salesstream/internal/platform/topics"
	"github.com/salesstream/salesstream/pkg/registry"
	"github.com/salesstream/salesstream/pkg/serde"
)

var quiet = slog.New(slog.DiscardHandler)

func writeCSV(t *testing.T, rows string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "sales.csv")
	if err := os.WriteFile(p, []byte(csvHeader+rows), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestJobStrictRefusesBadInput(t *testing.T) {
	s, reg := devstacktest.Start(t, true)
	path := writeCSV(t, jobRows)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	st, err := Job{
		Clients: app.Clients{Kafka: kafkaconn.Config{Brokers: s.Brokers(), Logger: quiet}, Registry: reg},
		Input:   path, Strict: true, Producer: producer.Config{EventTime: producer.Original},
	}.Run(ctx)
	if err == nil || !strings.Contains(err.Error(), "has 3 bad rows of 7") || !strings.Contains(err.Error(), "nothing was sent") {
		t.Fatalf("Run error = %v, want one that counts the 3 bad rows of 7 and says nothing was sent", err)
	}
	if st.Bad != 3 || st.Read != 7 || st.Sent != 0 {
		t.Fatalf("stats read %d bad %d sent %d, want 7, 3, 0", st.Read, st.Bad, st.Sent)
	}
	// Nothing was sent: the job did not even create the sales topic.
	adm := kadm.NewClient(kafkatest.Client(t, s.Brokers()))
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
			s, reg := devstacktest.Start(t, true)
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			st, err := Job{
				Clients: app.Clients{Kafka: kafkaconn.Config{Brokers: s.Brokers(), Logger: quiet}, Registry: reg},
				Input:   writeCSV(t, tt.rows), Strict: tt.strict, Partitions: 2, Producer: producer.Config{EventTime: producer.Original},
			}.Run(ctx)
			if err != nil {
				t.Fatalf("Run: %v", err)
			}
			if st.Sent != int64(tt.sent) || st.Bad != tt.bad {
				t.Fatalf("sent %d bad %d, want %d and %d", st.Sent, st.Bad, tt.sent, tt.bad)
			}
			adm := kadm.NewClient(kafkatest.Client(t, s.Brokers()))
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
			want := map[int32]sales.Sale{}
			for _, w := range jobGood {
				want[w.PaymentID] = w
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
				// Times compare with Equal; the rest of the sale with ==.
				got, wantNoTime := sale, w
				got.PaymentDate, wantNoTime.PaymentDate = time.Time{}, time.Time{}
				if k.CustomerID != w.CustomerID || !sale.PaymentDate.Equal(w.PaymentDate) || got != wantNoTime {
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
		{"schemas not registered", false, "", registry.ErrNotFound, registryconn.RegisterHint},
		{"missing input", true, "/nonexistent/sales.csv", os.ErrNotExist, "input file"},
		{"wrong header", true, "header", nil, "CSV header does not match"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, reg := devstacktest.Start(t, tt.register)
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
			_, err := Job{Clients: app.Clients{Kafka: kafkaconn.Config{Brokers: s.Brokers(), Logger: quiet}, Registry: reg}, Input: input}.Run(ctx)
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
	_, reg := devstacktest.Start(t, true)
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

// jobGood are the good rows of jobRows, as sent with their original
// event times.
var jobGood = []sales.Sale{
	{PaymentID: 11, CustomerID: 7, Amount: 2550, PaymentDate: time.Date(2022, 1, 2, 8, 0, 0, 0, time.UTC), City: "Oslo", Country: "Norway"},
	{PaymentID: 13, CustomerID: 9, Amount: 1, PaymentDate: time.Date(2022, 1, 2, 7, 59, 59, 999e6, time.UTC), City: "Quito", District: "Pichincha", Country: "Ecuador"},
	{PaymentID: 15, CustomerID: 10, Amount: -125, PaymentDate: time.Date(2022, 1, 2, 9, 0, 0, 0, time.UTC), Country: "Kenya"},
	{PaymentID: 17, CustomerID: 12, Amount: 100000, PaymentDate: time.Date(2022, 1, 3, 0, 0, 0, 0, time.UTC), District: "Kanto", Country: "Japan"},
}

// consumeAll returns every committed record of topic, up to its end.
func consumeAll(t *testing.T, brokers []string, topic string) []*kgo.Record {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cl := kafkatest.Client(t, brokers, kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
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

// TestSalesSerdeEncodesFast: the registered sales key and value
// schemas get the fast encoders, which write what hamba writes.
func TestSalesSerdeEncodesFast(t *testing.T) {
	_, reg := devstacktest.Start(t, true)
	ctx := context.Background()
	sd, err := app.SalesSerde(reg)
	if err != nil {
		t.Fatal(err)
	}
	key, val, err := app.Encoders(ctx, sd, schema.SalesTopic)
	if err != nil {
		t.Fatal(err)
	}
	if !key.Fast() || !val.Fast() {
		t.Fatalf("fast encoders: key %v, value %v; want both", key.Fast(), val.Fast())
	}
	gkey, gval, err := app.Encoders(ctx, serde.New(reg), schema.SalesTopic)
	if err != nil {
		t.Fatal(err)
	}
	city := "Lyon"
	v := schema.SaleValue{PaymentID: 1, CustomerID: 2, Amount: schema.AppendDecimal(nil, 499), PaymentDate: 1672617600000, City: &city}
	k := schema.SaleKey{CustomerID: 2}
	for _, c := range []struct {
		fast, general *serde.Encoder
		v             any
	}{{key, gkey, &k}, {val, gval, &v}} {
		got, err1 := c.fast.Append(nil, c.v)
		want, err2 := c.general.Append(nil, c.v)
		if err1 != nil || err2 != nil || !bytes.Equal(got, want) {
			t.Errorf("%T: fast %x (%v), general %x (%v)", c.v, got, err1, want, err2)
		}
	}
}
