package serde_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hamba/avro/v2"

	"github.com/salesstream/salesstream/pkg/registry"
	"github.com/salesstream/salesstream/pkg/registry/registrytest"
	"github.com/salesstream/salesstream/pkg/serde"
	"github.com/salesstream/salesstream/pkg/wire"
)

const saleSchema = `{
  "type": "record", "name": "Sale", "namespace": "test.serde",
  "fields": [
    {"name": "payment_id", "type": "int"},
    {"name": "customer_id", "type": "int"},
    {"name": "amount", "type": {"type": "bytes", "logicalType": "decimal", "precision": 18, "scale": 2}},
    {"name": "payment_date", "type": {"type": "long", "logicalType": "timestamp-millis"}},
    {"name": "city", "type": ["null", "string"], "default": null},
    {"name": "district", "type": ["null", "string"], "default": null},
    {"name": "country", "type": "string"}
  ]
}`

// saleNative uses hamba's native types for the logical types.
type saleNative struct {
	PaymentID   int32     `avro:"payment_id"`
	CustomerID  int32     `avro:"customer_id"`
	Amount      *big.Rat  `avro:"amount"`
	PaymentDate time.Time `avro:"payment_date"`
	City        *string   `avro:"city"`
	District    *string   `avro:"district"`
	Country     string    `avro:"country"`
}

// saleRaw holds the decimal's unscaled bytes and the epoch milliseconds,
// as the pipeline's records do.
type saleRaw struct {
	PaymentID   int32   `avro:"payment_id"`
	CustomerID  int32   `avro:"customer_id"`
	Amount      []byte  `avro:"amount"`
	PaymentDate int64   `avro:"payment_date"`
	City        *string `avro:"city"`
	District    *string `avro:"district"`
	Country     string  `avro:"country"`
}

var quiet = slog.New(slog.DiscardHandler)

func ptr(s string) *string { return &s }

// cents encodes c as the shortest big-endian two's complement bytes.
func cents(c int64) []byte {
	b := big.NewInt(c).Bytes()
	if c >= 0 {
		if len(b) == 0 || b[0]&0x80 != 0 {
			b = append([]byte{0}, b...)
		}
		return b
	}
	n := len(big.NewInt(-c-1).Bytes()) + 1
	out := make([]byte, n)
	for i := range out {
		out[n-1-i] = byte(c >> (8 * i))
	}
	// Drop redundant sign bytes.
	for len(out) > 1 && out[0] == 0xff && out[1]&0x80 != 0 {
		out = out[1:]
	}
	return out
}

type fixture struct {
	reg    *registrytest.Server
	client *registry.Client
	serde  *serde.Serde
}

