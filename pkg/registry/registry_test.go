package registry_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/salesstream/salesstream/internal/platform/addrtest"
	"github.com/salesstream/salesstream/pkg/registry"
	"github.com/salesstream/salesstream/pkg/registry/registrytest"
)

const (
	schemaV1 = `{"type":"record","name":"Sale","namespace":"pagila.sales","fields":[{"name":"payment_id","type":"int"}]}`
	schemaV2 = `{"type":"record","name":"Sale","namespace":"pagila.sales","fields":[{"name":"payment_id","type":"int"},{"name":"country","type":"string","default":""}]}`
)

var quiet = slog.New(slog.DiscardHandler)

// apis runs a test against the v3 and the v2 API.
var apis = []struct {
	name string
	opts []registry.Option
}{
	{"v3", nil},
	{"v2", []registry.Option{registry.WithAPIV2()}},
}

// forEachAPI runs f as a subtest for each API, against a fresh test
// registry and a client of it made with the API's options and then opts.
func forEachAPI(t *testing.T, f func(t *testing.T, s *registrytest.Server, c *registry.Client), opts ...registry.Option) {
	t.Helper()
	for _, api := range apis {
		t.Run(api.name, func(t *testing.T) {
			s := registrytest.New(t)
			f(t, s, newClient(t, s.URL, slices.Concat(api.opts, opts)...))
		})
	}
}

func newClient(t *testing.T, base string, opts ...registry.Option) *registry.Client {
	t.Helper()
	all := append([]registry.Option{registry.WithLogger(quiet), registry.WithRetries(2, 5*time.Millisecond, 20*time.Millisecond)}, opts...)
	c, err := registry.New(base, all...)
	if err != nil {
		t.Fatalf("New(%q): %v", base, err)
	}
	return c
}

// mustRegister registers an Avro artifact, failing t if it cannot.
func mustRegister(t *testing.T, c *registry.Client, artifactID, schema string) registry.VersionMeta {
	t.Helper()
	meta, _, err := c.Register(context.Background(), artifactID, "AVRO", schema)
	if err != nil {
		t.Fatalf("register %s: %v", artifactID, err)
	}
	return meta
}

func TestNewBaseURL(t *testing.T) {
	tests := []struct {
		in      string
		base    string
		api     string
		wantErr string
	}{
		{in: "http://127.0.0.1:8080", base: "http://127.0.0.1:8080", api: "http://127.0.0.1:8080/apis/registry/v3"},
		{in: " http://127.0.0.1:8080/ ", base: "http://127.0.0.1:8080", api: "http://127.0.0.1:8080/apis/registry/v3"},
		{in: "http://h:8080/apis/registry/v3", base: "http://h:8080", api: "http://h:8080/apis/registry/v3"},
		{in: "https://h/apis/registry/v3/", base: "https://h", api: "https://h/apis/registry/v3"},
		{in: "http://h:8080/apis/registry/v2", base: "http://h:8080", api: "http://h:8080/apis/registry/v2"},
		{in: "http://h/prefix/apis/registry/v2/", base: "http://h/prefix", api: "http://h/prefix/apis/registry/v2"},
		{in: "http://h/prefix", base: "http://h/prefix", api: "http://h/prefix/apis/registry/v3"},
		{in: "", wantErr: "not an http:// or https:// URL"},
		{in: "127.0.0.1:8080", wantErr: "not an http:// or https:// URL"},
		{in: "ftp://h", wantErr: "not an http:// or https:// URL"},
		{in: "http://", wantErr: "not an http:// or https:// URL"},
		{in: "http://h?x=1", wantErr: "query or fragment"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			c, err := registry.New(tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("New(%q) error = %v, want %q", tt.in, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("New(%q): %v", tt.in, err)
			}
			if c.BaseURL() != tt.base || c.APIURL() != tt.api || c.Group() != "default" {
				t.Fatalf("New(%q): base %q api %q group %q; want %q %q default", tt.in, c.BaseURL(), c.APIURL(), c.Group(), tt.base, tt.api)
			}
		})
	}
}

