package e2e

import (
	"bufio"
	"encoding/csv"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

// summaryKey is one (region, window) row.
type summaryKey struct {
	Region string
	Start  time.Time
}

// summary is one row's aggregates.
type summary struct {
	Cents  int64
	Orders int64
}

// batchAggregate computes, without any of the project's packages, what the
// pipeline must output for a sales CSV and a regions CSV: per region (left
// outer join on the trimmed country, "Unassigned" when missing) and per
// sliding window of size sliding every slide, aligned to the Unix epoch,
// the exact sum of amounts in cents and the count of orders.
func batchAggregate(t *testing.T, salesPath, regionsPath string, size, slide time.Duration) map[summaryKey]summary {
	t.Helper()
	regions := oracleRegions(t, regionsPath)
	sf, err := os.Open(salesPath)
	if err != nil {
		t.Fatal(err)
	}
	defer sf.Close()
	out := map[summaryKey]summary{}
	sc := bufio.NewScanner(sf)
	sc.Scan() // header
	sizeMs, slideMs := size.Milliseconds(), slide.Milliseconds()
	for sc.Scan() {
		f := strings.Split(sc.Text(), "|")
		if len(f) != 7 {
			t.Fatalf("oracle: line %q", sc.Text())
		}
		cents := parseCents(t, f[2])
		ts, err := time.Parse("2006-01-02 15:04:05.999999-07", f[3])
		if err != nil {
			t.Fatalf("oracle: time %q: %v", f[3], err)
		}
		ms := ts.UnixMilli() // the wire carries milliseconds
		oracleAdd(out, oracleRegion(regions, f[6]), ms, cents, sizeMs, slideMs)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// parseCents reads "11.99" as 1199 by string manipulation alone.
func parseCents(t *testing.T, s string) int64 {
	t.Helper()
	whole, frac, _ := strings.Cut(s, ".")
	frac = (frac + "00")[:2]
	n, err := strconv.ParseInt(whole+frac, 10, 64)
	if err != nil {
		t.Fatalf("oracle: amount %q: %v", s, err)
	}
	return n
}

func fmtCents(c int64) string {
	sign := ""
	if c < 0 {
		sign, c = "-", -c
	}
	return fmt.Sprintf("%s%d.%02d", sign, c/100, c%100)
}

// oracleRegions reads a regions CSV as the test's own map.
func oracleRegions(t *testing.T, regionsPath string) map[string]string {
	t.Helper()
	regions := map[string]string{}
	rf, err := os.Open(regionsPath)
	if err != nil {
		t.Fatal(err)
	}
	defer rf.Close()
	cr := csv.NewReader(rf)
	cr.TrimLeadingSpace = true
	recs, err := cr.ReadAll()
	if err != nil {
		t.Fatalf("oracle: read %s: %v", regionsPath, err)
	}
	for _, r := range recs[1:] {
		regions[strings.TrimSpace(r[0])] = strings.TrimSpace(r[1])
	}
	return regions
}

// oracleRegion is the left outer join: "Unassigned" when missing.
func oracleRegion(regions map[string]string, country string) string {
	if r, ok := regions[strings.TrimSpace(country)]; ok {
		return r
	}
	return "Unassigned"
}

// oracleAdd adds a sale at ms of cents to every window [s, s+size) with s
// a multiple of slide and s <= ms < s+size: it tries every multiple of
// slide in (ms-size, ms] (ms >= 0).
func oracleAdd(out map[summaryKey]summary, region string, ms, cents, sizeMs, slideMs int64) {
	for s := ms - ms%slideMs - sizeMs; s <= ms; s += slideMs {
		if s <= ms && ms < s+sizeMs {
			k := summaryKey{region, time.UnixMilli(s).UTC()}
			v := out[k]
			v.Cents += cents
			v.Orders++
			out[k] = v
		}
	}
}
