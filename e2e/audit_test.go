package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/salesstream/salesstream/internal/domain/money"
	"github.com/salesstream/salesstream/internal/domain/sales"
	"github.com/salesstream/salesstream/internal/domain/schema"
	"github.com/salesstream/salesstream/pkg/registry"
	"github.com/salesstream/salesstream/pkg/serde"
)

// auditLine is the counts of reader --audit's verdict line.
type auditLine struct {
	Equal                                                        bool
	Windows, Sales, Aggregated, PartlyLate, Late, Dead, InFlight int64
	Unaccounted                                                  int64
}

var auditRe = regexp.MustCompile(`(?m)^audit: (EQUAL|NOT EQUAL[^:]*): (\d+) windows checked; (\d+) sales: (\d+) aggregated \((\d+) of them partly late\), (\d+) late, (\d+) dead-lettered, (\d+) not yet windowed, (\d+) unaccounted$`)

// parseAudit reads the verdict line of reader --audit's output.
func parseAudit(t *testing.T, out string) auditLine {
	t.Helper()
	m := auditRe.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no verdict line in the audit's output:\n%s", out)
	}
	var n [8]int64
	for i := range n {
		fmt.Sscan(m[i+2], &n[i])
	}
	return auditLine{Equal: m[1] == "EQUAL", Windows: n[0], Sales: n[1], Aggregated: n[2], PartlyLate: n[3],
		Late: n[4], Dead: n[5], InFlight: n[6], Unaccounted: n[7]}
}

// runAudit runs reader --audit and returns its exit code, output and counts.
func runAudit(t *testing.T, s endpoints, args ...string) (result, auditLine) {
	t.Helper()
	r := runBin(t, s, 3*time.Minute, "reader", append([]string{"--audit"}, args...)...)
	if r.code == 2 {
		return r, auditLine{}
	}
	return r, parseAudit(t, r.stdout)
}

// mustAudit runs reader --audit and fails the test unless it finds the
// summary equal to the input (exit 0).
func mustAudit(t *testing.T, s endpoints, args ...string) auditLine {
	t.Helper()
	r, v := runAudit(t, s, args...)
	if r.code != 0 || !v.Equal {
		t.Fatalf("reader --audit %v exited %d\nstdout:\n%s\nstderr:\n%s", args, r.code, r.stdout, r.stderr)
	}
	if v.Unaccounted != 0 || v.Aggregated+v.Late+v.Dead+v.InFlight != v.Sales {
		t.Errorf("audit's counts do not add up: %+v", v)
	}
	t.Logf("%s", strings.TrimSpace(r.stdout))
	return v
}

const lateTopic = "pagila.sales.avro.late"

// auditMidStream audits a running enricher as soon as it can: until its
// first commits have fully landed (the summary row of a commit may show
// before its settings record does) the audit cannot be made, exit 2.
func auditMidStream(t *testing.T, s endpoints, args ...string) auditLine {
	t.Helper()
	var r result
	waitFor(t, time.Minute, "an audit that can be made", func() bool {
		r, _ = runAudit(t, s, args...)
		return r.code != 2
	})
	v := parseAudit(t, r.stdout)
	if r.code != 0 || !v.Equal || v.Unaccounted != 0 || v.Aggregated+v.Late+v.Dead+v.InFlight != v.Sales {
		t.Fatalf("reader --audit %v mid-stream exited %d\nstdout:\n%s\nstderr:\n%s", args, r.code, r.stdout, r.stderr)
	}
	t.Logf("mid-stream: %s", strings.TrimSpace(r.stdout))
	return v
}

