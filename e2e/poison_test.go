package e2e

import (
	"context"
	"encoding/binary"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/hamba/avro/v2"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/salesstream/salesstream/internal/domain/sales"
	"github.com/salesstream/salesstream/internal/domain/schema"
	"github.com/salesstream/salesstream/internal/pipeline/enricher"
	"github.com/salesstream/salesstream/internal/platform/topics"
)

// poisonKinds are the bad messages mixed into the stream, and a word the
// dead-letter reason of each must contain.
var poisonKinds = []struct {
	name, reason string
}{
	{"not the wire format", "not framed"},
	{"unknown schema id", "unknown schema id"},
	{"truncated Avro", "does not decode"},
	{"missing field", "missing required field"},
	{"absurd payment_date", "payment_date out of range"},
}

// TestPoisonMessages mixes 1,000 bad messages of five kinds into 100,000
// good sales: the summary must equal the batch aggregation of the good
// ones, and the dead-letter topic must hold exactly the 1,000, each with
// its reason and source.
func TestPoisonMessages(t *testing.T) {
	if testing.Short() {
		t.Skip("long: 101,000 messages")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	s := schemaStack(t)
	salesPath := salesFile(t, 100_000, 500*time.Millisecond)

	cl, keyEnc, valEnc := topicWriter(ctx, t, s, schema.SalesTopic)
	if err := topics.Ensure(ctx, cl, topics.Spec{Name: schema.SalesTopic, Partitions: 1}); err != nil {
		t.Fatal(err)
	}

	f, err := os.Open(salesPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := sales.NewReader(f, []string{"payment_id", "customer_id", "amount", "payment_date", "city", "district", "country"})
	if err != nil {
		t.Fatal(err)
	}
	var produceErr error
	promise := func(_ *kgo.Record, err error) {
		if err != nil && produceErr == nil {
			produceErr = err
		}
	}
	bad := 0
	for n := 0; ; n++ {
		sale, err := r.Next()
		if err != nil {
			break
		}
		key, err := keyEnc.Append(nil, &schema.SaleKey{CustomerID: sale.CustomerID})
		if err != nil {
			t.Fatal(err)
		}
		v := schema.NewSaleValue(sale, nil)
		val, err := valEnc.Append(nil, &v)
		if err != nil {
			t.Fatal(err)
		}
		cl.Produce(ctx, &kgo.Record{Key: key, Value: val}, promise)
		if n%100 == 50 {
			cl.Produce(ctx, &kgo.Record{Key: key, Value: poison(t, bad%len(poisonKinds), val, keyEnc.ContentID(), sale)}, promise)
			bad++
		}
	}
	if err := cl.Flush(ctx); err != nil || produceErr != nil {
		t.Fatalf("produce: %v %v", err, produceErr)
	}
	if bad != 1000 {
		t.Fatalf("mixed %d bad messages, want 1000", bad)
	}

	out := mustRun(t, s, "enricher", "--once", "--regions", "../data/regions.csv", "--log-level", "error")
	if !strings.Contains(out.stdout, "1000 dead-lettered") {
		t.Errorf("enricher did not report 1000 dead-lettered:\n%s", out.stdout)
	}
	assertSummary(t, s, salesPath, "../data/regions.csv")

	dead := readAll(ctx, t, s, schema.DeadLetterTopic, kgo.ReadCommitted())
	counts := map[int]int{}
	n := 0
	for _, rec := range dead {
		if rec.Attrs.IsControl() {
			continue
		}
		n++
		h := headerMap(rec)
		if h[enricher.HeaderTopic] != schema.SalesTopic || h[enricher.HeaderPartition] != "0" || h[enricher.HeaderOffset] == "" {
			t.Errorf("dead letter at %d lacks its source: %v", rec.Offset, h)
		}
		found := false
		for i, k := range poisonKinds {
			if strings.Contains(h[enricher.HeaderError], k.reason) {
				counts[i]++
				found = true
				break
			}
		}
		if !found {
			t.Errorf("dead letter at %d has an unexpected reason %q", rec.Offset, h[enricher.HeaderError])
		}
	}
	if n != 1000 {
		t.Errorf("dead-letter topic holds %d records, want 1000", n)
	}
	for i, k := range poisonKinds {
		if counts[i] != 200 {
			t.Errorf("%d dead letters of kind %q, want 200", counts[i], k.name)
		}
	}
}

// poison returns a bad message of kind i, made from a good value.
func poison(t *testing.T, i int, good []byte, keyContentID int64, sale sales.Sale) []byte {
	t.Helper()
	switch i {
	case 0: // JSON where Avro was expected
		return []byte(`{"payment_id": 1, "amount": "11.99"}`)
	case 1: // framed, but with an id no registry knows
		b := append([]byte{0}, binary.BigEndian.AppendUint32(nil, 987654)...)
		return append(b, good[5:]...)
	case 2: // the right id, the payload cut short
		return good[:len(good)/2]
	case 3: // the key's schema where the value's was expected: no country
		keySchema, err := schema.Parse(schema.KeyArtifact(schema.SalesTopic))
		if err != nil {
			t.Fatal(err)
		}
		payload, err := avro.Marshal(keySchema, &schema.SaleKey{CustomerID: sale.CustomerID})
		if err != nil {
			t.Fatal(err)
		}
		b := append([]byte{0}, binary.BigEndian.AppendUint32(nil, uint32(keyContentID))...)
		return append(b, payload...)
	default: // a sale in the year 2500
		v := schema.NewSaleValue(sale, nil)
		v.PaymentDate = time.Date(2500, 1, 1, 0, 0, 0, 0, time.UTC).UnixMilli()
		valSchema, err := schema.Parse(schema.ValueArtifact(schema.SalesTopic))
		if err != nil {
			t.Fatal(err)
		}
		payload, err := avro.Marshal(valSchema, &v)
		if err != nil {
			t.Fatal(err)
		}
		return append(append([]byte(nil), good[:5]...), payload...)
	}
}

func headerMap(r *kgo.Record) map[string]string {
	m := map[string]string{}
	for _, h := range r.Headers {
		m[h.Key] = string(h.Value)
	}
	return m
}
