package e2e

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/salesstream/salesstream/internal/domain/schema"
	"github.com/salesstream/salesstream/pkg/registry"
)

// TestBlankCountryUnassigned takes a registry holding the schemas of
// before (country required), registers the new ones (country nullable)
// as compatible new versions, and sends sales with blank and unknown
// countries through the whole pipeline: none is rejected, they count
// under Unassigned as a left outer join leaves them, to the cent, and the
// producer's and enricher's summaries say how many and which countries.
func TestBlankCountryUnassigned(t *testing.T) {
	s := stack(t)
	ctx := context.Background()
	reg, err := registry.New(s.RegistryURL())
	if err != nil {
		t.Fatal(err)
	}
	required := regexp.MustCompile(`\{"name": "country"[^}]*\}`)
	for _, id := range []string{schema.SalesCSV, schema.ValueArtifact(schema.SalesTopic)} {
		now, err := schema.Content(id)
		if err != nil {
			t.Fatal(err)
		}
		before := required.ReplaceAllString(now, `{"name": "country", "type": "string"}`)
		if before == now {
			t.Fatalf("could not derive the old schema of %s", id)
		}
		if _, _, err := reg.Register(ctx, id, "AVRO", before); err != nil {
			t.Fatal(err)
		}
		if err := reg.SetRule(ctx, id, registry.RuleCompatibility, "BACKWARD"); err != nil {
			t.Fatal(err)
		}
	}
	out := mustRun(t, s, "schemas").stdout
	for _, id := range []string{schema.SalesCSV, schema.ValueArtifact(schema.SalesTopic)} {
		if !regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(id) + `\s+2\s.*new version`).MatchString(out) {
			t.Errorf("schemas did not register %s as a compatible version 2:\n%s", id, out)
		}
	}

	// 400 sales of data/sales.csv: every 10th without a country, every
	// 7th (else) in Atlantis, every 13th (else) in Narnia.
	in, err := os.Open("../data/sales.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	salesPath := filepath.Join(t.TempDir(), "sales.csv")
	f, err := os.Create(salesPath)
	if err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(in)
	sc.Scan()
	fmt.Fprintln(f, sc.Text())
	blank, atlantis, narnia := 0, 0, 0
	for i := 1; i <= 400 && sc.Scan(); i++ {
		fields := strings.Split(sc.Text(), "|")
		switch {
		case i%10 == 0:
			fields[6] = " "
			blank++
		case i%7 == 0:
			fields[6] = "Atlantis"
			atlantis++
		case i%13 == 0:
			fields[6] = "Narnia"
			narnia++
		}
		fmt.Fprintln(f, strings.Join(fields, "|"))
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}

	prod := mustRun(t, s, "producer", "--input", salesPath, "--event-time", "original", "--delay", "0")
	for _, want := range []string{"; 0 bad rows of 400 read", fmt.Sprintf("%d sales had a blank country: the enricher counts them under Unassigned", blank)} {
		if !strings.Contains(prod.stdout, want) {
			t.Errorf("producer output lacks %q:\n%s", want, prod.stdout)
		}
	}
	enr := mustRun(t, s, "enricher", "--once", "--regions", "../data/regions.csv")
	want := fmt.Sprintf("%d sales counted under Unassigned: %d with a blank country, %d with a country ../data/regions.csv lacks (Atlantis %d, Narnia %d)",
		blank+atlantis+narnia, blank, atlantis+narnia, atlantis, narnia)
	if !strings.Contains(enr.stdout, want) {
		t.Errorf("enricher output lacks %q:\n%s", want, enr.stdout)
	}
	if !strings.Contains(enr.stdout, "0 dead-lettered") {
		t.Errorf("enricher dead-lettered sales:\n%s", enr.stdout)
	}
	assertSummary(t, s, salesPath, "../data/regions.csv")
}