// TestAuditLiveReference runs the reference pipeline's own scenario,
// compressed in time: event time now, the reference CSV sent 10 ms apart
// while the enricher runs with a 1 s trigger. When the producer ends, the
// audit passes on the running enricher (a consistent cut, then caught
// up); then on the stopped one; and the summary equals a batch
// aggregation, written here, of the sales read back from the topic.
func TestAuditLiveReference(t *testing.T) {
	dir := "../../shared/reference/pagila"
	if _, err := os.Stat(dir); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("reference data missing in CI: %v", err)
		}
		t.Skipf("reference data not present: %v", err)
	}
	salesPath, regionsPath := dir+"/sales_incremental_large.csv", dir+"/sales_regions.csv"
	s := stack(t)
	mustRun(t, s, "schemas")
	ensureTopic(t, s, schema.SalesTopic, 3)
	enr, enrOut := startBin(t, s, "enricher", "--trigger", "1s", "--regions", regionsPath, "--late-topic", lateTopic, "--log-level", "warn")
	prod, prodOut := startBin(t, s, "producer", "--input", salesPath, "--event-time", "now", "--delay", "10ms")
	prodDone := make(chan error, 1)
	go func() { prodDone <- prod.Wait() }()
	// While the sales arrive: the audit cuts between the enricher's commits.
	mid := auditMidStream(t, s, "--regions", regionsPath)
	select {
	case err := <-prodDone:
		if err != nil || !strings.Contains(prodOut.String(), "sent 1800") {
			t.Fatalf("producer (%v) did not report 1800 sales sent:\n%s", err, prodOut)
		}
	case <-time.After(time.Minute):
		t.Fatalf("producer did not finish within a minute:\n%s", prodOut)
	}
	if mid.Sales >= 1800 {
		t.Logf("the audit mid-stream found every sale already read: %+v", mid)
	}

	live, _ := runAudit(t, s, "--regions", regionsPath)
	if live.code != 0 {
		t.Fatalf("audit of the running enricher exited %d\n%s\n%s\nenricher:\n%s", live.code, live.stdout, live.stderr, enrOut)
	}
	if !strings.Contains(live.stdout, "cut: a consistent cut") && !strings.Contains(live.stdout, "cut: the enricher had caught up") {
		t.Errorf("the audit does not say how it cut:\n%s", live.stdout)
	}
	t.Logf("live audit:\n%s", live.stdout)
	caught := mustAudit(t, s, "--regions", regionsPath, "--audit-wait", "1m")
	want := auditLine{Equal: true, Windows: caught.Windows, Sales: 1800, Aggregated: 1800}
	if caught != want {
		t.Errorf("audit after catching up: %+v, want %+v", caught, want)
	}

	stop(t, enr, enrOut)
	if v := mustAudit(t, s, "--regions", regionsPath); v != want {
		t.Errorf("audit of the stopped enricher: %+v, want %+v", v, want)
	}
	out := mustRun(t, s, "reader", "--format", "json")
	compareRows(t, out.stdout, aggregateSalesTopic(t, s, regionsPath))
}

// aggregateSalesTopic is the batch aggregation of what the sales topic
// holds, by event time, written for the test: 10-minute windows sliding
// every 5 minutes.
func aggregateSalesTopic(t *testing.T, s endpoints, regionsPath string) map[summaryKey]summary {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	reg, err := registry.New(s.RegistryURL())
	if err != nil {
		t.Fatal(err)
	}
	sd := serde.New(reg)
	regions := oracleRegions(t, regionsPath)
	out := map[summaryKey]summary{}
	for _, r := range readAll(ctx, t, s, schema.SalesTopic, kgo.ReadCommitted()) {
		if r.Attrs.IsControl() {
			continue
		}
		var v schema.SaleValue
		if err := sd.Decode(ctx, r.Value, nil, false, &v); err != nil {
			t.Fatalf("decode the sale at %d/%d: %v", r.Partition, r.Offset, err)
		}
		// Avro's decimal: big-endian two's complement, unscaled cents.
		cents := int64(0)
		for i, b := range v.Amount {
			if i == 0 && b&0x80 != 0 {
				cents = -1
			}
			cents = cents<<8 | int64(b)
		}
		country := ""
		if v.Country != nil {
			country = *v.Country
		}
		oracleAdd(out, oracleRegion(regions, country), v.PaymentDate, cents, (10 * time.Minute).Milliseconds(), (5 * time.Minute).Milliseconds())
	}
	return out
}

// salesWriter produces sales and poison messages to the sales topic.
type salesWriter struct {
	t              *testing.T
	cl             *kgo.Client
	keyEnc, valEnc *serde.Encoder
	n, bad         int
}

func newSalesWriter(ctx context.Context, t *testing.T, s endpoints) *salesWriter {
	w := &salesWriter{t: t}
	w.cl, w.keyEnc, w.valEnc = topicWriter(ctx, t, s, schema.SalesTopic)
	return w
}

