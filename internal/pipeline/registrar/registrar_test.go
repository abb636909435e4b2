package registrar

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/salesstream/salesstream/internal/domain/schema"
	"github.com/salesstream/salesstream/internal/laptop/registryserver"
	"github.com/salesstream/salesstream/pkg/registry"
)

var quiet = slog.New(slog.DiscardHandler)

// newRegistry serves an embedded registry and returns a client of it (v3
// unless opts say otherwise).
func newRegistry(t *testing.T, opts ...registry.Option) *registry.Client {
	t.Helper()
	srv, err := registryserver.New(context.Background(), registryserver.WithLogger(quiet))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(hs.Close)
	c, err := registry.New(hs.URL, append([]registry.Option{registry.WithLogger(quiet)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func outcomes(rs []Result) []registry.Outcome {
	out := make([]registry.Outcome, len(rs))
	for i, r := range rs {
		out[i] = r.Outcome
	}
	return out
}

func repeat(o registry.Outcome, n int) []registry.Outcome {
	out := make([]registry.Outcome, n)
	for i := range out {
		out[i] = o
	}
	return out
}

func equalOutcomes(a, b []registry.Outcome) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// withDoc returns the artifacts with a doc added to the first field of the
// one of index i: a compatible change of content.
func withDoc(arts []schema.Artifact, i int) []schema.Artifact {
	out := append([]schema.Artifact(nil), arts...)
	out[i].Content = strings.Replace(out[i].Content, `"fields": [`, `"doc": "changed", "fields": [`, 1)
	return out
}

func TestRegisterIdempotent(t *testing.T) {
	tests := []struct {
		name string
		opts []registry.Option
	}{
		{"v3 API", nil},
		{"v2 API", []registry.Option{registry.WithAPIV2()}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { testRegisterIdempotent(t, newRegistry(t, tt.opts...)) })
	}
}

// testRegisterIdempotent registers the artifacts three times: all new, all
// unchanged, then with one changed.
func testRegisterIdempotent(t *testing.T, c *registry.Client) {
	ctx := testContext(t)
	arts := schema.Artifacts()

	first, err := Register(ctx, c, arts, Rules{})
	if err != nil {
		t.Fatalf("first Register: %v", err)
	}
	if got := outcomes(first); !equalOutcomes(got, repeat(registry.Created, 6)) {
		t.Fatalf("first run outcomes %v, want 6 x created", got)
	}
	ids := map[int64]bool{}
	for i, r := range first {
		if r.Meta.ArtifactID != arts[i].ID || r.Meta.Version != "1" {
			t.Errorf("result %d: %s version %s, want %s version 1", i, r.Meta.ArtifactID, r.Meta.Version, arts[i].ID)
		}
		if ids[r.Meta.GlobalID] {
			t.Errorf("global id %d given twice", r.Meta.GlobalID)
		}
		ids[r.Meta.GlobalID] = true
		content, err := c.Content(ctx, arts[i].ID, "latest")
		if err != nil {
			t.Fatal(err)
		}
		if content != arts[i].Content {
			t.Errorf("registered content of %s differs from the schema", arts[i].ID)
		}
	}

	second, err := Register(ctx, c, arts, Rules{})
	if err != nil {
		t.Fatalf("second Register: %v", err)
	}
	if got := outcomes(second); !equalOutcomes(got, repeat(registry.Unchanged, 6)) {
		t.Fatalf("second run outcomes %v, want 6 x unchanged", got)
	}
	for i, r := range second {
		if r.Meta.GlobalID != first[i].Meta.GlobalID || r.Meta.Version != "1" {
			t.Errorf("%s: second run gave version %s global id %d, want the first run's 1 / %d",
				arts[i].ID, r.Meta.Version, r.Meta.GlobalID, first[i].Meta.GlobalID)
		}
	}

	changed := withDoc(arts, 3)
	if changed[3].Content == arts[3].Content {
		t.Fatal("test defect: the schema was not changed")
	}
	third, err := Register(ctx, c, changed, Rules{})
	if err != nil {
		t.Fatalf("third Register: %v", err)
	}
	want := repeat(registry.Unchanged, 6)
	want[3] = registry.NewVersion
	if got := outcomes(third); !equalOutcomes(got, want) {
		t.Fatalf("third run outcomes %v, want %v", got, want)
	}
	if third[3].Meta.Version != "2" || third[3].Meta.GlobalID == first[3].Meta.GlobalID {
		t.Errorf("changed %s: version %s global id %d, want a version 2 with a new global id", arts[3].ID, third[3].Meta.Version, third[3].Meta.GlobalID)
	}
	vs, err := c.Versions(ctx, arts[3].ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(vs) != 2 {
		t.Errorf("%s has %d versions, want 2", arts[3].ID, len(vs))
	}
	for i, a := range arts {
		if i == 3 {
			continue
		}
		if vs, err := c.Versions(ctx, a.ID); err != nil || len(vs) != 1 {
			t.Errorf("%s has %d versions (err %v), want 1", a.ID, len(vs), err)
		}
	}
}

func TestRegisterRules(t *testing.T) {
	tests := []struct {
		name  string
		runs  []Rules // applied in order
		want  map[registry.RuleType]string
		unset []registry.RuleType
	}{
		{"none", []Rules{{}}, nil, []registry.RuleType{registry.RuleValidity, registry.RuleCompatibility}},
		{"both", []Rules{{Validity: "FULL", Compatibility: "BACKWARD"}},
			map[registry.RuleType]string{registry.RuleValidity: "FULL", registry.RuleCompatibility: "BACKWARD"}, nil},
		{"validity only", []Rules{{Validity: "SYNTAX_ONLY"}},
			map[registry.RuleType]string{registry.RuleValidity: "SYNTAX_ONLY"}, []registry.RuleType{registry.RuleCompatibility}},
		{"updated", []Rules{{Validity: "FULL", Compatibility: "BACKWARD"}, {Validity: "NONE", Compatibility: "FULL_TRANSITIVE"}},
			map[registry.RuleType]string{registry.RuleValidity: "NONE", registry.RuleCompatibility: "FULL_TRANSITIVE"}, nil},
		{"empty keeps the rule", []Rules{{Validity: "FULL", Compatibility: "BACKWARD"}, {Compatibility: "FORWARD"}},
			map[registry.RuleType]string{registry.RuleValidity: "FULL", registry.RuleCompatibility: "FORWARD"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := testContext(t)
			c := newRegistry(t)
			for i, rules := range tt.runs {
				if _, err := Register(ctx, c, schema.Artifacts(), rules); err != nil {
					t.Fatalf("run %d: %v", i, err)
				}
			}
			for _, id := range schema.ArtifactIDs() {
				for rule, want := range tt.want {
					got, err := c.Rule(ctx, id, rule)
					if err != nil || got != want {
						t.Errorf("%s rule of %s = %q (err %v), want %q", rule, id, got, err, want)
					}
				}
				for _, rule := range tt.unset {
					if got, err := c.Rule(ctx, id, rule); !errors.Is(err, registry.ErrNotFound) {
						t.Errorf("%s rule of %s = %q (err %v), want it unset", rule, id, got, err)
					}
				}
			}
		})
	}
}

// TestRegisterStops checks that Register stops at the first failure and
// returns the results so far.
func TestRegisterStops(t *testing.T) {
	arts := schema.Artifacts()
	// A required field without a default cannot read data written before.
	incompatible := append([]schema.Artifact(nil), arts...)
	incompatible[5].Content = strings.Replace(arts[5].Content, `"fields": [`, `"fields": [{"name": "added", "type": "string"},`, 1)
	tests := []struct {
		name    string
		prepare Rules  // applied with the unchanged artifacts first
		global  string // global VALIDITY rule, if set
		arts    []schema.Artifact
		rules   Rules
		results int
		want    string
	}{
		{"incompatible change", Rules{Compatibility: "BACKWARD"}, "", incompatible, Rules{}, 5, "register " + arts[5].ID},
		{"bad rule config", Rules{}, "", arts, Rules{Validity: "BOGUS"}, 0, "set VALIDITY rule of " + arts[0].ID + " to BOGUS"},
		{"not Avro", Rules{}, "FULL", []schema.Artifact{arts[0], {ID: "broken", Content: "{not json"}}, Rules{}, 1, "register broken"},
		{"empty content", Rules{}, "", []schema.Artifact{{ID: "empty"}}, Rules{}, 0, "register empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := testContext(t)
			c := newRegistry(t)
			if _, err := Register(ctx, c, arts, tt.prepare); err != nil {
				t.Fatal(err)
			}
			if tt.global != "" {
				if err := c.SetRule(ctx, "", registry.RuleValidity, tt.global); err != nil {
					t.Fatal(err)
				}
			}
			res, err := Register(ctx, c, tt.arts, tt.rules)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Register error = %v, want one containing %q", err, tt.want)
			}
			if len(res) != tt.results {
				t.Fatalf("%d results returned with the error, want %d", len(res), tt.results)
			}
		})
	}
}

func TestRegisterUnreachable(t *testing.T) {
	hs := httptest.NewServer(nil)
	url := hs.URL
	hs.Close()
	c, err := registry.New(url, registry.WithLogger(quiet), registry.WithRetries(0, time.Millisecond, time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	res, err := Register(testContext(t), c, schema.Artifacts(), Rules{})
	if !errors.Is(err, registry.ErrUnavailable) {
		t.Fatalf("Register error = %v, want registry.ErrUnavailable", err)
	}
	if len(res) != 0 {
		t.Fatalf("%d results from an unreachable registry", len(res))
	}
}

func TestPrint(t *testing.T) {
	created := time.Date(2021, 5, 10, 13, 0, 0, 0, time.UTC)
	tests := []struct {
		name    string
		results []Result
		want    [][]string
	}{
		{"no results", nil, nil},
		{"outcomes", []Result{
			{registry.VersionMeta{ArtifactID: "pagila.sales.csv", Version: "1", GlobalID: 1, ContentID: 1, CreatedOn: created}, registry.Created},
			{registry.VersionMeta{ArtifactID: "pagila.sales.summary.avro-value", Version: "12", GlobalID: 12345, ContentID: 678}, registry.NewVersion},
			{registry.VersionMeta{ArtifactID: "x", Version: "3", GlobalID: 9, ContentID: 9}, registry.Unchanged},
		}, [][]string{
			{"pagila.sales.csv", "1", "1", "1", "created"},
			{"pagila.sales.summary.avro-value", "12", "12345", "678", "new version"},
			{"x", "3", "9", "9", "unchanged"},
		}},
	}
	cols := regexp.MustCompile(`\S+(?: \S+)*`) // a column: words one space apart
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := Print(&b, tt.results); err != nil {
				t.Fatal(err)
			}
			lines := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
			if len(lines) != 1+len(tt.want) {
				t.Fatalf("%d lines, want a header and %d rows:\n%s", len(lines), len(tt.want), b.String())
			}
			header := []string{"ARTIFACT", "VERSION", "GLOBAL ID", "CONTENT ID", "OUTCOME"}
			if got := cols.FindAllString(lines[0], -1); strings.Join(got, "|") != strings.Join(header, "|") {
				t.Fatalf("header %q, want columns %q", lines[0], header)
			}
			// Columns are aligned: each starts where its header starts.
			starts := cols.FindAllStringIndex(lines[0], -1)
			for i, w := range tt.want {
				line := lines[i+1]
				got := cols.FindAllString(line, -1)
				if strings.Join(got, "|") != strings.Join(w, "|") {
					t.Errorf("row %d = %q, want columns %q", i, line, w)
					continue
				}
				for j, idx := range cols.FindAllStringIndex(line, -1) {
					if idx[0] != starts[j][0] {
						t.Errorf("row %d column %d starts at %d, header at %d:\n%s", i, j, idx[0], starts[j][0], b.String())
					}
				}
			}
		})
	}
}

func TestPrintRegistered(t *testing.T) {
	ctx := testContext(t)
	c := newRegistry(t)
	res, err := Register(ctx, c, schema.Artifacts(), Rules{})
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := Print(&b, res); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, r := range res {
		line := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(r.Meta.ArtifactID) + ` +1 +` +
			strconv.FormatInt(r.Meta.GlobalID, 10) + ` +` + strconv.FormatInt(r.Meta.ContentID, 10) + ` +created$`)
		if !line.MatchString(out) {
			t.Errorf("no line for %s version 1, global id %d, content id %d, created:\n%s", r.Meta.ArtifactID, r.Meta.GlobalID, r.Meta.ContentID, out)
		}
	}
}