func newFixture(t *testing.T, opts ...serde.Option) *fixture {
	t.Helper()
	s := registrytest.New(t)
	c, err := registry.New(s.URL, registry.WithLogger(quiet), registry.WithRetries(2, 5*time.Millisecond, 20*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{reg: s, client: c, serde: serde.New(c, append([]serde.Option{serde.WithLogger(quiet)}, opts...)...)}
}

func (f *fixture) encoder(t *testing.T, artifactID, schema string) *serde.Encoder {
	t.Helper()
	if _, _, err := f.client.Register(context.Background(), artifactID, "AVRO", schema); err != nil {
		t.Fatal(err)
	}
	enc, err := f.serde.Encoder(context.Background(), artifactID)
	if err != nil {
		t.Fatal(err)
	}
	return enc
}

func TestRoundTrip(t *testing.T) {
	f := newFixture(t)
	enc := f.encoder(t, "sales-value", saleSchema)
	lookups := f.reg.Count("/ids/")
	ctx := context.Background()
	tests := []struct {
		name  string
		cents int64
		ms    int64
		city  *string
	}{
		{"typical", 1199, 1620651846996, ptr("Lethbridge")},
		{"null city", 99, 0, nil},
		{"empty city", 1, 1, ptr("")},
		{"negative", -550, -1000, ptr("Åre")},
		{"zero", 0, 1620651846000, nil},
		{"largest with precision 18", 999_999_999_999_999_999, 4102444800000, ptr("x")},
		{"smallest", -999_999_999_999_999_999, 1, nil},
		{"byte boundary", 128, 2, nil},
		{"negative byte boundary", -129, 3, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := saleNative{
				PaymentID: 16050, CustomerID: 269,
				Amount:      new(big.Rat).SetFrac(big.NewInt(tt.cents), big.NewInt(100)),
				PaymentDate: time.UnixMilli(tt.ms).UTC(),
				City:        tt.city, District: ptr("Alberta"), Country: "Canada",
			}
			msg, err := enc.Append([]byte("prefix"), &in)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.HasPrefix(msg, []byte("prefix")) {
				t.Fatal("Append did not append")
			}
			msg = msg[len("prefix"):]
			if id, _, err := wire.Parse(msg); err != nil || id != (wire.ID{Value: enc.ContentID(), Kind: wire.ContentID}) {
				t.Fatalf("header %v, %v; want content id %d", id, err, enc.ContentID())
			}

			var out saleNative
			if err := f.serde.Decode(ctx, msg, nil, false, &out); err != nil {
				t.Fatal(err)
			}
			if out.Amount.Cmp(in.Amount) != 0 || !out.PaymentDate.Equal(in.PaymentDate) || !eqPtr(out.City, in.City) ||
				out.PaymentID != in.PaymentID || out.CustomerID != in.CustomerID || *out.District != "Alberta" || out.Country != "Canada" {
				t.Fatalf("decoded %+v (amount %s), want %+v (amount %s)", out, out.Amount.FloatString(2), in, in.Amount.FloatString(2))
			}

			// The same bytes read as raw cents and epoch milliseconds.
			var raw saleRaw
			if err := f.serde.Decode(ctx, msg, nil, false, &raw); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(raw.Amount, cents(tt.cents)) || raw.PaymentDate != tt.ms || !eqPtr(raw.City, tt.city) {
				t.Fatalf("raw %+v, want amount %x date %d", raw, cents(tt.cents), tt.ms)
			}
			// And raw values encode to the same bytes.
			again, err := enc.Append(nil, &raw)
			if err != nil || !bytes.Equal(again, msg) {
				t.Fatalf("re-encoded raw = %x, %v; want %x", again, err, msg)
			}
		})
	}
	if n := f.reg.Count("/ids/") - lookups; n != 0 {
		t.Fatalf("decoding made %d id lookups; the encoder's schema should be cached", n)
	}
}

func eqPtr(a, b *string) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return *a == *b
}

func TestEncodeErrors(t *testing.T) {
	f := newFixture(t)
	enc := f.encoder(t, "sales-value", saleSchema)
	native := saleNative{Amount: new(big.Rat).SetInt(new(big.Int).Exp(big.NewInt(10), big.NewInt(17), nil)), Country: "x"}
	tests := []struct {
		name string
		v    any
	}{
		{"precision exceeded", &native},
		{"wrong type", &struct {
			PaymentID string `avro:"payment_id"`
		}{"x"}},
		{"not a record", 42},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dst := []byte{1, 2}
			got, err := enc.Append(dst, tt.v)
			if err == nil {
				t.Fatal("no error")
			}
			if !bytes.Equal(got, dst) {
				t.Fatalf("dst changed to %v on error", got)
			}
			if !strings.Contains(err.Error(), "sales-value") {
				t.Fatalf("error %q does not name the artifact", err)
			}
		})
	}
}

func TestEncoderLookups(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	_, err := f.serde.Encoder(ctx, "pagila.sales.avro-value")
	// The library's words: the programs add how their users register.
	want := "artifact pagila.sales.avro-value not found in registry " + f.reg.URL
	if !errors.Is(err, registry.ErrNotFound) || err.Error() != want {
		t.Fatalf("error %v, want %q", err, want)
	}

	f.reg.Put("default", "broken-value", "AVRO", `{"type":"record","name":"X","fields":[{"name":"a","type":"nope"}]}`)
	if _, err := f.serde.Encoder(ctx, "broken-value"); !errors.Is(err, serde.ErrBadSchema) {
		t.Fatalf("invalid schema: %v", err)
	}

	// An Encoder picks the latest version.
	f.encoder(t, "evolving-value", saleSchema)
	v2 := strings.Replace(saleSchema, `{"name": "country", "type": "string"}`, `{"name": "country", "type": "string"}, {"name": "note", "type": "string", "default": ""}`, 1)
	enc := f.encoder(t, "evolving-value", v2)
	if enc.Meta().Version != "2" || len(enc.Schema().(*avro.RecordSchema).Fields()) != 8 {
		t.Fatalf("encoder of version %s with %v", enc.Meta().Version, enc.Schema())
	}
}

