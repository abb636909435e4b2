package datagen

import (
	"bufio"
	"bytes"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/salesstream/salesstream/internal/domain/sales"
)

var header = []string{"payment_id", "customer_id", "amount", "payment_date", "city", "district", "country"}

func TestDeterministic(t *testing.T) {
	var a, b bytes.Buffer
	start := time.Date(2022, 5, 2, 0, 0, 0, 0, time.UTC)
	if err := WriteSales(&a, New(7, start, time.Minute), 500); err != nil {
		t.Fatal(err)
	}
	if err := WriteSales(&b, New(7, start, time.Minute), 500); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Fatal("same seed gave different output")
	}
	var c bytes.Buffer
	WriteSales(&c, New(8, start, time.Minute), 500)
	if bytes.Equal(a.Bytes(), c.Bytes()) {
		t.Fatal("different seeds gave the same output")
	}
}

func TestGeneratedRowsParse(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteSales(&buf, New(1, time.Date(2022, 5, 2, 0, 0, 0, 0, time.UTC), time.Minute), 2000); err != nil {
		t.Fatal(err)
	}
	r, err := sales.NewReader(&buf, header)
	if err != nil {
		t.Fatal(err)
	}
	regs := sales.NewRegions(Regions())
	var prev time.Time
	for n := 0; ; n++ {
		s, err := r.Next()
		if err != nil {
			if n != 2000 {
				t.Fatalf("after %d rows: %v", n, err)
			}
			break
		}
		if s.PaymentDate.Before(prev) {
			t.Fatalf("row %d goes back in time", n)
		}
		prev = s.PaymentDate
		if s.Amount <= 0 {
			t.Fatalf("row %d: amount %v", n, s.Amount)
		}
		if regs.Region(s.Country) == sales.Unassigned {
			t.Fatalf("row %d: country %q has no region", n, s.Country)
		}
	}
}

// TestCommittedDataIsGenerated checks that data/ holds exactly what
// cmd/gendata writes with its defaults.
func TestCommittedDataIsGenerated(t *testing.T) {
	want, err := os.ReadFile("../../../data/sales.csv")
	if err != nil {
		t.Fatal(err)
	}
	var got bytes.Buffer
	if err := WriteSales(&got, New(2022, time.Date(2022, 5, 2, 0, 0, 0, 0, time.UTC), 144*time.Second), 1800); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Bytes(), want) {
		t.Error("data/sales.csv differs from the generator's output: run go run ./cmd/gendata")
	}
	wantRegions, err := os.ReadFile("../../../data/regions.csv")
	if err != nil {
		t.Fatal(err)
	}
	got.Reset()
	WriteRegions(&got)
	if !bytes.Equal(got.Bytes(), wantRegions) {
		t.Error("data/regions.csv differs from the generator's output: run go run ./cmd/gendata")
	}
}

// TestRegionsCoverReference checks that every country of the reference
// pipeline's data, sales and regions alike, has a region here.
func TestRegionsCoverReference(t *testing.T) {
	regs := sales.NewRegions(Regions())
	checked := 0
	for _, f := range []struct {
		path string
		col  int
		sep  string
	}{
		{"../../../../shared/reference/pagila/sales_incremental_large.csv", 6, "|"},
		{"../../../../shared/reference/pagila/sales_regions.csv", 0, ","},
	} {
		file, err := os.Open(f.path)
		if err != nil {
			if os.Getenv("CI") == "true" {
				t.Fatalf("reference data missing in CI: %v", err)
			}
			t.Skipf("reference data not present: %v", err)
		}
		defer file.Close()
		sc := bufio.NewScanner(file)
		sc.Scan() // header
		for sc.Scan() {
			line := sc.Text()
			var country string
			if f.sep == "," {
				country = strings.Trim(strings.SplitN(line, "\",", 2)[0], "\" ")
			} else {
				country = strings.Split(line, f.sep)[f.col]
			}
			if regs.Region(country) == sales.Unassigned {
				t.Errorf("%s: country %q has no region", f.path, country)
			}
			checked++
		}
	}
	if checked < 2000 {
		t.Errorf("checked only %d rows", checked)
	}
}
