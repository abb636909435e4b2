package sales

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/salesstream/salesstream/internal/domain/money"
)

// Comma separates the fields of the sales CSV.
const Comma = '|'

// ErrHeader reports a CSV whose header does not match the registered schema.
var ErrHeader = errors.New("CSV header does not match the registered schema")

// RowError is a data row that does not parse. The reader skips it and goes
// on; the caller counts it and decides whether it is fatal.
type RowError struct {
	// Line is the 1-based line number in the file.
	Line int
	// Field names the column at fault, if one is.
	Field string
	// Err says what is wrong.
	Err error
	// Text is the row as read, fields joined by the separator; empty
	// when the row could not be split into fields.
	Text string
}

// Error says the line, the column if known, and what is wrong.
func (e *RowError) Error() string {
	if e.Field != "" {
		return fmt.Sprintf("line %d: %s: %v", e.Line, e.Field, e.Err)
	}
	return fmt.Sprintf("line %d: %v", e.Line, e.Err)
}

// Unwrap returns what is wrong.
func (e *RowError) Unwrap() error { return e.Err }

// Reader reads sales from a pipe-separated CSV whose first line is the
// header payment_id|customer_id|amount|payment_date|city|district|country.
// Empty city, district and country fields are absent values; a sale
// without a country counts under Unassigned.
type Reader struct {
	r    *lineReader
	line int
}

// NewReader reads the header from r and checks it against want, the field
// names of the registered CSV schema, before any row is read.
func NewReader(r io.Reader, want []string) (*Reader, error) {
	lr := newLineReader(r)
	head, _, err := lr.read()
	if err == io.EOF {
		return nil, fmt.Errorf("%w: the file is empty; want header %q", ErrHeader, strings.Join(want, string(Comma)))
	}
	if err != nil {
		return nil, fmt.Errorf("read CSV header: %w", err)
	}
	if err := checkHeader(head, want, string(Comma)); err != nil {
		return nil, err
	}
	if len(want) != 7 {
		return nil, fmt.Errorf("%w: the sales reader needs 7 columns, the schema has %d", ErrHeader, len(want))
	}
	return &Reader{r: lr, line: 1}, nil
}

func checkHeader(got, want []string, sep string) error {
	norm := make([]string, len(got))
	for i, h := range got {
		h = strings.TrimSpace(h)
		if i == 0 {
			h = strings.TrimPrefix(h, "\ufeff")
		}
		norm[i] = strings.ToLower(h)
	}
	if strings.Join(norm, "\x00") != strings.Join(want, "\x00") {
		return fmt.Errorf("%w: got %q, want %q: fix the file's first line or register the schema that describes it",
			ErrHeader, strings.Join(got, sep), strings.Join(want, sep))
	}
	return nil
}

// Next returns the next sale. At the end of the file it returns io.EOF. A
// row that does not parse yields a *RowError; the reader stays usable.
func (r *Reader) Next() (Sale, error) {
	rec, line, err := r.r.read()
	r.line = line
	if err == io.EOF {
		return Sale{}, io.EOF
	}
	if err != nil {
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			return Sale{}, &RowError{Line: pe.Line, Err: pe.Err}
		}
		return Sale{}, fmt.Errorf("read CSV line %d: %w", line, err)
	}
	s, field, err := parseRow(rec)
	if err != nil {
		return Sale{}, &RowError{Line: line, Field: field, Err: err, Text: strings.Join(rec, string(Comma))}
	}
	return s, nil
}

// Line returns the line number of the row Next returned last.
func (r *Reader) Line() int { return r.line }

func parseRow(rec []string) (Sale, string, error) {
	if len(rec) != 7 {
		return Sale{}, "", fmt.Errorf("%d fields, want 7 separated by %q", len(rec), Comma)
	}
	var s Sale
	id, err := strconv.ParseInt(strings.TrimSpace(rec[0]), 10, 32)
	if err != nil {
		return Sale{}, "payment_id", fmt.Errorf("%q is not a 32-bit integer", rec[0])
	}
	s.PaymentID = int32(id)
	cust, err := strconv.ParseInt(strings.TrimSpace(rec[1]), 10, 32)
	if err != nil {
		return Sale{}, "customer_id", fmt.Errorf("%q is not a 32-bit integer", rec[1])
	}
	s.CustomerID = int32(cust)
	if s.Amount, err = money.Parse(strings.TrimSpace(rec[2])); err != nil {
		return Sale{}, "amount", err
	}
	if s.PaymentDate, err = ParseTime(rec[3]); err != nil {
		return Sale{}, "payment_date", err
	}
	s.City = strings.TrimSpace(rec[4])
	s.District = strings.TrimSpace(rec[5])
	s.Country = strings.TrimSpace(rec[6]) // blank: the sale counts under Unassigned
	return s, "", nil
}

var timeLayouts = []string{
	"2006-01-02 15:04:05.999999999Z07",
	"2006-01-02 15:04:05.999999999Z07:00",
	time.RFC3339Nano,
}

// ParseTime reads a payment_date such as "2021-05-10 13:04:06.996577+00"
// (PostgreSQL's text form) or RFC 3339, and returns it in UTC.
func ParseTime(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if t, ok := parseUTCFast(s); ok {
		return t, nil
	}
	for _, l := range timeLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not a timestamp like 2021-05-10 13:04:06.996577+00", s)
}

// FormatTime writes t as the sales CSV does, with microseconds and a +00
// offset.
func FormatTime(t time.Time) string {
	return t.UTC().Format("2006-01-02 15:04:05.000000") + "+00"
}
