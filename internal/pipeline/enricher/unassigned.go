package enricher

import (
	"cmp"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// maxUnknownNames bounds the distinct unknown country names counted by
// name; sales of further names are counted together.
const maxUnknownNames = 1000

// noRegion counts the sales that joined no region and so count under
// Unassigned, as a left outer join leaves them: those without a country,
// and those whose country the regions file lacks, by name.
type noRegion struct {
	blank   int64
	unknown map[string]int64 // at most maxUnknownNames names
	other   int64            // sales of unknown names beyond the bound
}

// add counts one sale of country.
func (n *noRegion) add(country string) {
	if country == "" {
		n.blank++
		return
	}
	n.addN(country, 1)
}

func (n *noRegion) addN(country string, k int64) {
	if _, ok := n.unknown[country]; !ok && len(n.unknown) >= maxUnknownNames {
		n.other += k
		return
	}
	if n.unknown == nil {
		n.unknown = map[string]int64{}
	}
	n.unknown[country] += k
}

// merge adds o's counts to n.
func (n *noRegion) merge(o *noRegion) {
	n.blank += o.blank
	n.other += o.other
	for c, k := range o.unknown {
		n.addN(c, k)
	}
}

// CountryCount is a country name and how many sales carried it.
type CountryCount struct {
	Country string
	Sales   int64
}

// Unassigned says which sales counted under the region Unassigned.
type Unassigned struct {
	// Blank counts sales without a country.
	Blank int64
	// Unknown counts sales whose country the regions file lacks.
	Unknown int64
	// Top lists the most frequent unknown countries, most sales first.
	Top []CountryCount
}

// Total is the number of sales under Unassigned.
func (u Unassigned) Total() int64 { return u.Blank + u.Unknown }

// unassigned is the committed noRegion counts, safe for concurrent use.
type unassigned struct {
	mu sync.Mutex
	n  noRegion
}

func (u *unassigned) merge(o *noRegion) {
	if o.blank == 0 && len(o.unknown) == 0 && o.other == 0 {
		return
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	u.n.merge(o)
}

// Unassigned returns the committed counts of sales under Unassigned, with
// the top unknown country names, at most top of them.
func (e *Enricher) Unassigned(top int) Unassigned {
	u := &e.unassigned
	u.mu.Lock()
	defer u.mu.Unlock()
	out := Unassigned{Blank: u.n.blank, Unknown: u.n.other}
	for c, k := range u.n.unknown {
		out.Unknown += k
		if top > 0 {
			out.Top = append(out.Top, CountryCount{c, k})
		}
	}
	slices.SortFunc(out.Top, func(a, b CountryCount) int {
		return cmp.Or(cmp.Compare(b.Sales, a.Sales), cmp.Compare(a.Country, b.Country))
	})
	if len(out.Top) > top {
		out.Top = out.Top[:top]
	}
	return out
}

// Summary says, for a person, how many sales went to Unassigned and why,
// naming the regions file: "" when none did.
func (u Unassigned) Summary(regionsPath string) string {
	if u.Total() == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteString(strconv.FormatInt(u.Total(), 10) + " sales counted under Unassigned: ")
	b.WriteString(strconv.FormatInt(u.Blank, 10) + " with a blank country, ")
	b.WriteString(strconv.FormatInt(u.Unknown, 10) + " with a country " + regionsPath + " lacks")
	if len(u.Top) > 0 {
		b.WriteString(" (")
		for i, c := range u.Top {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(c.Country + " " + strconv.FormatInt(c.Sales, 10))
		}
		if n := u.Unknown - topSum(u.Top); n > 0 {
			b.WriteString(", others " + strconv.FormatInt(n, 10))
		}
		b.WriteString(")")
	}
	if u.Unknown > 0 {
		b.WriteString("; add those countries to the regions file to give them a region")
	}
	return b.String()
}

func topSum(cs []CountryCount) int64 {
	var n int64
	for _, c := range cs {
		n += c.Sales
	}
	return n
}