func TestDecodeFramings(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	// Register through the registry only, so the Serde has nothing cached.
	gid, cid := f.reg.Put("default", "sales-value", "AVRO", saleSchema)
	keyGID, keyCID := f.reg.Put("default", "sales-key", "AVRO", `{"type":"record","name":"Key","fields":[{"name":"customer_id","type":"int"}]}`)
	schema := avro.MustParse(saleSchema)
	payload, err := avro.Marshal(schema, saleRaw{PaymentID: 7, Amount: cents(1199), PaymentDate: 42, Country: "Chile"})
	if err != nil {
		t.Fatal(err)
	}
	keyPayload := []byte{0x12} // customer_id 9, zig-zag

	headers := func(kv ...any) func(string) ([]byte, bool) {
		m := map[string][]byte{}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i].(string)] = wire.AppendHeaderValue(nil, kv[i+1].(int64))
		}
		return func(k string) ([]byte, bool) { v, ok := m[k]; return v, ok }
	}
	tests := []struct {
		name    string
		msg     []byte
		headers func(string) ([]byte, bool)
		isKey   bool
		lookup  string
	}{
		{"content id", append(wire.AppendHeader(nil, cid), payload...), nil, false, fmt.Sprintf("/ids/contentIds/%d", cid)},
		{"Apicurio 2 global id", append(wire.AppendGlobalIDHeader(nil, gid), payload...), nil, false, fmt.Sprintf("/ids/globalIds/%d", gid)},
		{"no id headers", append(wire.AppendHeader(nil, cid), payload...), headers("trace", int64(1)), false, ""},
		{"value global id header", payload, headers(wire.HeaderValueGlobalID, gid), false, ""},
		{"value content id header", payload, headers(wire.HeaderValueContentID, cid, wire.HeaderKeyContentID, keyCID), false, ""},
		{"key global id header", keyPayload, headers(wire.HeaderKeyGlobalID, keyGID, wire.HeaderValueGlobalID, gid), true, fmt.Sprintf("/ids/globalIds/%d", keyGID)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := f.reg.Count("/ids/")
			if tt.isKey {
				var k struct {
					CustomerID int32 `avro:"customer_id"`
				}
				if err := f.serde.Decode(ctx, tt.msg, tt.headers, true, &k); err != nil || k.CustomerID != 9 {
					t.Fatalf("key = %+v, %v", k, err)
				}
			} else {
				var v saleRaw
				if err := f.serde.Decode(ctx, tt.msg, tt.headers, false, &v); err != nil {
					t.Fatal(err)
				}
				if v.PaymentID != 7 || v.Country != "Chile" || !bytes.Equal(v.Amount, cents(1199)) || v.PaymentDate != 42 || v.City != nil {
					t.Fatalf("decoded %+v", v)
				}
			}
			if tt.lookup != "" && (f.reg.Count(tt.lookup) != 1 || f.reg.Count("/ids/") != before+1) {
				t.Fatalf("requests %v, want one lookup of %s", f.reg.Requests(), tt.lookup)
			}
		})
	}
	// Every id is now cached: decoding again makes no request.
	before := len(f.reg.Requests())
	for _, tt := range tests {
		var v saleRaw
		if tt.isKey {
			continue
		}
		if err := f.serde.Decode(ctx, tt.msg, tt.headers, false, &v); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(f.reg.Requests()); n != before {
		t.Fatalf("%d requests after warm-up", n-before)
	}
}