// topicWriter returns a client producing to topic, closed when t ends,
// and the encoders of the topic's keys and values.
func topicWriter(ctx context.Context, t *testing.T, s endpoints, topic string) (*kgo.Client, *serde.Encoder, *serde.Encoder) {
	t.Helper()
	reg, err := registry.New(s.RegistryURL())
	if err != nil {
		t.Fatal(err)
	}
	sd := serde.New(reg)
	keyEnc, err := sd.Encoder(ctx, schema.KeyArtifact(topic))
	if err != nil {
		t.Fatal(err)
	}
	valEnc, err := sd.Encoder(ctx, schema.ValueArtifact(topic))
	if err != nil {
		t.Fatal(err)
	}
	cl, err := kgo.NewClient(kgo.SeedBrokers(s.Brokers()...), kgo.DefaultProduceTopic(topic))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	return cl, keyEnc, valEnc
}

var auditCountries = []string{"France", "Japan", "Brazil", "Kenya", "Atlantis"}

// send produces a sale at event time ms, and a poison message after it
// if poisoned.
func (w *salesWriter) send(ctx context.Context, ms int64, poisoned bool) {
	w.n++
	sale := sales.Sale{PaymentID: int32(w.n), CustomerID: int32(w.n%97 + 1), Amount: money.Cents(99 + w.n*37%9000),
		PaymentDate: time.UnixMilli(ms).UTC(), Country: auditCountries[w.n%len(auditCountries)]}
	key, err := w.keyEnc.Append(nil, &schema.SaleKey{CustomerID: sale.CustomerID})
	if err != nil {
		w.t.Fatal(err)
	}
	v := schema.NewSaleValue(sale, nil)
	val, err := w.valEnc.Append(nil, &v)
	if err != nil {
		w.t.Fatal(err)
	}
	recs := []*kgo.Record{{Key: key, Value: val}}
	if poisoned {
		recs = append(recs, &kgo.Record{Key: key, Value: poison(w.t, w.bad%len(poisonKinds), val, w.keyEnc.ContentID(), sale)})
		w.bad++
	}
	if err := w.cl.ProduceSync(ctx, recs...).FirstErr(); err != nil {
		w.t.Fatal(err)
	}
}

// TestAuditLateAndPoison mixes late sales (dropped from all their windows,
// and from some) and poison messages into a stream the enricher windows
// live: the audit passes and its counts are what the test sent. Then it
// tampers with the summary table (a row one cent off, a row deleted, a
// row added): the audit exits 1 naming each; and it refuses, with exit 2,
// another regions file, a group without offsets, a missing summary topic.
func TestAuditLateAndPoison(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	s := stack(t)
	mustRun(t, s, "schemas")
	// One partition: the sales arrive in the order sent, so the test
	// knows the watermark.
	ensureTopic(t, s, schema.SalesTopic, 1)
	enr, enrOut := startBin(t, s, "enricher", "--trigger", "1s", "--regions", "../data/regions.csv", "--late-topic", lateTopic, "--log-level", "warn")
	w := newSalesWriter(ctx, t, s)

	// 1,000 sales over 10 minutes of event time, 20 poison messages.
	t0 := time.Now().Truncate(time.Hour).Add(-time.Hour).UnixMilli()
	var maxEvent int64
	for i := range 1000 {
		maxEvent = t0 + int64(i)*600
		w.send(ctx, maxEvent, i%50 == 7)
	}
	v := mustAudit(t, s, "--regions", "../data/regions.csv", "--audit-wait", "1m")
	if want := (auditLine{Equal: true, Windows: v.Windows, Sales: 1020, Aggregated: 1000, Dead: 20}); v != want {
		t.Fatalf("audit after the in-order sales: %+v, want %+v", v, want)
	}
	// Every sale windowed: the watermark is now maxEvent - 10m. Sales
	// 2 hours old are late in both their windows; sales just before the
	// last 5-minute boundary at or below the watermark are late in one.
	wm := maxEvent - (10 * time.Minute).Milliseconds()
	boundary := wm - wm%(5*time.Minute).Milliseconds()
	for i := range 30 {
		w.send(ctx, maxEvent-(2*time.Hour).Milliseconds()+int64(i), i%3 == 0)
	}
	for i := range 20 {
		w.send(ctx, boundary-1-int64(i), false)
	}
	want := auditLine{Equal: true, Sales: 1080, Aggregated: 1020, PartlyLate: 20, Late: 30, Dead: 30}
	v = mustAudit(t, s, "--regions", "../data/regions.csv", "--audit-wait", "1m")
	want.Windows = v.Windows
	if v != want {
		t.Errorf("audit after the late sales: %+v, want %+v", v, want)
	}
	stop(t, enr, enrOut)
	if v := mustAudit(t, s, "--regions", "../data/regions.csv"); v != want {
		t.Errorf("audit of the stopped enricher: %+v, want %+v", v, want)
	}
	tamper(ctx, t, s)
	refuse(t, s)
}