func TestNewRejectsBadOptions(t *testing.T) {
	dir := t.TempDir()
	notPEM := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(notPEM, []byte("not a certificate"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		opt  registry.Option
		want string
	}{
		{"empty group", registry.WithGroup(""), "empty artifact group"},
		{"zero timeout", registry.WithTimeout(0), "timeout"},
		{"negative retries", registry.WithRetries(-1, time.Millisecond, time.Second), "negative"},
		{"inverted waits", registry.WithRetries(1, time.Second, time.Millisecond), "positive range"},
		{"missing CA file", registry.WithCAFile(filepath.Join(dir, "missing.pem")), "read CA file"},
		{"CA file without certificates", registry.WithCAFile(notPEM), "holds no PEM certificate"},
		{"bad token URL", registry.WithOAuth2ClientCredentials("not a url", "id", "secret"), "token URL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := registry.New("http://127.0.0.1:1", tt.opt)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error = %v, want it to contain %q", err, tt.want)
			}
		})
	}
	_, err := registry.New("http://127.0.0.1:1", registry.WithBasicAuth("u", "p"), registry.WithOAuth2ClientCredentials("http://k/token", "id", "s"))
	if err == nil || !strings.Contains(err.Error(), "choose one") {
		t.Fatalf("basic auth and OAuth2: error = %v", err)
	}
}

func TestRegisterOutcomes(t *testing.T) {
	forEachAPI(t, func(t *testing.T, s *registrytest.Server, c *registry.Client) {
		ctx := context.Background()
		steps := []struct {
			content string
			outcome registry.Outcome
			version string
		}{
			{schemaV1, registry.Created, "1"},
			{schemaV1, registry.Unchanged, "1"},
			{schemaV2, registry.NewVersion, "2"},
			{schemaV2, registry.Unchanged, "2"},
			// Content equal to an older version is not a new version.
			{schemaV1, registry.Unchanged, "1"},
		}
		globals := map[string]int64{}
		for i, st := range steps {
			meta, out, err := c.Register(ctx, "pagila.sales.avro-value", "AVRO", st.content)
			if err != nil {
				t.Fatalf("step %d: Register: %v", i, err)
			}
			if out != st.outcome || meta.Version != st.version {
				t.Fatalf("step %d: outcome %v version %q, want %v %q", i, out, meta.Version, st.outcome, st.version)
			}
			if meta.GroupID != "default" || meta.ArtifactID != "pagila.sales.avro-value" || meta.ArtifactType != "AVRO" ||
				meta.GlobalID < 1 || meta.ContentID < 1 || meta.CreatedOn.IsZero() {
				t.Fatalf("step %d: incomplete metadata %+v", i, meta)
			}
			if g, seen := globals[st.version]; seen && g != meta.GlobalID {
				t.Fatalf("step %d: version %s has global id %d, earlier %d", i, st.version, meta.GlobalID, g)
			}
			globals[st.version] = meta.GlobalID
		}
		vs, err := c.Versions(ctx, "pagila.sales.avro-value")
		if err != nil || len(vs) != 2 {
			t.Fatalf("Versions = %v, %v; want 2 versions", vs, err)
		}
	})
}

func TestRegisterValidatesInput(t *testing.T) {
	s := registrytest.New(t)
	c := newClient(t, s.URL)
	if _, _, err := c.Register(context.Background(), "", "AVRO", schemaV1); err == nil {
		t.Error("empty artifact id accepted")
	}
	if _, _, err := c.Register(context.Background(), "a", "AVRO", ""); err == nil {
		t.Error("empty content accepted")
	}
	if n := len(s.Requests()); n != 0 {
		t.Errorf("invalid input made %d requests", n)
	}
}

// capture records the requests reaching h.
type capture struct {
	mu   sync.Mutex
	reqs []captured
}

type captured struct {
	method, path, query string
	header              http.Header
	body                []byte
}

func (c *capture) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		c.mu.Lock()
		c.reqs = append(c.reqs, captured{r.Method, r.URL.EscapedPath(), r.URL.RawQuery, r.Header.Clone(), body})
		c.mu.Unlock()
		r.Body = io.NopCloser(bytes.NewReader(body))
		h.ServeHTTP(w, r)
	})
}

func (c *capture) find(method, path string) (captured, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, r := range c.reqs {
		if r.method == method && r.path == path {
			return r, true
		}
	}
	return captured{}, false
}

