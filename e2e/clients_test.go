package e2e

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/salesstream/salesstream/internal/app"
	"github.com/salesstream/salesstream/internal/app/enricherapp"
	"github.com/salesstream/salesstream/internal/app/producerapp"
	"github.com/salesstream/salesstream/internal/app/readerapp"
	"github.com/salesstream/salesstream/internal/domain/schema"
	"github.com/salesstream/salesstream/internal/laptop/devstack"
	"github.com/salesstream/salesstream/internal/pipeline/enricher"
	"github.com/salesstream/salesstream/internal/pipeline/producer"
	"github.com/salesstream/salesstream/internal/pipeline/reader"
	"github.com/salesstream/salesstream/internal/pipeline/registrar"
	"github.com/salesstream/salesstream/internal/platform/kafkaconn"
	"github.com/salesstream/salesstream/pkg/registry"
)

// clientsDir holds the Node scripts that drive the official clients.
const clientsDir = "../clients"

// requireNodeClients skips the test when Node, npm or the installed client
// packages are missing, except in CI, where it fails.
func requireNodeClients(t *testing.T) {
	t.Helper()
	var missing string
	switch {
	case lookPath("node") != nil:
		missing = "node is not installed"
	case lookPath("npm") != nil:
		missing = "npm is not installed"
	default:
		if _, err := os.Stat(filepath.Join(clientsDir, "node_modules")); err != nil {
			missing = "clients/node_modules is absent: run `npm ci --prefix clients`"
		}
	}
	if missing == "" {
		return
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("official client check cannot run in CI: %s", missing)
	}
	t.Skipf("official client check skipped: %s", missing)
}

func lookPath(name string) error {
	_, err := exec.LookPath(name)
	return err
}

// runNode runs a script of clientsDir with args and returns its stdout; it
// fails the test when the script exits non-zero or outlives timeout.
func runNode(t *testing.T, timeout time.Duration, script string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "node", append([]string{script}, args...)...)
	cmd.Dir = clientsDir
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("node %s did not finish within %v\nstderr:\n%s", script, timeout, errOut.String())
	}
	if err != nil {
		t.Fatalf("node %s %v: %v\nstderr:\n%s", script, args, err, errOut.String())
	}
	t.Logf("node %s: %s", script, strings.TrimSpace(lastLine(errOut.String())))
	return out.String()
}

func lastLine(s string) string {
	s = strings.TrimSpace(s)
	return s[strings.LastIndexByte(s, '\n')+1:]
}

// jsonLines decodes every line of out into a T.
func jsonLines[T any](t *testing.T, what, out string) []T {
	t.Helper()
	var all []T
	sc := bufio.NewScanner(strings.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		if strings.TrimSpace(sc.Text()) == "" {
			continue
		}
		var v T
		if err := json.Unmarshal(sc.Bytes(), &v); err != nil {
			t.Fatalf("%s printed a line that is not JSON (%v): %s", what, err, sc.Text())
		}
		all = append(all, v)
	}
	return all
}

// sdkArtifact is a line of apicurio-sdk.mjs.
type sdkArtifact struct {
	GroupID    string `json:"groupId"`
	ArtifactID string `json:"artifactId"`
	Outcome    string `json:"outcome"`
	Version    string `json:"version"`
	GlobalID   int64  `json:"globalId"`
	ContentID  int64  `json:"contentId"`
}

// consumed is a line of confluent-consume.mjs.
type consumed struct {
	Topic         string          `json:"topic"`
	Partition     int32           `json:"partition"`
	Offset        int64           `json:"offset"`
	KeySchemaID   int64           `json:"keySchemaId"`
	ValueSchemaID int64           `json:"valueSchemaId"`
	Key           json.RawMessage `json:"key"`
	Value         json.RawMessage `json:"value"`
}

// jsSale is a sales record as the Confluent-compatible consumer decoded it.
type jsSale struct {
	PaymentID   int64   `json:"payment_id"`
	CustomerID  int64   `json:"customer_id"`
	Amount      string  `json:"amount"`
	PaymentDate int64   `json:"payment_date"`
	City        *string `json:"city"`
	District    *string `json:"district"`
	Country     string  `json:"country"`
}

// jsSummary is a summary record as the Confluent-compatible consumer
// decoded it; jsSummaryKey its key.
type jsSummary struct {
	Region      string `json:"region"`
	Sales       string `json:"sales"`
	Orders      int64  `json:"orders"`
	WindowStart int64  `json:"window_start"`
	WindowEnd   int64  `json:"window_end"`
}

