package serde_test

import (
	"bytes"
	"sync/atomic"
	"testing"

	"github.com/hamba/avro/v2"

	"github.com/salesstream/salesstream/pkg/serde"
)

// countingFastEnc is a fast encoder of saleSchema for *saleRaw that
// counts the values it encodes. It encodes with hamba's general encoder:
// what is tested is when an Encoder uses it.
type countingFastEnc struct {
	schema avro.Schema
	calls  atomic.Int64
}

func (c *countingFastEnc) Schema() avro.Schema { return c.schema }

func (c *countingFastEnc) Append(dst []byte, v any) ([]byte, bool) {
	if _, ok := v.(*saleRaw); !ok {
		return dst, false
	}
	b, err := avro.Marshal(c.schema, v)
	if err != nil {
		return dst, false
	}
	c.calls.Add(1)
	return append(dst, b...), true
}

// TestFastEncoder: an Encoder of the fast encoder's schema uses it for
// its type, behind the same wire header, and the general encoder for any
// other type; an Encoder of another schema version never uses it.
func TestFastEncoder(t *testing.T) {
	fast := &countingFastEnc{schema: avro.MustParse(saleSchema)}
	f := newFixture(t, serde.WithFastEncoder(fast))
	plain := newFixture(t)
	v := saleRaw{PaymentID: 7, CustomerID: 9, Amount: cents(1199), PaymentDate: 1620651846996, City: ptr("Lethbridge"), Country: "Canada"}

	got, err := f.encoder(t, "sales-value", saleSchema).Append([]byte("x"), &v)
	if err != nil {
		t.Fatal(err)
	}
	want, err := plain.encoder(t, "sales-value", saleSchema).Append([]byte("x"), &v)
	if err != nil {
		t.Fatal(err)
	}
	if !f.encoder(t, "sales-value", saleSchema).Fast() || plain.encoder(t, "sales-value", saleSchema).Fast() {
		t.Error("Fast() does not tell the encoder with a fast path from the one without")
	}
	if !bytes.Equal(got, want) || fast.calls.Load() != 1 {
		t.Fatalf("with the fast encoder %x (%d calls), without %x", got, fast.calls.Load(), want)
	}

	// A value (not a pointer) is not the fast encoder's type.
	v1 := f.encoder(t, "sales-value", saleSchema)
	if got, err = v1.Append(nil, v); err != nil || !bytes.Equal(got, want[1:]) {
		t.Fatalf("by value: %x, %v; want %x", got, err, want[1:])
	}
	v2 := f.encoder(t, "sales-value", saleV2)
	if _, err := v2.Append(nil, &saleRawV2{saleRaw: v, Channel: "web"}); err != nil {
		t.Fatal(err)
	}
	if n := fast.calls.Load(); n != 1 || v2.Fast() {
		t.Fatalf("the fast encoder ran %d times, want only for the v1 pointer (v2 Fast() = %v)", n, v2.Fast())
	}
}