func TestRequestBodiesMatchOpenAPI(t *testing.T) {
	fake := registrytest.New(t)
	var cap capture
	srv := httptest.NewServer(cap.wrap(fake.Handler()))
	defer srv.Close()
	ctx := context.Background()

	t.Run("v3 CreateArtifact", func(t *testing.T) {
		c := newClient(t, srv.URL)
		mustRegister(t, c, "a3", schemaV1)
		r, ok := cap.find("POST", "/apis/registry/v3/groups/default/artifacts")
		if !ok {
			t.Fatal("no POST of the artifact")
		}
		if r.query != "ifExists=FIND_OR_CREATE_VERSION" || r.header.Get("Content-Type") != "application/json" {
			t.Fatalf("query %q content type %q", r.query, r.header.Get("Content-Type"))
		}
		var got, want any
		if err := json.Unmarshal(r.body, &got); err != nil {
			t.Fatalf("body %s: %v", r.body, err)
		}
		json.Unmarshal([]byte(`{"artifactId":"a3","artifactType":"AVRO","firstVersion":{"content":{"content":`+string(mustJSON(schemaV1))+`,"contentType":"application/json"}}}`), &want)
		if !jsonEqual(got, want) {
			t.Fatalf("body %s, want %v", r.body, want)
		}
	})
	t.Run("v2 raw content", func(t *testing.T) {
		c := newClient(t, srv.URL, registry.WithAPIV2())
		mustRegister(t, c, "a2", schemaV1)
		r, ok := cap.find("POST", "/apis/registry/v2/groups/default/artifacts")
		if !ok {
			t.Fatal("no POST of the artifact")
		}
		if r.query != "ifExists=RETURN_OR_UPDATE" || r.header.Get("Content-Type") != "application/json" ||
			r.header.Get("X-Registry-ArtifactId") != "a2" || r.header.Get("X-Registry-ArtifactType") != "AVRO" || string(r.body) != schemaV1 {
			t.Fatalf("query %q headers %v body %s", r.query, r.header, r.body)
		}
	})
	t.Run("rules", func(t *testing.T) {
		for _, tc := range []struct {
			opts []registry.Option
			path string
			want string
		}{
			{nil, "/apis/registry/v3/admin/rules", `{"ruleType":"VALIDITY","config":"FULL"}`},
			{[]registry.Option{registry.WithAPIV2()}, "/apis/registry/v2/admin/rules", `{"type":"VALIDITY","config":"FULL"}`},
		} {
			c := newClient(t, srv.URL, tc.opts...)
			if err := c.SetRule(ctx, "", registry.RuleValidity, "FULL"); err != nil {
				t.Fatal(err)
			}
			r, ok := cap.find("POST", tc.path)
			if !ok || string(r.body) != tc.want || r.header.Get("Content-Type") != "application/json" {
				t.Fatalf("POST %s: found %v body %s, want %s", tc.path, ok, r.body, tc.want)
			}
		}
	})
}

func mustJSON(s string) []byte { b, _ := json.Marshal(s); return b }

func jsonEqual(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return bytes.Equal(x, y)
}

