package schema

import (
	"bytes"
	"math"
	"math/rand/v2"
	"reflect"
	"testing"

	"github.com/hamba/avro/v2"

	"github.com/salesstream/salesstream/internal/domain/money"
)

func randomSale(rng *rand.Rand) SaleValue {
	str := func() *string {
		switch rng.IntN(4) {
		case 0:
			return nil
		case 1:
			s := ""
			return &s
		}
		s := []string{"Lethbridge", "Woodridge", "São Paulo", "東京", "Alberta", "QLD"}[rng.IntN(6)]
		return &s
	}
	amount := AppendDecimal(nil, 0)
	switch rng.IntN(3) {
	case 0:
		amount = AppendDecimal(nil, money.Cents(-rng.Int64N(1<<40)))
	case 1:
		amount = AppendDecimal(nil, money.Cents(rng.Int64N(1<<62)))
	}
	ints := []int32{0, 1, -1, math.MaxInt32, math.MinInt32, rng.Int32(), -rng.Int32()}
	return SaleValue{
		PaymentID:   ints[rng.IntN(len(ints))],
		CustomerID:  ints[rng.IntN(len(ints))],
		Amount:      amount,
		PaymentDate: []int64{0, -1, math.MaxInt64, math.MinInt64, rng.Int64()}[rng.IntN(5)],
		City:        str(),
		District:    str(),
		Country:     str(),
	}
}

// TestSaleDecoderMatchesGeneral: on random sales, the fast decoder gives
// what hamba's general decoder gives, and refuses every truncation and
// any bytes left over, as the general decoder fails on them.
func TestSaleDecoderMatchesGeneral(t *testing.T) {
	d, err := NewSaleDecoder()
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 2000 {
		in := randomSale(rng)
		payload, err := avro.Marshal(d.Schema(), &in)
		if err != nil {
			t.Fatal(err)
		}
		var general, fast SaleValue
		if err := avro.Unmarshal(d.Schema(), payload, &general); err != nil {
			t.Fatal(err)
		}
		if !d.Decode(payload, &fast) {
			t.Fatalf("sale %d: the fast decoder refused %x (%+v)", i, payload, in)
		}
		if !reflect.DeepEqual(fast, general) {
			t.Fatalf("sale %d: fast %+v, general %+v", i, fast, general)
		}
		if i%50 == 0 {
			for n := range len(payload) {
				if d.Decode(payload[:n], &fast) {
					t.Fatalf("sale %d: the fast decoder took %d of %d bytes", i, n, len(payload))
				}
			}
			if d.Decode(append(payload, 0), &fast) {
				t.Fatalf("sale %d: the fast decoder took a byte left over", i)
			}
		}
	}
	var other struct{ Country string }
	if d.Decode([]byte{0, 0, 0, 0, 0, 0, 0}, &other) {
		t.Error("the fast decoder decoded into another type")
	}
}

// TestSaleDecoderRefusesWhatGeneralRefuses: malformed payloads that the
// general decoder rejects are refused (and so get its error).
func TestSaleDecoderRefusesWhatGeneralRefuses(t *testing.T) {
	d, err := NewSaleDecoder()
	if err != nil {
		t.Fatal(err)
	}
	for name, p := range map[string][]byte{
		"union index 2":       {2, 2, 0, 2, 4, 0, 0},
		"negative length":     {2, 2, 1, 2, 0, 0, 0},
		"length past the end": {2, 2, 40, 2, 0, 0, 0},
		"int of six bytes":    {0x80, 0x80, 0x80, 0x80, 0x80, 0x00, 2, 0, 2, 0, 0, 0},
		"unterminated varint": {0x80, 0x80},
		"empty":               {},
		"int beyond 32 bits":  {0xfe, 0xff, 0xff, 0xff, 0x1f, 2, 0, 2, 0, 0, 0},
	} {
		var v SaleValue
		if d.Decode(p, &v) {
			var g SaleValue
			gerr := avro.Unmarshal(d.Schema(), p, &g)
			t.Errorf("%s: the fast decoder took %x (general: %+v, %v)", name, p, g, gerr)
		}
	}
}

// TestSaleEncoderMatchesGeneral: on random sales and keys, the fast
// encoders write the bytes hamba's general encoder writes, and leave any
// other type to it.
func TestSaleEncoderMatchesGeneral(t *testing.T) {
	ke, err := NewSaleKeyEncoder()
	if err != nil {
		t.Fatal(err)
	}
	ve, err := NewSaleValueEncoder()
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(3, 4))
	for range 2000 {
		v := randomSale(rng)
		k := SaleKey{CustomerID: v.CustomerID}
		for _, c := range []struct {
			enc *SaleEncoder
			v   any
		}{{ke, &k}, {ve, &v}} {
			want, err := avro.Marshal(c.enc.Schema(), c.v)
			if err != nil {
				t.Fatal(err)
			}
			got, ok := c.enc.Append([]byte{0xff}, c.v)
			if !ok || got[0] != 0xff || !bytes.Equal(got[1:], want) {
				t.Fatalf("%v of %+v: %x, %v; hamba writes %x", c.enc, c.v, got, ok, want)
			}
		}
	}
	for _, c := range []struct {
		enc *SaleEncoder
		v   any
	}{{ke, SaleKey{}}, {ke, &SaleValue{}}, {ve, SaleValue{}}, {ve, &SaleKey{}}, {ve, &SummaryValue{}}, {ve, nil}} {
		if got, ok := c.enc.Append([]byte{1}, c.v); ok || !bytes.Equal(got, []byte{1}) {
			t.Errorf("%v took %T: %x, %v", c.enc, c.v, got, ok)
		}
	}
}

// TestSaleDecoderInternsManyNames: names that share their length and
// first and last bytes (so their recent slot), and more names than there
// are slots or than the decoder interns, all decode to themselves, and a
// repeated name decodes to the same string as before.
func TestSaleDecoderInternsManyNames(t *testing.T) {
	d, err := NewSaleDecoder()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for i := range 3 * maxNames {
		names = append(names, "abcd"+string(rune('A'+i%26))+string(rune('a'+i/26%26))+string(rune('0'+i/676))+"wxyz")
	}
	names = append(names, "", "a", "ab", "abc", "abcd", "東京")
	decode := func(name string) *string {
		t.Helper()
		in := SaleValue{Amount: AppendDecimal(nil, 1), City: &name}
		payload, err := avro.Marshal(d.Schema(), &in)
		if err != nil {
			t.Fatal(err)
		}
		var out SaleValue
		if !d.Decode(payload, &out) || out.City == nil || *out.City != name {
			t.Fatalf("decoded %q as %v", name, out.City)
		}
		return out.City
	}
	for round := range 2 {
		for _, name := range names {
			decode(name)
		}
		t.Logf("round %d: %d names", round, len(names))
	}
	if a, b := decode("Lethbridge"), decode("Lethbridge"); a != b {
		t.Errorf("a repeated name decoded to two strings")
	}
}