func TestIDWidth(t *testing.T) {
	f := newFixture(t, serde.WithIDWidth(8))
	ctx := context.Background()
	gid, cid := f.reg.Put("default", "k", "AVRO", `"long"`)
	var v int64
	if err := f.serde.Decode(ctx, append(wire.AppendGlobalIDHeader(nil, gid), 0x54), nil, false, &v); err != nil || v != 42 {
		t.Fatalf("8-byte id: %d, %v", v, err)
	}
	err := f.serde.Decode(ctx, append(wire.AppendHeader(nil, cid), 0x54), nil, false, &v)
	if !errors.Is(err, serde.ErrBadFraming) || !errors.Is(err, wire.ErrShort) {
		t.Fatalf("4-byte id with width 8: %v", err)
	}
	defer func() {
		if recover() == nil {
			t.Fatal("WithIDWidth(5) did not panic")
		}
	}()
	serde.New(f.client, serde.WithIDWidth(5))
}

func TestDecodeErrors(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	enc := f.encoder(t, "sales-value", saleSchema)
	good, err := enc.Append(nil, &saleRaw{Amount: cents(5), Country: "Peru", City: ptr("Lima")})
	if err != nil {
		t.Fatal(err)
	}
	_, badCID := f.reg.Put("default", "broken-value", "AVRO", `{"type":"enum","name":"E","symbols":[]}x`)
	tests := []struct {
		name    string
		msg     []byte
		headers func(string) ([]byte, bool)
		v       any
		want    []error
		text    string
	}{
		{name: "empty", msg: nil, want: []error{serde.ErrBadFraming, wire.ErrNoMagic}},
		{name: "json", msg: []byte(`{"payment_id":1}`), want: []error{serde.ErrBadFraming, wire.ErrNoMagic}},
		{name: "short", msg: []byte{0, 0, 1}, want: []error{serde.ErrBadFraming, wire.ErrShort}},
		{name: "bad id header", msg: good, headers: func(k string) ([]byte, bool) { return []byte{1}, k == wire.HeaderValueGlobalID },
			want: []error{serde.ErrBadFraming, wire.ErrBadHeader}},
		{name: "unknown content id", msg: append(wire.AppendHeader(nil, 4242), good[5:]...),
			want: []error{serde.ErrUnknownSchema, registry.ErrNotFound}, text: "unknown schema id: content id 4242 not found in registry " + f.reg.URL},
		{name: "unknown global id", msg: append(wire.AppendGlobalIDHeader(nil, 777), good[5:]...),
			want: []error{serde.ErrUnknownSchema, registry.ErrNotFound}, text: "global id 777 not found"},
		{name: "invalid registered schema", msg: append(wire.AppendHeader(nil, badCID), 0), want: []error{serde.ErrBadSchema}},
		{name: "truncated payload", msg: good[:len(good)-2], want: []error{serde.ErrBadPayload}, text: "test.serde.Sale with the schema of contentId"},
		{name: "trailing bytes", msg: append(append([]byte{}, good...), 0, 0), want: []error{serde.ErrBadPayload}, text: "bytes left over"},
		{name: "negative string length", msg: append(wire.AppendHeader(nil, enc.ContentID()), 2, 2, 1, 0), want: []error{serde.ErrBadPayload}},
		{name: "huge length", msg: append(wire.AppendHeader(nil, enc.ContentID()), 2, 2, 0xfe, 0xff, 0xff, 0xff, 0x0f), want: []error{serde.ErrBadPayload}},
		{name: "not a pointer", msg: good, v: saleRaw{}, want: []error{serde.ErrBadPayload}},
		{name: "incompatible type", msg: good, v: new(string), want: []error{serde.ErrBadPayload}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := tt.v
			if v == nil {
				v = new(saleRaw)
			}
			err := f.serde.Decode(ctx, tt.msg, tt.headers, false, v)
			for _, w := range tt.want {
				if !errors.Is(err, w) {
					t.Errorf("error %v does not match %v", err, w)
				}
			}
			if serde.IsRetryable(err) {
				t.Errorf("poison error %v is retryable", err)
			}
			if tt.text != "" && (err == nil || !strings.Contains(err.Error(), tt.text)) {
				t.Errorf("error %v lacks %q", err, tt.text)
			}
		})
	}
}