func TestLookups(t *testing.T) {
	forEachAPI(t, func(t *testing.T, s *registrytest.Server, c *registry.Client) {
		ctx := context.Background()
		m1 := mustRegister(t, c, "sales-value", schemaV1)
		m2 := mustRegister(t, c, "sales-value", schemaV2)
		mustRegister(t, c, "other-value", schemaV1)

		latest, err := c.Latest(ctx, "sales-value")
		if err != nil || latest.GlobalID != m2.GlobalID || latest.Version != "2" || latest.ContentID != m2.ContentID {
			t.Fatalf("Latest = %+v, %v; want %+v", latest, err, m2)
		}
		if v, err := c.Version(ctx, "sales-value", "latest"); err != nil || v.GlobalID != m2.GlobalID {
			t.Fatalf("Version(latest) = %+v, %v", v, err)
		}
		if v, err := c.Version(ctx, "sales-value", "1"); err != nil || v.GlobalID != m1.GlobalID || v.ContentID != m1.ContentID {
			t.Fatalf("Version(1) = %+v, %v; want %+v", v, err, m1)
		}
		contents := []struct {
			name string
			get  func() (string, error)
			want string
		}{
			{"latest", func() (string, error) { return c.Content(ctx, "sales-value", "latest") }, schemaV2},
			{"version 1", func() (string, error) { return c.Content(ctx, "sales-value", "1") }, schemaV1},
			{"content id", func() (string, error) { return c.ContentByContentID(ctx, m1.ContentID) }, schemaV1},
			{"global id", func() (string, error) { return c.ContentByGlobalID(ctx, m2.GlobalID) }, schemaV2},
		}
		for _, tc := range contents {
			if got, err := tc.get(); err != nil || got != tc.want {
				t.Errorf("content by %s = %q, %v; want %q", tc.name, got, err, tc.want)
			}
		}
		list, err := c.List(ctx)
		if err != nil || len(list) != 2 || list[0].ArtifactID != "other-value" || list[1].ArtifactID != "sales-value" ||
			list[1].ArtifactType != "AVRO" || list[1].GroupID != "default" || list[1].CreatedOn.IsZero() {
			t.Fatalf("List = %+v, %v", list, err)
		}
		name, version, err := c.SystemInfo(ctx)
		if err != nil || name == "" || version == "" {
			t.Fatalf("SystemInfo = %q, %q, %v", name, version, err)
		}
		if err := c.Delete(ctx, "sales-value"); err != nil {
			t.Fatalf("Delete: %v", err)
		}
		if _, err := c.ContentByGlobalID(ctx, m2.GlobalID); !errors.Is(err, registry.ErrNotFound) {
			t.Fatalf("content of a deleted version: %v", err)
		}
		// Content ids outlive versions: other-value still uses m1's.
		if got, err := c.ContentByContentID(ctx, m1.ContentID); err != nil || got != schemaV1 {
			t.Fatalf("shared content after delete = %q, %v", got, err)
		}
	})
}

func TestNotFound(t *testing.T) {
	forEachAPI(t, func(t *testing.T, s *registrytest.Server, c *registry.Client) {
		ctx := context.Background()
		mustRegister(t, c, "present", schemaV1)
		tests := []struct {
			name string
			call func() error
			msg  string
		}{
			{"Latest", func() error { _, err := c.Latest(ctx, "pagila.sales.avro-value"); return err },
				"artifact pagila.sales.avro-value not found in registry " + s.URL},
			{"Version", func() error { _, err := c.Version(ctx, "present", "9"); return err },
				"version 9 of artifact present not found in registry " + s.URL},
			{"Content", func() error { _, err := c.Content(ctx, "missing", "latest"); return err },
				"artifact missing not found in registry " + s.URL},
			{"ContentByContentID", func() error { _, err := c.ContentByContentID(ctx, 999); return err },
				"content id 999 not found in registry " + s.URL},
			{"ContentByGlobalID", func() error { _, err := c.ContentByGlobalID(ctx, 999); return err },
				"global id 999 not found in registry " + s.URL},
			{"Delete", func() error { return c.Delete(ctx, "missing") },
				"artifact missing not found in registry " + s.URL},
			{"Versions", func() error { _, err := c.Versions(ctx, "missing"); return err },
				"artifact missing not found in registry " + s.URL},
			{"Rule", func() error { _, err := c.Rule(ctx, "present", registry.RuleCompatibility); return err },
				"rule COMPATIBILITY of artifact present not found in registry " + s.URL},
			{"global Rule", func() error { _, err := c.Rule(ctx, "", registry.RuleIntegrity); return err },
				"global rule INTEGRITY not found in registry " + s.URL},
			{"SetRule", func() error { return c.SetRule(ctx, "missing", registry.RuleValidity, "FULL") },
				"artifact missing not found in registry " + s.URL},
		}
		for _, tt := range tests {
			err := tt.call()
			if !errors.Is(err, registry.ErrNotFound) || registry.IsRetryable(err) {
				t.Errorf("%s: error %v is not a final ErrNotFound", tt.name, err)
				continue
			}
			if err.Error() != tt.msg {
				t.Errorf("%s: message %q, want %q", tt.name, err.Error(), tt.msg)
			}
			var ae *registry.APIError
			if !errors.As(err, &ae) || ae.Status != 404 || ae.Title == "" {
				t.Errorf("%s: no parsed 404 body in %#v", tt.name, err)
			}
		}
	})
}

