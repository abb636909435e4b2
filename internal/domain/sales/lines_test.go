package sales

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"
)

// csvRecords reads in with encoding/csv set as the sales CSV was read
// before lineReader: each record's fields and starting line, or the error
// and its line, to the end.
func csvRecords(in string) []string {
	cr := csv.NewReader(strings.NewReader(in))
	cr.Comma, cr.LazyQuotes, cr.FieldsPerRecord = Comma, true, -1
	return records(func() ([]string, int, error) {
		rec, err := cr.Read()
		if err != nil {
			return nil, 0, err
		}
		line, _ := cr.FieldPos(0)
		return rec, line, nil
	})
}

// lineRecords is csvRecords with lineReader.
func lineRecords(in string) []string { return records(newLineReader(strings.NewReader(in)).read) }

// records describes what read returns, to the end.
func records(read func() ([]string, int, error)) []string {
	var out []string
	for {
		rec, line, err := read()
		if err == io.EOF {
			return out
		}
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			out = append(out, fmt.Sprintf("line %d: error %v", pe.Line, pe.Err))
			continue
		}
		if err != nil {
			return append(out, "error "+err.Error())
		}
		out = append(out, fmt.Sprintf("line %d: %q", line, rec))
	}
}

var lineCases = []struct{ name, in string }{
	{"plain rows", "a|b|c\n1|2|3\n"},
	{"no final newline", "a|b|c\n1|2|3"},
	{"CRLF", "a|b\r\n1|2\r\n"},
	{"CR before EOF", "a|b\n1|2\r"},
	{"two CRs before EOF", "a|b\n1|2\r\r"},
	{"CR inside a line", "a|b\r|c\n"},
	{"CR CR LF", "a|b\r\r\n1|2\n"},
	{"empty lines", "\n\na|b\n\n\r\n1|2\n\n"},
	{"only empty lines", "\n\r\n\n"},
	{"empty input", ""},
	{"empty fields", "||\n|\n"},
	{"field counts vary", "a|b|c\n1|2\n1|2|3|4|5|6|7|8\n"},
	{"quoted field", "a|\"b|c\"|d\n1|2|3\n"},
	{"doubled quote", "a|\"b\"\"c\"|d\n"},
	{"quote inside a field", "a|b\"c|d\n1|2|3\n"},
	{"quoted field over lines", "a|\"b\nc\n\nd\"|e\nx|y\n3|4\n"},
	{"quoted field over CRLF lines", "a|\"b\r\nc\"|e\r\nx|y\r\n"},
	{"unterminated quote", "a|b\n\"c|d\ne|f\n"},
	{"quote then text", "a|\"b\"c|d\nx|y\n"},
	{"quote at the end", "a|b\n1|2\"\n3|4\n"},
	{"quoted rows between plain rows", "h1|h2\n1|2\n\"3\"|4\n5|6\n\"7\n8\"|9\n10|11\n"},
	{"BOM", "\ufeffpayment_id|x\n1|2\n"},
	{"long line", "a|" + strings.Repeat("x", 200<<10) + "|b\n1|2\n"},
	{"long quoted line", "a|\"" + strings.Repeat("y", 150<<10) + "\n" + strings.Repeat("z", 70<<10) + "\"|b\n1|2\n"},
}

func TestLineReaderReadsAsEncodingCSV(t *testing.T) {
	for _, tt := range lineCases {
		t.Run(tt.name, func(t *testing.T) {
			want, got := csvRecords(tt.in), lineRecords(tt.in)
			if !slices.Equal(got, want) {
				t.Errorf("lineReader read\n%s\nencoding/csv read\n%s", short(got), short(want))
			}
		})
	}
}

// FuzzLineReader checks that lineReader reads any input as encoding/csv
// does.
func FuzzLineReader(f *testing.F) {
	for _, tt := range lineCases {
		if len(tt.in) < 1024 {
			f.Add(tt.in)
		}
	}
	f.Fuzz(func(t *testing.T, in string) {
		want, got := csvRecords(in), lineRecords(in)
		if !slices.Equal(got, want) {
			t.Errorf("input %q: lineReader read\n%s\nencoding/csv read\n%s", in, short(got), short(want))
		}
	})
}

func short(recs []string) string {
	var b strings.Builder
	for _, r := range recs {
		if len(r) > 200 {
			r = r[:200] + "..."
		}
		b.WriteString(r + "\n")
	}
	return b.String()
}