// TestTruncatedAtEveryByte cuts a message at every length: none may decode,
// since a record never ends before its last field.
func TestTruncatedAtEveryByte(t *testing.T) {
	f := newFixture(t)
	enc := f.encoder(t, "sales-value", saleSchema)
	good, err := enc.Append(nil, &saleRaw{Amount: cents(1199), Country: "Peru", City: ptr("Lima"), District: ptr("Lima")})
	if err != nil {
		t.Fatal(err)
	}
	for n := 5; n < len(good); n++ {
		err := f.serde.Decode(context.Background(), good[:n], nil, false, new(saleRaw))
		if !errors.Is(err, serde.ErrBadPayload) {
			t.Errorf("cut at %d of %d bytes: error %v, want ErrBadPayload", n, len(good), err)
		}
	}
}

func TestUnknownIDsAreRememberedBriefly(t *testing.T) {
	clk := registrytest.NewClock(time.Unix(1e9, 0))
	f := newFixture(t, serde.WithClock(clk.Now), serde.WithNegativeTTL(10*time.Second))
	ctx := context.Background()
	msg := append(wire.AppendHeader(nil, 3), 1) // content id 3, true
	steps := []struct {
		advance  time.Duration
		register bool
		lookups  int
		known    bool
	}{
		{0, false, 1, false},
		{5 * time.Second, false, 1, false},
		// Registered meanwhile, but still remembered as unknown.
		{4 * time.Second, true, 1, false},
		{time.Second, false, 2, true},
		{time.Hour, false, 2, true},
	}
	for i, st := range steps {
		clk.Advance(st.advance)
		if st.register {
			f.reg.Put("default", "a", "AVRO", `"int"`)
			f.reg.Put("default", "b", "AVRO", `"long"`)
			if _, cid := f.reg.Put("default", "c", "AVRO", `"boolean"`); cid != 3 {
				t.Fatalf("content id %d, want 3", cid)
			}
		}
		var b bool
		err := f.serde.Decode(ctx, msg, nil, false, &b)
		if st.known != (err == nil) || (!st.known && !errors.Is(err, serde.ErrUnknownSchema)) || (st.known && !b) {
			t.Fatalf("step %d: %v, %v; known %v", i, b, err, st.known)
		}
		if n := f.reg.Count("/ids/contentIds/3"); n != st.lookups {
			t.Fatalf("step %d: %d lookups, want %d", i, n, st.lookups)
		}
	}
}

func TestRegistryOutage(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	_, cid := f.reg.Put("default", "a", "AVRO", `"int"`)
	msg := append(wire.AppendHeader(nil, cid), 2)
	f.reg.Inject(registrytest.Fault{Status: 503, Times: 3, PathContains: "/ids/"})
	var v int32
	err := f.serde.Decode(ctx, msg, nil, false, &v)
	if !serde.IsRetryable(err) || !errors.Is(err, serde.ErrRegistryUnavailable) || errors.Is(err, serde.ErrUnknownSchema) {
		t.Fatalf("outage: %v", err)
	}
	// Not remembered: the next attempt asks again and succeeds.
	if err := f.serde.Decode(ctx, msg, nil, false, &v); err != nil || v != 1 {
		t.Fatalf("after the outage: %d, %v", v, err)
	}
	if n := f.reg.Count("/ids/"); n != 4 {
		t.Fatalf("%d lookups, want 4", n)
	}

	// A registry that refuses the credentials is a configuration problem
	// to wait out, not a poison message.
	_, cid2 := f.reg.Put("default", "b", "AVRO", `"long"`)
	f.reg.RequireAuth(func(*http.Request) bool { return false })
	err = f.serde.Decode(ctx, append(wire.AppendHeader(nil, cid2), 2), nil, false, new(int64))
	if !serde.IsRetryable(err) || !errors.Is(err, registry.ErrAuth) || errors.Is(err, serde.ErrUnknownSchema) {
		t.Fatalf("refused credentials: %v", err)
	}
}