func TestNotFoundNamesGroup(t *testing.T) {
	s := registrytest.New(t)
	c := newClient(t, s.URL, registry.WithGroup("team-a"))
	_, err := c.Latest(context.Background(), "x")
	want := "artifact x not found in group team-a of registry " + s.URL
	if err == nil || err.Error() != want {
		t.Fatalf("error %v, want %q", err, want)
	}
	if list, err := c.List(context.Background()); err != nil || len(list) != 0 {
		t.Fatalf("List of an unknown group = %v, %v; want empty", list, err)
	}
}

func TestGroupsAndEscaping(t *testing.T) {
	forEachAPI(t, func(t *testing.T, s *registrytest.Server, c *registry.Client) {
		ctx := context.Background()
		id := "topic/with {odd} chars?-value"
		meta, out, err := c.Register(ctx, id, "AVRO", schemaV1)
		if err != nil || out != registry.Created || meta.ArtifactID != id || meta.GroupID != "my group/1" {
			t.Fatalf("Register = %+v, %v, %v", meta, out, err)
		}
		if got, err := c.Content(ctx, id, "1"); err != nil || got != schemaV1 {
			t.Fatalf("Content = %q, %v", got, err)
		}
		if gid, _ := s.Put("my group/1", id, "AVRO", schemaV2); gid <= meta.GlobalID {
			t.Fatalf("Put returned global id %d", gid)
		}
		if v, err := c.Latest(ctx, id); err != nil || v.Version != "2" {
			t.Fatalf("Latest = %+v, %v", v, err)
		}
	}, registry.WithGroup("my group/1"))
}

func TestPagination(t *testing.T) {
	forEachAPI(t, func(t *testing.T, s *registrytest.Server, c *registry.Client) {
		for i := range 150 {
			s.Put("default", "art-"+string(rune('a'+i/26))+string(rune('a'+i%26)), "AVRO", schemaV1)
		}
		for i := range 120 {
			s.Put("default", "many", "AVRO", schemaV1+strings.Repeat(" ", i))
		}
		list, err := c.List(context.Background())
		if err != nil || len(list) != 151 {
			t.Fatalf("List: %d artifacts, %v; want 151", len(list), err)
		}
		vs, err := c.Versions(context.Background(), "many")
		if err != nil || len(vs) != 120 || vs[0].Version != "1" || vs[119].Version != "120" {
			t.Fatalf("Versions: %d, %v", len(vs), err)
		}
		if n := s.Count("/groups/default/artifacts/many/versions"); n != 2 {
			t.Fatalf("listing 120 versions took %d requests, want 2 pages", n)
		}
	})
}

func TestRules(t *testing.T) {
	forEachAPI(t, func(t *testing.T, s *registrytest.Server, c *registry.Client) {
		ctx := context.Background()
		mustRegister(t, c, "art", schemaV1)
		steps := []struct {
			artifact string
			rule     registry.RuleType
			config   string
		}{
			{"", registry.RuleValidity, "SYNTAX_ONLY"},
			{"", registry.RuleValidity, "FULL"}, // update
			{"art", registry.RuleCompatibility, "BACKWARD"},
			{"art", registry.RuleCompatibility, "FULL_TRANSITIVE"}, // update
			{"art", registry.RuleIntegrity, "NONE"},
		}
		for _, st := range steps {
			if err := c.SetRule(ctx, st.artifact, st.rule, st.config); err != nil {
				t.Fatalf("SetRule(%q, %s, %s): %v", st.artifact, st.rule, st.config, err)
			}
			got, err := c.Rule(ctx, st.artifact, st.rule)
			if err != nil || got != st.config {
				t.Fatalf("Rule(%q, %s) = %q, %v; want %q", st.artifact, st.rule, got, err, st.config)
			}
		}
		n := len(s.Requests())
		if err := c.SetRule(ctx, "art", "STRICTNESS", "FULL"); err == nil || !strings.Contains(err.Error(), "unknown rule type") {
			t.Fatalf("unknown rule type: %v", err)
		}
		if _, err := c.Rule(ctx, "", "nope"); err == nil {
			t.Fatal("Rule accepted an unknown rule type")
		}
		if err := c.SetRule(ctx, "art", registry.RuleValidity, ""); err == nil {
			t.Fatal("SetRule accepted an empty config")
		}
		if len(s.Requests()) != n {
			t.Fatal("invalid rules reached the registry")
		}
	})
}

