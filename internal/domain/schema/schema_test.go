package schema

import (
	"bytes"
	"errors"
	"math"
	"math/big"
	"testing"
	"time"

	"github.com/hamba/avro/v2"

	"github.com/salesstream/salesstream/internal/domain/money"
	"github.com/salesstream/salesstream/internal/domain/sales"
)

func TestArtifactsParse(t *testing.T) {
	arts := Artifacts()
	if len(arts) != 6 {
		t.Fatalf("got %d artifacts, want 6", len(arts))
	}
	for _, a := range arts {
		if _, err := Parse(a.ID); err != nil {
			t.Errorf("%s: %v", a.ID, err)
		}
	}
}

func TestCSVHeader(t *testing.T) {
	s, err := Parse(SalesCSV)
	if err != nil {
		t.Fatal(err)
	}
	got, err := FieldNames(s)
	if err != nil {
		t.Fatal(err)
	}
	want := "payment_id|customer_id|amount|payment_date|city|district|country"
	if j := join(got); j != want {
		t.Errorf("header %q, want %q", j, want)
	}
}

func join(s []string) string {
	var b bytes.Buffer
	for i, x := range s {
		if i > 0 {
			b.WriteByte('|')
		}
		b.WriteString(x)
	}
	return b.String()
}

func TestLogicalTypesInsideTypes(t *testing.T) {
	s, err := Parse(ValueArtifact(SalesTopic))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range s.(*avro.RecordSchema).Fields() {
		ls, ok := f.Type().(avro.LogicalTypeSchema)
		var lt avro.LogicalType
		if ok && ls.Logical() != nil {
			lt = ls.Logical().Type()
		}
		switch f.Name() {
		case "amount":
			if lt != avro.Decimal {
				t.Errorf("amount logical type %q, want decimal", lt)
			}
		case "payment_date":
			if lt != avro.TimestampMillis {
				t.Errorf("payment_date logical type %q, want timestamp-millis", lt)
			}
		}
	}
}

func TestDecimal(t *testing.T) {
	tests := []struct {
		c    money.Cents
		want []byte
	}{
		{0, []byte{0}},
		{1, []byte{1}},
		{127, []byte{0x7f}},
		{128, []byte{0, 0x80}},
		{1199, []byte{0x04, 0xaf}},
		{-1, []byte{0xff}},
		{-128, []byte{0x80}},
		{-129, []byte{0xff, 0x7f}},
		{math.MaxInt64, []byte{0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}},
		{math.MinInt64, []byte{0x80, 0, 0, 0, 0, 0, 0, 0}},
	}
	for _, tt := range tests {
		got := AppendDecimal(nil, tt.c)
		if !bytes.Equal(got, tt.want) {
			t.Errorf("AppendDecimal(%d) = %x, want %x", tt.c, got, tt.want)
		}
		back, err := Decimal(got)
		if err != nil || back != tt.c {
			t.Errorf("Decimal(%x) = %d, %v; want %d", got, back, err, tt.c)
		}
		// The encoding must agree with big.Int two's complement.
		if tt.c >= 0 {
			if n := new(big.Int).SetBytes(got); n.Int64() != int64(tt.c) {
				t.Errorf("%x is %s as big-endian, want %d", got, n, tt.c)
			}
		}
	}
	if c, err := Decimal([]byte{0, 0, 0, 0, 0, 0, 0, 0, 0, 0x04, 0xaf}); err != nil || c != 1199 {
		t.Errorf("over-long encoding: %d, %v", c, err)
	}
	if _, err := Decimal([]byte{1, 0, 0, 0, 0, 0, 0, 0, 0}); !errors.Is(err, ErrBadDecimal) {
		t.Errorf("9 significant bytes: %v, want ErrBadDecimal", err)
	}
}

// TestDecimalMatchesAvroLibrary checks that the raw bytes this package
// writes decode as the same decimal through the library's big.Rat path, the
// path a client that knows nothing of salesstream takes.
func TestDecimalMatchesAvroLibrary(t *testing.T) {
	s, err := Parse(ValueArtifact(SalesTopic))
	if err != nil {
		t.Fatal(err)
	}
	sale := sales.Sale{PaymentID: 1, CustomerID: 2, Amount: -1199, PaymentDate: time.UnixMilli(1620651846996).UTC(), City: "Usak", Country: "Turkey"}
	b, err := avro.Marshal(s, NewSaleValue(sale, nil))
	if err != nil {
		t.Fatal(err)
	}
	var generic map[string]any
	if err := avro.Unmarshal(s, b, &generic); err != nil {
		t.Fatal(err)
	}
	r, ok := generic["amount"].(*big.Rat)
	if !ok || r.FloatString(2) != "-11.99" {
		t.Errorf("generic decode of amount = %v, want -11.99", generic["amount"])
	}
	if d, ok := generic["district"]; !ok || d != nil {
		t.Errorf("empty district decoded as %v, want null", d)
	}
	var back SaleValue
	if err := avro.Unmarshal(s, b, &back); err != nil {
		t.Fatal(err)
	}
	got, err := back.Sale()
	if err != nil {
		t.Fatal(err)
	}
	if got != sale {
		t.Errorf("round trip %+v, want %+v", got, sale)
	}
}

func TestSaleValidation(t *testing.T) {
	chile := "Chile"
	ok := SaleValue{PaymentID: 1, Amount: []byte{1}, PaymentDate: 1620651846996, Country: &chile}
	tests := []struct {
		name string
		mod  func(*SaleValue)
		want error
	}{
		{"valid", func(*SaleValue) {}, nil},
		{"no country: Unassigned", func(v *SaleValue) { v.Country = nil }, nil},
		{"no amount", func(v *SaleValue) { v.Amount = nil }, ErrMissingField},
		{"huge amount", func(v *SaleValue) { v.Amount = bytes.Repeat([]byte{1}, 9) }, ErrBadDecimal},
		{"negative time", func(v *SaleValue) { v.PaymentDate = -1 }, ErrBadEventTime},
		{"far future", func(v *SaleValue) { v.PaymentDate = MaxEventMillis }, ErrBadEventTime},
	}
	for _, tt := range tests {
		v := ok
		tt.mod(&v)
		_, err := v.Sale()
		if !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
			t.Errorf("%s: error %v, want %v", tt.name, err, tt.want)
		}
	}
}

func TestArtifactsFor(t *testing.T) {
	def := Artifacts()
	got := ArtifactsFor("shop.sales", "shop.summary")
	want := map[string]string{ // id -> the default artifact whose content it has
		SalesCSV:             SalesCSV,
		RegionsCSV:           RegionsCSV,
		"shop.sales-key":     KeyArtifact(SalesTopic),
		"shop.sales-value":   ValueArtifact(SalesTopic),
		"shop.summary-key":   KeyArtifact(SummaryTopic),
		"shop.summary-value": ValueArtifact(SummaryTopic),
	}
	if len(got) != len(def) || len(got) != len(want) {
		t.Fatalf("%d artifacts, want %d", len(got), len(want))
	}
	for i, a := range got {
		from, ok := want[a.ID]
		if !ok || def[i].ID != from || a.Content != def[i].Content {
			t.Errorf("artifact %d: %s, want the content of %s in the same order", i, a.ID, from)
		}
	}
	for i, a := range ArtifactsFor(SalesTopic, SummaryTopic) {
		if a != def[i] {
			t.Errorf("ArtifactsFor the default topics differs from Artifacts at %d", i)
		}
	}
}