func TestAbandonedLookupIsNotRemembered(t *testing.T) {
	f := newFixture(t)
	_, cid := f.reg.Put("default", "a", "AVRO", `"int"`)
	msg := append(wire.AppendHeader(nil, cid), 2)
	f.reg.Inject(registrytest.Fault{Delay: time.Minute, PathContains: "/ids/"})
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	var v int32
	err := f.serde.Decode(ctx, msg, nil, false, &v)
	if !errors.Is(err, context.DeadlineExceeded) || serde.IsRetryable(err) || errors.Is(err, serde.ErrUnknownSchema) {
		t.Fatalf("abandoned lookup: %v", err)
	}
	if err := f.serde.Decode(context.Background(), msg, nil, false, &v); err != nil || v != 1 {
		t.Fatalf("next lookup: %d, %v", v, err)
	}
}

func TestConcurrentDecode(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	gid, cid := f.reg.Put("default", "sales-value", "AVRO", saleSchema)
	_, intCID := f.reg.Put("default", "n", "AVRO", `"int"`)
	payload, err := avro.Marshal(avro.MustParse(saleSchema), saleRaw{PaymentID: 3, Amount: cents(1050), Country: "Japan"})
	if err != nil {
		t.Fatal(err)
	}
	msgs := [][]byte{
		append(wire.AppendHeader(nil, cid), payload...),
		append(wire.AppendGlobalIDHeader(nil, gid), payload...),
		append(wire.AppendHeader(nil, intCID), 0x54),
	}
	// Slow first lookups, so that the goroutines miss the cache together.
	f.reg.Inject(registrytest.Fault{Delay: 100 * time.Millisecond, Times: 3, PathContains: "/ids/"})
	const goroutines, rounds = 16, 200
	var wg sync.WaitGroup
	errs := make(chan error, goroutines)
	for g := range goroutines {
		wg.Go(func() {
			for i := range rounds {
				m := msgs[(g+i)%len(msgs)]
				if (g+i)%len(msgs) == 2 {
					var n int32
					if err := f.serde.Decode(ctx, m, nil, false, &n); err != nil || n != 42 {
						errs <- fmt.Errorf("int: %d, %v", n, err)
						return
					}
					continue
				}
				var v saleRaw
				if err := f.serde.Decode(ctx, m, nil, false, &v); err != nil || v.PaymentID != 3 || v.Country != "Japan" || !bytes.Equal(v.Amount, cents(1050)) {
					errs <- fmt.Errorf("sale: %+v, %v", v, err)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	for _, path := range []string{fmt.Sprintf("/ids/contentIds/%d", cid), fmt.Sprintf("/ids/globalIds/%d", gid), fmt.Sprintf("/ids/contentIds/%d", intCID)} {
		if n := f.reg.Count(path); n != 1 {
			t.Errorf("%d lookups of %s for %d decodes, want 1", n, path, goroutines*rounds)
		}
	}
}

// benchSale is a sale-like record as the pipeline encodes it.
func benchSale() *saleRaw {
	return &saleRaw{
		PaymentID: 16050, CustomerID: 269, Amount: cents(1199), PaymentDate: 1620651846996,
		City: ptr("Lethbridge"), District: ptr("Alberta"), Country: "Canada",
	}
}

func BenchmarkEncode(b *testing.B) {
	f := newBenchFixture(b)
	enc, err := f.serde.Encoder(context.Background(), "sales-value")
	if err != nil {
		b.Fatal(err)
	}
	v := benchSale()
	buf := make([]byte, 0, 256)
	b.ReportAllocs()
	for b.Loop() {
		if buf, err = enc.Append(buf[:0], v); err != nil {
			b.Fatal(err)
		}
	}
	b.SetBytes(int64(len(buf)))
}

func BenchmarkDecode(b *testing.B) {
	f := newBenchFixture(b)
	ctx := context.Background()
	enc, err := f.serde.Encoder(ctx, "sales-value")
	if err != nil {
		b.Fatal(err)
	}
	msg, err := enc.Append(nil, benchSale())
	if err != nil {
		b.Fatal(err)
	}
	var v saleRaw
	b.ReportAllocs()
	b.SetBytes(int64(len(msg)))
	for b.Loop() {
		if err := f.serde.Decode(ctx, msg, nil, false, &v); err != nil {
			b.Fatal(err)
		}
	}
}

func newBenchFixture(b *testing.B) *fixture {
	s := registrytest.New(b)
	s.Put("default", "sales-value", "AVRO", saleSchema)
	c, err := registry.New(s.URL, registry.WithLogger(quiet))
	if err != nil {
		b.Fatal(err)
	}
	return &fixture{reg: s, client: c, serde: serde.New(c, serde.WithLogger(quiet))}
}

// FuzzDecode checks that no payload makes Decode panic, and that every
// failure to decode a payload under a known schema is ErrBadPayload.
func FuzzDecode(f *testing.F) {
	s := registrytest.New(f)
	s.Put("default", "sales-value", "AVRO", saleSchema)
	c, err := registry.New(s.URL, registry.WithLogger(quiet))
	if err != nil {
		f.Fatal(err)
	}
	sd := serde.New(c, serde.WithLogger(quiet))
	enc, err := sd.Encoder(context.Background(), "sales-value")
	if err != nil {
		f.Fatal(err)
	}
	good, err := enc.Append(nil, benchSale())
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good[5:])
	f.Add([]byte{2, 2, 1, 0})
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01})
	f.Fuzz(func(t *testing.T, payload []byte) {
		msg := append(wire.AppendHeader(nil, enc.ContentID()), payload...)
		for _, v := range []any{new(saleRaw), new(saleNative), new(any)} {
			if err := sd.Decode(context.Background(), msg, nil, false, v); err != nil && !errors.Is(err, serde.ErrBadPayload) {
				t.Fatalf("payload %x into %T: %v", payload, v, err)
			}
		}
	})
}

// TestRememberedFailuresAreBounded: poison messages naming ever new
// schema ids remember at most MaxRemembered of them, dropping the expired
// ones first, and an id that finds no room is looked up again.
func TestRememberedFailuresAreBounded(t *testing.T) {
	clk := registrytest.NewClock(time.Unix(1e9, 0))
	f := newFixture(t, serde.WithClock(clk.Now), serde.WithNegativeTTL(10*time.Second))
	ctx := context.Background()
	decode := func(id int64) error {
		var b bool
		return f.serde.Decode(ctx, append(wire.AppendHeader(nil, id), 1), nil, false, &b)
	}
	for _, tc := range []struct {
		name    string
		advance time.Duration
		ids     []int64
		cached  int
	}{
		{"fill", 0, idRange(1000, serde.MaxRemembered), serde.MaxRemembered},
		{"full: new ids are not remembered", 0, idRange(5000, 10), serde.MaxRemembered},
		{"expired ones make room", 11 * time.Second, idRange(9000, 10), 10},
	} {
		clk.Advance(tc.advance)
		for _, id := range tc.ids {
			if err := decode(id); !errors.Is(err, serde.ErrUnknownSchema) {
				t.Fatalf("%s: id %d: %v, want unknown schema", tc.name, id, err)
			}
		}
		if n := f.serde.Cached(); n != tc.cached {
			t.Fatalf("%s: %d ids cached, want %d", tc.name, n, tc.cached)
		}
	}
	// An id that found no room is asked again; a remembered one is not.
	before := f.reg.Count("/ids/contentIds/5000")
	if err := decode(5000); !errors.Is(err, serde.ErrUnknownSchema) {
		t.Fatal(err)
	}
	if n := f.reg.Count("/ids/contentIds/5000"); n != before+1 {
		t.Fatalf("id 5000 looked up %d times, want %d", n, before+1)
	}
	before = f.reg.Count("/ids/contentIds/9000")
	if err := decode(9000); !errors.Is(err, serde.ErrUnknownSchema) {
		t.Fatal(err)
	}
	if n := f.reg.Count("/ids/contentIds/9000"); n != before {
		t.Fatalf("id 9000 looked up %d times, want %d (remembered)", n, before)
	}
}

func idRange(from int64, n int) []int64 {
	out := make([]int64, n)
	for i := range out {
		out[i] = from + int64(i)
	}
	return out
}