func TestRetries(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name     string
		faults   []registrytest.Fault
		wantErr  bool
		retry    bool // IsRetryable(err)
		requests int
		msg      string
	}{
		{name: "503 then success", faults: []registrytest.Fault{{Status: 503, Times: 2}}, requests: 3},
		{name: "429 then success", faults: []registrytest.Fault{{Status: 429, RetryAfter: "0"}}, requests: 2},
		{name: "500 then success", faults: []registrytest.Fault{{Status: 500}}, requests: 2},
		{name: "dropped connection then success", faults: []registrytest.Fault{{Hangup: true}}, requests: 2},
		{name: "503 until the budget is spent", faults: []registrytest.Fault{{Status: 503, Times: 5}},
			wantErr: true, retry: true, requests: 3, msg: "with 503 Service Unavailable"},
		{name: "501 is final", faults: []registrytest.Fault{{Status: 501}}, wantErr: true, requests: 1, msg: "501 Not Implemented"},
		{name: "400 is final", faults: []registrytest.Fault{{Status: 400, Body: `{"status":400,"title":"Bad version expression","detail":"BadRequestException: expression"}`}},
			wantErr: true, requests: 1, msg: "400 Bad Request: Bad version expression: BadRequestException: expression"},
		{name: "v2 error body", faults: []registrytest.Fault{{Status: 409, Body: `{"error_code":409,"message":"Artifact failed validation","causes":[{"description":"missing field","context":"/fields[0]"}]}`}},
			wantErr: true, requests: 1, msg: "409 Conflict: Artifact failed validation; missing field (at /fields[0])"},
		{name: "proxy page", faults: []registrytest.Fault{{Status: 502, Times: 3, ContentType: "text/html", Body: "<html>Bad Gateway</html>"}},
			wantErr: true, retry: true, requests: 3, msg: `unexpected text/html body "<html>Bad Gateway</html>"`},
		{name: "malformed JSON is final", faults: []registrytest.Fault{{Status: 200, Body: `{"globalId": 1,`}},
			wantErr: true, requests: 1, msg: "/artifacts/art/versions/branch=latest with malformed JSON"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := registrytest.New(t)
			s.Put("default", "art", "AVRO", schemaV1)
			for _, f := range tt.faults {
				f.PathContains = "/artifacts/art/versions/"
				s.Inject(f)
			}
			c := newClient(t, s.URL)
			meta, err := c.Latest(ctx, "art")
			if n := s.Count("/artifacts/art/versions/"); n != tt.requests {
				t.Errorf("%d requests, want %d", n, tt.requests)
			}
			if !tt.wantErr {
				if err != nil || meta.GlobalID != 1 {
					t.Fatalf("Latest = %+v, %v", meta, err)
				}
				return
			}
			if err == nil {
				t.Fatal("no error")
			}
			if registry.IsRetryable(err) != tt.retry {
				t.Errorf("IsRetryable(%v) = %v, want %v", err, !tt.retry, tt.retry)
			}
			if !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("error %q does not contain %q", err, tt.msg)
			}
		})
	}
}

func TestRetryAfterIsHonoured(t *testing.T) {
	s := registrytest.New(t)
	s.Inject(registrytest.Fault{Status: 429, RetryAfter: "1", PathContains: "/system/info"})
	c := newClient(t, s.URL, registry.WithRetries(1, time.Millisecond, 5*time.Second))
	start := time.Now()
	if _, _, err := c.SystemInfo(context.Background()); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d < time.Second {
		t.Fatalf("retried after %v, before Retry-After: 1", d)
	}
}

