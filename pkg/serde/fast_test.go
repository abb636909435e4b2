package serde_test

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/hamba/avro/v2"

	"github.com/salesstream/salesstream/pkg/serde"
)

// countingFast is a fast decoder of saleSchema into *saleRaw that counts
// its calls and, when refuse is set, refuses every payload. It decodes
// with hamba's general decoder: what is tested is when Serde uses it.
type countingFast struct {
	schema avro.Schema
	calls  atomic.Int64
	refuse bool
}

func (c *countingFast) Schema() avro.Schema { return c.schema }

func (c *countingFast) Decode(payload []byte, v any) bool {
	c.calls.Add(1)
	if _, ok := v.(*saleRaw); !ok || c.refuse {
		return false
	}
	return avro.Unmarshal(c.schema, payload, v) == nil
}

// saleV2 is saleSchema evolved: a new field with a default, so its
// canonical form differs.
var saleV2 = strings.Replace(saleSchema, `{"name": "country", "type": "string"}`,
	`{"name": "country", "type": "string"}, {"name": "channel", "type": "string", "default": "store"}`, 1)

type saleRawV2 struct {
	saleRaw
	Channel string `avro:"channel"`
}

// TestFastDecoder: the fast path serves the writer schema it was written
// for; a message of a second writer schema version decodes through the
// general decoder into the same Go type; a payload the fast path refuses
// gets the general decoder's result or error.
func TestFastDecoder(t *testing.T) {
	fast := &countingFast{schema: avro.MustParse(saleSchema)}
	f := newFixture(t, serde.WithFastDecoder(fast))
	ctx := context.Background()
	v1 := f.encoder(t, "sales-value", saleSchema)
	want := saleRaw{PaymentID: 7, CustomerID: 9, Amount: cents(1199), PaymentDate: 1620651846996, City: ptr("Lethbridge"), Country: "Canada"}
	msg, err := v1.Append(nil, &want)
	if err != nil {
		t.Fatal(err)
	}
	var got saleRaw
	if err := f.serde.Decode(ctx, msg, nil, false, &got); err != nil || got.Country != "Canada" || got.PaymentID != 7 {
		t.Fatalf("v1: %+v, %v", got, err)
	}
	if n := fast.calls.Load(); n != 1 {
		t.Fatalf("the fast path ran %d times for a v1 message, want 1", n)
	}

	v2 := f.encoder(t, "sales-value", saleV2)
	msg2, err := v2.Append(nil, &saleRawV2{saleRaw: want, Channel: "web"})
	if err != nil {
		t.Fatal(err)
	}
	got = saleRaw{}
	if err := f.serde.Decode(ctx, msg2, nil, false, &got); err != nil || got.Country != "Canada" || *got.City != "Lethbridge" {
		t.Fatalf("v2 into the v1 type: %+v, %v", got, err)
	}
	if n := fast.calls.Load(); n != 1 {
		t.Fatalf("the fast path ran for a message of another writer schema (%d calls)", n)
	}

	fast.refuse = true
	got = saleRaw{}
	if err := f.serde.Decode(ctx, msg, nil, false, &got); err != nil || got.Country != "Canada" {
		t.Fatalf("refused by the fast path, the general decoder gave %+v, %v", got, err)
	}
	err = f.serde.Decode(ctx, msg[:len(msg)-2], nil, false, &got)
	if !errors.Is(err, serde.ErrBadPayload) {
		t.Fatalf("a truncated message: %v, want ErrBadPayload from the general decoder", err)
	}
}
