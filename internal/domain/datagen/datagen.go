// Package datagen generates realistic, deterministic sales: the project's
// data/sales.csv and data/regions.csv, and the producer's synthetic load.
//
// A Generator draws sales from a seeded random source, so the same seed,
// start and gap always give the same rows. Countries are weighted like a
// small online shop's markets, amounts are shop prices (mostly x.99), and
// payments arrive as a Poisson process whose rate follows the time of day.
package datagen

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"time"

	"github.com/salesstream/salesstream/internal/domain/money"
	"github.com/salesstream/salesstream/internal/domain/sales"
)

// Generator produces an endless, deterministic stream of sales in event-time
// order. It is not safe for concurrent use.
type Generator struct {
	rng     *rand.Rand
	t       time.Time
	meanGap float64 // seconds
	id      int32
	markets []market
	cum     []int
}

// New returns a generator whose first sale is at or after start, with
// payments on average meanGap apart.
func New(seed uint64, start time.Time, meanGap time.Duration) *Generator {
	g := &Generator{
		rng:     rand.New(rand.NewPCG(seed, seed^0x5a1e5)),
		t:       start.UTC(),
		meanGap: meanGap.Seconds(),
		id:      16000,
		markets: markets(),
	}
	total := 0
	for _, m := range g.markets {
		total += m.weight
		g.cum = append(g.cum, total)
	}
	return g
}

// prices are shop prices in cents and their weights.
var prices = [...]struct {
	cents  money.Cents
	weight int
}{
	{99, 4}, {199, 6}, {299, 10}, {399, 12}, {499, 14}, {599, 12}, {699, 10},
	{799, 8}, {899, 6}, {999, 5}, {1099, 3}, {1199, 2}, {250, 2}, {1500, 1},
}

// Next returns the next sale.
func (g *Generator) Next() sales.Sale {
	// Rate over the day: quiet at night, busiest in the evening (UTC).
	h := float64(g.t.Hour()) + float64(g.t.Minute())/60
	rate := 0.35 + 0.65*math.Pow(math.Sin(math.Pi*h/24), 2)
	gap := g.rng.ExpFloat64() * g.meanGap / rate
	g.t = g.t.Add(time.Duration(gap * float64(time.Second))).Truncate(time.Microsecond)

	m := g.markets[g.pick()]
	city := m.cities[g.rng.IntN(len(m.cities))]
	g.id++
	s := sales.Sale{
		PaymentID:   g.id,
		CustomerID:  int32(1 + g.rng.IntN(599)),
		Amount:      g.price(),
		PaymentDate: g.t,
		City:        city[0],
		District:    city[1],
		Country:     m.country,
	}
	// Real exports lose some districts.
	if g.rng.IntN(40) == 0 {
		s.District = ""
	}
	return s
}

func (g *Generator) pick() int {
	n := g.rng.IntN(g.cum[len(g.cum)-1])
	i, _ := slices.BinarySearch(g.cum, n+1)
	return i
}

func (g *Generator) price() money.Cents {
	total := 0
	for _, p := range prices {
		total += p.weight
	}
	n := g.rng.IntN(total)
	for _, p := range prices {
		if n < p.weight {
			return p.cents
		}
		n -= p.weight
	}
	return prices[0].cents
}

// Regions returns the country -> region table.
func Regions() map[string]string {
	out := map[string]string{}
	for region, countries := range regionCountries() {
		for _, c := range countries {
			out[c] = region
		}
	}
	return out
}

// WriteSales writes a sales CSV header and n rows from g to w.
func WriteSales(w io.Writer, g *Generator, n int) error {
	bw := bufio.NewWriter(w)
	bw.WriteString("payment_id|customer_id|amount|payment_date|city|district|country\n")
	var buf []byte
	for range n {
		s := g.Next()
		buf = strconv.AppendInt(buf[:0], int64(s.PaymentID), 10)
		buf = append(buf, '|')
		buf = strconv.AppendInt(buf, int64(s.CustomerID), 10)
		buf = append(buf, '|')
		buf = s.Amount.Append(buf)
		buf = append(buf, '|')
		buf = append(buf, sales.FormatTime(s.PaymentDate)...)
		buf = append(buf, '|')
		buf = append(buf, s.City...)
		buf = append(buf, '|')
		buf = append(buf, s.District...)
		buf = append(buf, '|')
		buf = append(buf, s.Country...)
		buf = append(buf, '\n')
		bw.Write(buf)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write sales: %w", err)
	}
	return nil
}

// WriteRegions writes the regions CSV, sorted by country, quoted.
func WriteRegions(w io.Writer) error {
	regs := Regions()
	countries := make([]string, 0, len(regs))
	for c := range regs {
		countries = append(countries, c)
	}
	slices.Sort(countries)
	bw := bufio.NewWriter(w)
	bw.WriteString("\"country\",\"region\"\n")
	for _, c := range countries {
		fmt.Fprintf(bw, "%s,%s\n", strconv.Quote(c), strconv.Quote(regs[c]))
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write regions: %w", err)
	}
	return nil
}