func TestSlowRegistry(t *testing.T) {
	ctx := context.Background()
	t.Run("one slow answer is retried", func(t *testing.T) {
		s := registrytest.New(t)
		s.Inject(registrytest.Fault{Delay: time.Minute, PathContains: "/system/info"})
		c := newClient(t, s.URL, registry.WithTimeout(300*time.Millisecond))
		if _, _, err := c.SystemInfo(ctx); err != nil {
			t.Fatal(err)
		}
		if n := s.Count("/system/info"); n != 2 {
			t.Fatalf("%d requests, want 2", n)
		}
	})
	t.Run("always slow", func(t *testing.T) {
		s := registrytest.New(t)
		s.Inject(registrytest.Fault{Delay: time.Minute, Times: 3, PathContains: "/system/info"})
		c := newClient(t, s.URL, registry.WithTimeout(200*time.Millisecond))
		start := time.Now()
		_, _, err := c.SystemInfo(ctx)
		if !registry.IsRetryable(err) || !strings.Contains(err.Error(), "did not answer GET "+s.URL+"/apis/registry/v3/system/info in time") {
			t.Fatalf("error %v", err)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Fatalf("gave up after %v", d)
		}
	})
}

func TestUnreachable(t *testing.T) {
	base := "http://" + addrtest.Free(t)
	// Default retry budget: it must still fail within a few seconds.
	c, err := registry.New(base, registry.WithLogger(quiet))
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err = c.Latest(context.Background(), "pagila.sales.avro-value")
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("took %v to fail", d)
	}
	var ue *registry.UnavailableError
	if !errors.As(err, &ue) || !registry.IsRetryable(err) || errors.Is(err, registry.ErrNotFound) {
		t.Fatalf("error %#v is not a retryable UnavailableError", err)
	}
	t.Logf("unreachable: %v", err)
	msg := err.Error()
	// The library's words; the binaries add how their users set the
	// address (internal/platform/registryconn.Hint).
	for _, want := range []string{"registry at " + base + " is unreachable (", "connection refused", "check that it is running at that address"} {
		if !strings.Contains(msg, want) {
			t.Errorf("message %q lacks %q", msg, want)
		}
	}
}

func TestContextCanceled(t *testing.T) {
	arrived := make(chan struct{})
	var once sync.Once
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		once.Do(func() { close(arrived) })
		<-r.Context().Done()
	}))
	defer srv.Close()
	c := newClient(t, srv.URL)
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		<-arrived // cancel once the request is in flight
		cancel()
	}()
	_, _, err := c.SystemInfo(ctx)
	if !errors.Is(err, context.Canceled) || registry.IsRetryable(err) {
		t.Fatalf("error %v, want context.Canceled, not retryable", err)
	}
}

func TestBasicAuth(t *testing.T) {
	s := registrytest.New(t)
	s.RequireAuth(func(r *http.Request) bool {
		u, p, ok := r.BasicAuth()
		return ok && u == "alice" && p == "s3cret"
	})
	ctx := context.Background()
	good := newClient(t, s.URL, registry.WithBasicAuth("alice", "s3cret"))
	if _, _, err := good.SystemInfo(ctx); err != nil {
		t.Fatalf("good credentials: %v", err)
	}
	bad := newClient(t, s.URL, registry.WithBasicAuth("alice", "wrong"))
	_, _, err := bad.SystemInfo(ctx)
	if !errors.Is(err, registry.ErrAuth) || registry.IsRetryable(err) || !strings.Contains(err.Error(), "check the registry credentials") {
		t.Fatalf("bad credentials: %v", err)
	}
}

func TestTLS(t *testing.T) {
	s := registrytest.New(t, registrytest.TLS())
	ca := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(ca, s.CertificatePEM(), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, _, err := newClient(t, s.URL, registry.WithCAFile(ca)).SystemInfo(ctx); err != nil {
		t.Fatalf("with the CA: %v", err)
	}
	_, _, err := newClient(t, s.URL).SystemInfo(ctx)
	if err == nil || registry.IsRetryable(err) || !strings.Contains(err.Error(), "certificate") {
		t.Fatalf("without the CA: %v", err)
	}
	t.Logf("untrusted certificate: %v", err)
	if n := s.Count("/system/info"); n != 1 {
		t.Fatalf("%d requests reached the server, want only the one with the CA", n)
	}
}