type jsSummaryKey struct {
	Region      string `json:"region"`
	WindowStart int64  `json:"window_start"`
}

// TestOfficialClients proves the embedded stack to clients that know
// nothing of salesstream: Apicurio's own TypeScript SDK creates the six
// artifacts, which salesstream's registration then finds unchanged; the
// pipeline runs; and KafkaJS with the Confluent schema registry client
// decodes every sale and summary through the ccompat API, which must equal
// the CSV rows and what salesstream's own reader reads.
func TestOfficialClients(t *testing.T) {
	requireNodeClients(t)
	s := stack(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	quiet := slog.New(slog.DiscardHandler)
	reg, err := registry.New(s.RegistryURL(), registry.WithLogger(quiet))
	if err != nil {
		t.Fatal(err)
	}

	// Apicurio's SDK creates the artifacts in the empty registry.
	sdk := sdkRun(t, s, "default")
	for _, a := range sdk {
		if a.Outcome != "created" {
			t.Errorf("SDK, empty registry: %s was %s, want created", a.ArtifactID, a.Outcome)
		}
	}
	// salesstream's registration finds each one, with the SDK's ids.
	results, err := registrar.Register(ctx, reg, schema.Artifacts(), registrar.Rules{})
	if err != nil {
		t.Fatalf("register after the SDK: %v", err)
	}
	for _, r := range results {
		a := sdk[r.Meta.ArtifactID]
		if r.Outcome != registry.Unchanged || r.Meta.GlobalID != a.GlobalID || r.Meta.ContentID != a.ContentID {
			t.Errorf("registrar on %s: %s (globalId %d, contentId %d); want unchanged with the SDK's (%d, %d)",
				r.Meta.ArtifactID, r.Outcome, r.Meta.GlobalID, r.Meta.ContentID, a.GlobalID, a.ContentID)
		}
	}
	// The SDK again: found, same ids; in another group: created, sharing
	// the contents (same bytes, same contentId) under new globalIds.
	for id, a := range sdkRun(t, s, "default") {
		if a.Outcome != "found" || a.GlobalID != sdk[id].GlobalID || a.ContentID != sdk[id].ContentID {
			t.Errorf("SDK, second run: %+v, want found with %+v's ids", a, sdk[id])
		}
	}
	for id, a := range sdkRun(t, s, "sdk-check") {
		if a.Outcome != "created" || a.ContentID != sdk[id].ContentID || a.GlobalID == sdk[id].GlobalID {
			t.Errorf("SDK, other group: %+v, want created with contentId %d and a new globalId", a, sdk[id].ContentID)
		}
	}

	// The pipeline: producer (original event times, no delay), enricher
	// (once), reader.
	clients := app.Clients{Kafka: kafkaconn.Config{Brokers: s.Brokers(), Logger: quiet}, Registry: reg, Logger: quiet}
	pst, err := producerapp.Job{Clients: clients, Input: "../data/sales.csv",
		Producer: producer.Config{EventTime: producer.Original}}.Run(ctx)
	if err != nil {
		t.Fatalf("producer: %v", err)
	}
	ecfg := enricher.DefaultConfig()
	ecfg.Once = true
	if _, err := (enricherapp.Job{Clients: clients, Regions: "../data/regions.csv", Enricher: ecfg}).Run(ctx); err != nil {
		t.Fatalf("enricher: %v", err)
	}
	table, err := readerapp.Job{Clients: clients, Topic: schema.SummaryTopic}.Run(ctx)
	if err != nil || table.Undecodable > 0 {
		t.Fatalf("reader: %v (%d undecodable: %v)", err, table.Undecodable, table.Errors)
	}

	// KafkaJS + the Confluent client read both topics to their ends.
	out := runNode(t, 3*time.Minute, "confluent-consume.mjs",
		"--brokers", strings.Join(s.Brokers(), ","), "--registry", s.RegistryURL(),
		"--topic", schema.SalesTopic, "--topic", schema.SummaryTopic, "--timeout", "150")
	var salesLines, summaryLines []consumed
	for _, c := range jsonLines[consumed](t, "confluent-consume.mjs", out) {
		switch c.Topic {
		case schema.SalesTopic:
			salesLines = append(salesLines, c)
		case schema.SummaryTopic:
			summaryLines = append(summaryLines, c)
		default:
			t.Fatalf("consumer printed a record of topic %q", c.Topic)
		}
	}
	if int64(len(salesLines)) != pst.Sent {
		t.Errorf("consumer decoded %d sales, the producer sent %d", len(salesLines), pst.Sent)
	}
	checkSales(t, salesLines, csvSales(t, "../data/sales.csv"),
		sdk[schema.KeyArtifact(schema.SalesTopic)].ContentID, sdk[schema.ValueArtifact(schema.SalesTopic)].ContentID)
	if len(summaryLines) != table.Records {
		t.Errorf("consumer decoded %d summary records, the reader read %d", len(summaryLines), table.Records)
	}
	checkSummaries(t, summaryLines, table.Rows,
		sdk[schema.KeyArtifact(schema.SummaryTopic)].ContentID, sdk[schema.ValueArtifact(schema.SummaryTopic)].ContentID)
}

// sdkRun runs apicurio-sdk.mjs on group and returns its artifacts by id,
// checking it reported each of the six once.
func sdkRun(t *testing.T, s *devstack.Stack, group string) map[string]sdkArtifact {
	t.Helper()
	out := runNode(t, 2*time.Minute, "apicurio-sdk.mjs", "--registry", s.RegistryURL(), "--group", group)
	got := map[string]sdkArtifact{}
	for _, a := range jsonLines[sdkArtifact](t, "apicurio-sdk.mjs", out) {
		if _, dup := got[a.ArtifactID]; dup || a.GroupID != group {
			t.Fatalf("SDK reported %+v twice or outside group %s", a, group)
		}
		got[a.ArtifactID] = a
	}
	for _, id := range schema.ArtifactIDs() {
		if _, ok := got[id]; !ok {
			t.Fatalf("SDK run on group %s did not report %s; it printed:\n%s", group, id, out)
		}
	}
	if len(got) != len(schema.ArtifactIDs()) {
		t.Fatalf("SDK reported %d artifacts, want %d", len(got), len(schema.ArtifactIDs()))
	}
	return got
}

// csvRow is a sales CSV row as the wire must carry it, read without any of
// the project's packages.
type csvRow struct {
	CustomerID int64
	Cents      int64
	Millis     int64
	City       *string
	District   *string
	Country    string
	Line       int
}

// csvSales reads a pipe-separated sales CSV by payment_id.
func csvSales(t *testing.T, path string) map[int64]csvRow {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	nullable := func(s string) *string {
		if s = strings.TrimSpace(s); s == "" {
			return nil
		}
		return &s
	}
	rows := map[int64]csvRow{}
	for i, line := range strings.Split(strings.TrimRight(string(b), "\n"), "\n")[1:] {
		f := strings.Split(strings.TrimRight(line, "\r"), "|")
		if len(f) != 7 {
			t.Fatalf("%s line %d: %d fields", path, i+2, len(f))
		}
		id, err1 := strconv.ParseInt(strings.TrimSpace(f[0]), 10, 64)
		cust, err2 := strconv.ParseInt(strings.TrimSpace(f[1]), 10, 64)
		ts, err3 := time.Parse("2006-01-02 15:04:05.999999-07", strings.TrimSpace(f[3]))
		if err := cmp.Or(err1, err2, err3); err != nil {
			t.Fatalf("%s line %d: %v", path, i+2, err)
		}
		if _, dup := rows[id]; dup {
			t.Fatalf("%s: payment_id %d twice", path, id)
		}
		rows[id] = csvRow{
			CustomerID: cust, Cents: parseCents(t, strings.TrimSpace(f[2])), Millis: ts.UnixMilli(),
			City: nullable(f[4]), District: nullable(f[5]), Country: strings.TrimSpace(f[6]), Line: i + 2,
		}
	}
	return rows
}

// checkSales compares every decoded sale with its CSV row, and the schema
// ids the messages carry with the registered content ids.
func checkSales(t *testing.T, lines []consumed, want map[int64]csvRow, keyID, valueID int64) {
	t.Helper()
	seen := map[int64]bool{}
	bad := 0
	for _, c := range lines {
		if c.KeySchemaID != keyID || c.ValueSchemaID != valueID {
			t.Fatalf("sale at %d/%d carries schema ids (%d, %d), want the registered content ids (%d, %d)",
				c.Partition, c.Offset, c.KeySchemaID, c.ValueSchemaID, keyID, valueID)
		}
		var k struct {
			CustomerID int64 `json:"customer_id"`
		}
		var v jsSale
		if err := cmp.Or(json.Unmarshal(c.Key, &k), json.Unmarshal(c.Value, &v)); err != nil {
			t.Fatalf("sale at %d/%d: %v", c.Partition, c.Offset, err)
		}
		w, ok := want[v.PaymentID]
		switch {
		case !ok:
			t.Errorf("decoded a sale with payment_id %d, which the CSV does not have", v.PaymentID)
			bad++
		case seen[v.PaymentID]:
			t.Errorf("payment_id %d decoded twice", v.PaymentID)
			bad++
		default:
			got := fmt.Sprintf("key customer %d, customer %d, amount %s, date %d, city %s, district %s, country %q",
				k.CustomerID, v.CustomerID, v.Amount, v.PaymentDate, strOrNull(v.City), strOrNull(v.District), v.Country)
			exp := fmt.Sprintf("key customer %d, customer %d, amount %s, date %d, city %s, district %s, country %q",
				w.CustomerID, w.CustomerID, fmtCents(w.Cents), w.Millis, strOrNull(w.City), strOrNull(w.District), w.Country)
			if got != exp {
				t.Errorf("payment_id %d (CSV line %d) decoded as\n  %s\nwant\n  %s", v.PaymentID, w.Line, got, exp)
				bad++
			}
		}
		seen[v.PaymentID] = true
		if bad > 10 {
			t.Fatal("too many mismatched sales")
		}
	}
	if len(seen) != len(want) {
		t.Errorf("decoded %d distinct sales, the CSV has %d", len(seen), len(want))
	}
}

func strOrNull(s *string) string {
	if s == nil {
		return "null"
	}
	return strconv.Quote(*s)
}

// checkSummaries folds the decoded summary records into the latest per
// (region, window), as a compacted topic reads, and compares them with the
// reader's rows.
func checkSummaries(t *testing.T, lines []consumed, rows []reader.Row, keyID, valueID int64) {
	t.Helper()
	type at struct {
		partition int32
		offset    int64
	}
	latest := map[jsSummaryKey]jsSummary{}
	where := map[jsSummaryKey]at{}
	for _, c := range lines {
		if c.KeySchemaID != keyID || c.ValueSchemaID != valueID {
			t.Fatalf("summary at %d/%d carries schema ids (%d, %d), want the registered content ids (%d, %d)",
				c.Partition, c.Offset, c.KeySchemaID, c.ValueSchemaID, keyID, valueID)
		}
		var k jsSummaryKey
		var v jsSummary
		if err := cmp.Or(json.Unmarshal(c.Key, &k), json.Unmarshal(c.Value, &v)); err != nil {
			t.Fatalf("summary at %d/%d: %v", c.Partition, c.Offset, err)
		}
		if k.Region != v.Region || k.WindowStart != v.WindowStart {
			t.Errorf("summary at %d/%d: key %+v does not match value %+v", c.Partition, c.Offset, k, v)
		}
		if prev, ok := where[k]; ok && (prev.partition != c.Partition || prev.offset > c.Offset) {
			t.Errorf("summary key %+v at %d/%d and at %d/%d: one key must stay in one partition, in order",
				k, prev.partition, prev.offset, c.Partition, c.Offset)
		}
		latest[k], where[k] = v, at{c.Partition, c.Offset}
	}
	if len(latest) != len(rows) {
		t.Errorf("consumer folds to %d (region, window) rows, the reader has %d", len(latest), len(rows))
	}
	bad := 0
	for _, r := range rows {
		k := jsSummaryKey{Region: r.Region, WindowStart: r.WindowStart.UnixMilli()}
		v, ok := latest[k]
		want := jsSummary{Region: r.Region, Sales: fmtCents(int64(r.Sales)), Orders: r.Orders,
			WindowStart: r.WindowStart.UnixMilli(), WindowEnd: r.WindowEnd.UnixMilli()}
		if !ok || v != want {
			t.Errorf("summary %s @ %s: consumer decoded %+v (found %v), the reader has %+v",
				r.Region, r.WindowStart.UTC().Format(time.RFC3339), v, ok, want)
			if bad++; bad > 10 {
				t.Fatal("too many mismatched summaries")
			}
		}
	}
}
