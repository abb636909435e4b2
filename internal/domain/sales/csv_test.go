package sales

import (
	"errors"
	"io"
	"strings"
	"testing"
	"time"
)

var header = []string{"payment_id", "customer_id", "amount", "payment_date", "city", "district", "country"}

func TestReaderRows(t *testing.T) {
	in := "payment_id|customer_id|amount|payment_date|city|district|country\n" +
		"16666|204|3.99|2021-05-10 13:04:06.996577+00|Usak|Usak|Turkey\n" +
		"16263|381|5.99|2021-05-11 12:15:12.996577+00|South Hill||Anguilla\n" +
		"x|1|1.00|2021-05-11 12:15:12+00|a|b|c\n" +
		"1|1|1.999|2021-05-11 12:15:12+00|a|b|c\n" +
		"1|1|1.99|yesterday|a|b|c\n" +
		"1|1|1.99|2021-05-11T12:15:12Z|a|b\n" +
		"2|3|0.01|2021-05-11T12:15:12Z|||  Chile \n" +
		"4|5|0.02|2021-05-11T12:15:12Z|a|b|  \n"
	r, err := NewReader(strings.NewReader(in), header)
	if err != nil {
		t.Fatal(err)
	}
	type result struct {
		sale  Sale
		line  int
		field string
	}
	want := []result{
		{sale: Sale{PaymentID: 16666, CustomerID: 204, Amount: 399, PaymentDate: time.Date(2021, 5, 10, 13, 4, 6, 996577000, time.UTC), City: "Usak", District: "Usak", Country: "Turkey"}},
		{sale: Sale{PaymentID: 16263, CustomerID: 381, Amount: 599, PaymentDate: time.Date(2021, 5, 11, 12, 15, 12, 996577000, time.UTC), City: "South Hill", Country: "Anguilla"}},
		{line: 4, field: "payment_id"},
		{line: 5, field: "amount"},
		{line: 6, field: "payment_date"},
		{line: 7},
		{sale: Sale{PaymentID: 2, CustomerID: 3, Amount: 1, PaymentDate: time.Date(2021, 5, 11, 12, 15, 12, 0, time.UTC), Country: "Chile"}},
		{sale: Sale{PaymentID: 4, CustomerID: 5, Amount: 2, PaymentDate: time.Date(2021, 5, 11, 12, 15, 12, 0, time.UTC), City: "a", District: "b"}}, // blank country: Unassigned
	}
	for i, w := range want {
		s, err := r.Next()
		if w.line != 0 {
			var re *RowError
			if !errors.As(err, &re) || re.Line != w.line || re.Field != w.field {
				t.Errorf("row %d: error %v, want RowError at line %d field %q", i, err, w.line, w.field)
			}
			continue
		}
		if err != nil {
			t.Fatalf("row %d: %v", i, err)
		}
		if s != w.sale {
			t.Errorf("row %d: %+v, want %+v", i, s, w.sale)
		}
	}
	if _, err := r.Next(); err != io.EOF {
		t.Errorf("after last row: %v, want EOF", err)
	}
}

func TestReaderHeader(t *testing.T) {
	tests := []struct {
		name string
		in   string
		ok   bool
	}{
		{"exact", "payment_id|customer_id|amount|payment_date|city|district|country\n", true},
		{"bom and case", "\ufeffPAYMENT_ID|customer_id|amount|payment_date|city|district|country\n", true},
		{"comma separated", "payment_id,customer_id,amount,payment_date,city,district,country\n", false},
		{"missing column", "payment_id|customer_id|amount|payment_date|city|country\n", false},
		{"reordered", "customer_id|payment_id|amount|payment_date|city|district|country\n", false},
		{"empty", "", false},
	}
	for _, tt := range tests {
		_, err := NewReader(strings.NewReader(tt.in), header)
		if (err == nil) != tt.ok {
			t.Errorf("%s: error %v, want ok=%v", tt.name, err, tt.ok)
		}
		if err != nil && !errors.Is(err, ErrHeader) {
			t.Errorf("%s: error %v does not wrap ErrHeader", tt.name, err)
		}
	}
}

func TestReadRegions(t *testing.T) {
	in := "\"country\",\"region\"\n" +
		"\"Chile\",\"Latin America\"\n" +
		"\n" +
		"\"Iran, Islamic Republic of\", \"Middle East\"\n" +
		" Japan ,Asia & Pacific\n"
	regs, err := ReadRegions(strings.NewReader(in), []string{"country", "region"})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct{ country, want string }{
		{"Chile", "Latin America"},
		{"  Chile ", "Latin America"},
		{"Iran, Islamic Republic of", "Middle East"},
		{"Japan", "Asia & Pacific"},
		{"Atlantis", Unassigned},
		{"", Unassigned},
	}
	for _, tt := range tests {
		if got := regs.Region(tt.country); got != tt.want {
			t.Errorf("Region(%q) = %q, want %q", tt.country, got, tt.want)
		}
	}
	if regs.Len() != 3 {
		t.Errorf("Len = %d, want 3", regs.Len())
	}
}

func TestReadRegionsErrors(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"bad header", "name,region\n", "header"},
		{"three fields", "country,region\nChile,Latin America,x\n", "line 2"},
		{"conflict", "country,region\nChile,A\nChile,B\n", "line 3"},
		{"empty region", "country,region\nChile,\n", "line 2"},
		{"bare quote in the first field", "country,region\nChile,A\nFr\"ance,Europe\n", "regions line 3: bare \" in non-quoted-field"},
		{"unterminated quote", "country,region\n\"Chile,A\n", "regions line 2"},
	}
	for _, tt := range tests {
		_, err := ReadRegions(strings.NewReader(tt.in), []string{"country", "region"})
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: error %v, want one mentioning %q", tt.name, err, tt.want)
		}
	}
}

func TestTimeRoundTrip(t *testing.T) {
	ts := time.Date(2021, 5, 10, 13, 4, 6, 996577000, time.UTC)
	got, err := ParseTime(FormatTime(ts))
	if err != nil || !got.Equal(ts) {
		t.Errorf("round trip %v: %v, %v", ts, got, err)
	}
}
