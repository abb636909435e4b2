package sales

import (
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
)

// Regions maps countries to sales regions. Countries are compared after
// trimming white space; a country without a region is Unassigned, as a left
// outer join would leave it.
type Regions struct {
	m map[string]string
}

// ReadRegions reads a comma-separated, optionally quoted CSV whose first
// line is the header want (country, region). Blank lines are skipped; white
// space around fields and before quotes is ignored. A malformed row, or a
// country listed twice with different regions, is an error naming its line.
func ReadRegions(r io.Reader, want []string) (*Regions, error) {
	cr := csv.NewReader(r)
	cr.TrimLeadingSpace = true
	cr.FieldsPerRecord = -1
	head, err := cr.Read()
	if err == io.EOF {
		return nil, fmt.Errorf("%w: the regions file is empty", ErrHeader)
	}
	if err != nil {
		return nil, fmt.Errorf("read regions header: %w", err)
	}
	if err := checkHeader(head, want, ","); err != nil {
		return nil, err
	}
	if len(want) != 2 {
		return nil, fmt.Errorf("%w: the regions reader needs 2 columns, the schema has %d", ErrHeader, len(want))
	}
	regs := &Regions{m: map[string]string{}}
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			return regs, nil
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				return nil, fmt.Errorf("regions line %d: %w", pe.Line, pe.Err)
			}
			return nil, fmt.Errorf("read regions: %w", err)
		}
		// FieldPos only after a record was read: after a parse error in
		// its first field it has no position and panics.
		line, _ := cr.FieldPos(0)
		if len(rec) != 2 {
			return nil, fmt.Errorf("regions line %d: %d fields, want 2 (country, region)", line, len(rec))
		}
		country, region := strings.TrimSpace(rec[0]), strings.TrimSpace(rec[1])
		if country == "" || region == "" {
			return nil, fmt.Errorf("regions line %d: empty country or region", line)
		}
		if old, ok := regs.m[country]; ok && old != region {
			return nil, fmt.Errorf("regions line %d: %s is in both %s and %s", line, country, old, region)
		}
		regs.m[country] = region
	}
}

// NewRegions returns a table of the given country -> region pairs.
func NewRegions(m map[string]string) *Regions {
	regs := &Regions{m: make(map[string]string, len(m))}
	for c, r := range m {
		regs.m[strings.TrimSpace(c)] = strings.TrimSpace(r)
	}
	return regs
}

// Region returns the region of country, or Unassigned.
func (r *Regions) Region(country string) string {
	if reg, ok := r.m[country]; ok {
		return reg
	}
	if reg, ok := r.m[strings.TrimSpace(country)]; ok {
		return reg
	}
	return Unassigned
}

// Len returns the number of countries in the table.
func (r *Regions) Len() int { return len(r.m) }

// Hash returns the SHA-256, in hex, of the table's content: its country,
// region pairs ordered by country. Two files that join every country the
// same way hash the same, whatever their order, quoting or spacing.
func (r *Regions) Hash() string {
	h := sha256.New()
	for _, c := range slices.Sorted(maps.Keys(r.m)) {
		fmt.Fprintf(h, "%d:%s%d:%s\n", len(c), c, len(r.m[c]), r.m[c])
	}
	return hex.EncodeToString(h.Sum(nil))
}