// tamper writes wrong rows into the summary table and checks that the
// audit names each.
func tamper(ctx context.Context, t *testing.T, s endpoints) {
	out := mustRun(t, s, "reader", "--format", "json")
	rows := jsonLines[jsonRow](t, "reader", out.stdout)
	if len(rows) < 2 {
		t.Fatalf("reader printed %d rows", len(rows))
	}
	cl, keyEnc, valEnc := topicWriter(ctx, t, s, schema.SummaryTopic)
	write := func(region, start string, cents, orders int64, tombstone bool) {
		st, err := time.Parse(time.RFC3339, start)
		if err != nil {
			t.Fatal(err)
		}
		k, err := keyEnc.Append(nil, &schema.SummaryKey{Region: region, WindowStart: st.UnixMilli()})
		if err != nil {
			t.Fatal(err)
		}
		rec := &kgo.Record{Key: k}
		if !tombstone {
			if rec.Value, err = valEnc.Append(nil, &schema.SummaryValue{Region: region, Sales: schema.AppendDecimal(nil, money.Cents(cents)),
				Orders: orders, WindowStart: st.UnixMilli(), WindowEnd: st.Add(10 * time.Minute).UnixMilli()}); err != nil {
				t.Fatal(err)
			}
		}
		if err := cl.ProduceSync(ctx, rec).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}
	check := func(what string, n int, line string) {
		t.Helper()
		r, v := runAudit(t, s, "--regions", "../data/regions.csv")
		if r.code != 1 || v.Equal {
			t.Errorf("%s: audit exited %d, want 1\n%s\n%s", what, r.code, r.stdout, r.stderr)
		}
		if !strings.Contains(r.stdout, line+"\n") || !strings.Contains(r.stdout, fmt.Sprintf("NOT EQUAL (%d differences, 0 problems)", n)) {
			t.Errorf("%s: the audit does not say %q among %d differences:\n%s", what, line, n, r.stdout)
		}
	}
	a, b := rows[0], rows[1]
	cents := parseCents(t, a.Sales)
	write(a.Region, a.WindowStart, cents+1, a.Orders, false)
	check("a row one cent off", 1, fmt.Sprintf("differs  %s@%s: expected sales %s orders %d, found sales %s orders %d",
		a.Region, a.WindowStart, a.Sales, a.Orders, fmtCents(cents+1), a.Orders))
	write(b.Region, b.WindowStart, 0, 0, true)
	check("a row deleted", 2, fmt.Sprintf("missing  %s@%s: expected sales %s orders %d, found no row", b.Region, b.WindowStart, b.Sales, b.Orders))
	write("Nowhere", a.WindowStart, 123, 1, false)
	check("a row added", 3, fmt.Sprintf("extra    Nowhere@%s: expected no row, found sales 1.23 orders 1", a.WindowStart))
}

// refuse checks the audits that cannot be made: exit 2, saying what to do.
func refuse(t *testing.T, s endpoints) {
	regions, err := os.ReadFile("../data/regions.csv")
	if err != nil {
		t.Fatal(err)
	}
	other := filepath.Join(t.TempDir(), "regions.csv")
	if err := os.WriteFile(other, []byte(strings.Replace(string(regions), `"France","Europe"`, `"France","Asia & Pacific"`, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		args []string
		says []string
	}{
		{"another regions file", []string{"--regions", other}, []string{"is not the regions file the enricher joined with", "give --regions the enricher's regions file"}},
		{"a group without offsets", []string{"--regions", "../data/regions.csv", "--group", "nobody"}, []string{"the group nobody has no committed offsets", "give --group"}},
		{"no summary topic", []string{"--regions", "../data/regions.csv", "--summary-topic", "no.such.summary"}, []string{"--summary-topic no.such.summary does not exist", "run the enricher first"}},
	} {
		r, _ := runAudit(t, s, tc.args...)
		if r.code != 2 {
			t.Errorf("%s: audit exited %d, want 2\n%s\n%s", tc.name, r.code, r.stdout, r.stderr)
		}
		for _, w := range tc.says {
			if !strings.Contains(r.stderr, w) {
				t.Errorf("%s: the audit does not say %q:\n%s", tc.name, w, r.stderr)
			}
		}
	}
}
