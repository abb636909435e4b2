package registryserver

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"
)

// specDir holds the official Apicurio 3.3 OpenAPI documents that the
// contract tests check requests and responses against: the shared folder
// beside the repository, relative to this package's directory.
const specDir = "../../../../shared/apicurio"

// apiSpec is one loaded OpenAPI document and its router.
type apiSpec struct {
	api    apiKind
	prefix string
	doc    *openapi3.T
	router routers.Router
}

// loadSpecs loads the three documents, or skips the test when the shared
// folder is absent (fails instead when CI=true).
func loadSpecs(t *testing.T) map[apiKind]*apiSpec {
	t.Helper()
	if _, err := os.Stat(specDir); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("the Apicurio OpenAPI documents are missing at %s (CI=true requires them): %v", specDir, err)
		}
		t.Skipf("the Apicurio OpenAPI documents are not at %s: contract tests skipped", specDir)
	}
	out := map[apiKind]*apiSpec{}
	for _, f := range []struct {
		api    apiKind
		file   string
		prefix string
	}{
		{apiV3, "registry-v3.openapi.json", prefixV3},
		{apiV2, "registry-v2.openapi.json", prefixV2},
		{apiCcompat, "ccompat-v7.openapi.json", prefixCcompat},
	} {
		loader := openapi3.NewLoader()
		// The documents are self-contained, but allowing external refs keeps
		// the loader from refusing any ref form it does not resolve locally.
		loader.IsExternalRefsAllowed = true
		doc, err := loader.LoadFromFile(filepath.Join(filepath.FromSlash(specDir), f.file))
		if err != nil {
			t.Fatalf("load %s: %v", f.file, err)
		}
		patchSpecQuirks(doc)
		// The documents declare no servers; their paths are relative to the
		// API prefix, which the router must know.
		doc.Servers = openapi3.Servers{{URL: "http://registry.test" + f.prefix}}
		// Several examples in the documents do not match their own schemas
		// (e.g. BranchId's example "\"latest\"" fails its pattern, v2 versions
		// shown as numbers): example validation is off.
		router, err := legacy.NewRouter(doc, openapi3.DisableExamplesValidation())
		if err != nil {
			t.Fatalf("router for %s: %v", f.file, err)
		}
		out[f.api] = &apiSpec{api: f.api, prefix: f.prefix, doc: doc, router: router}
	}
	return out
}

// patchSpecQuirks fixes a defect of the v2 document: ArtifactMetaData and
// SearchedArtifact require a property "group" that they do not define (the
// property is "groupId", which Apicurio sends). The required name is
// corrected so responses are checked against the intended schema.
func patchSpecQuirks(doc *openapi3.T) {
	for _, ref := range doc.Components.Schemas {
		if ref.Value == nil {
			continue
		}
		sc := ref.Value
		if i := slices.Index(sc.Required, "group"); i >= 0 && sc.Properties["group"] == nil && sc.Properties["groupId"] != nil {
			sc.Required[i] = "groupId"
		}
	}
}

// contractClient sends requests to a server and checks both the request and
// the response against the documents.
type contractClient struct {
	t       *testing.T
	h       http.Handler
	specs   map[apiKind]*apiSpec
	covered map[string]bool // "API METHOD path" of operations exercised
}

// creq is one contract request.
type creq struct {
	method, path string
	body         string
	contentType  string   // default application/json when body is set
	headers      []string // name, value pairs
	want         int
	// badRequest marks a deliberately invalid request: the request is not
	// validated, the response still is.
	badRequest bool
	// rawSchemaBody marks the ccompat .../schema operations: the documents
	// type their body as a JSON string, but Confluent and Apicurio send the
	// schema document itself, so only the status and headers are checked
	// against the document and the test checks the body.
	rawSchemaBody bool
}

func (c *contractClient) do(q creq) *httptest.ResponseRecorder {
	c.t.Helper()
	api := apiOf(q.path)
	sp := c.specs[api]
	if sp == nil {
		c.t.Fatalf("%s %s: no document for this path", q.method, q.path)
	}
	ct := q.contentType
	if ct == "" && q.body != "" {
		ct = "application/json"
	}
	newReq := func() *http.Request {
		var rd io.Reader = http.NoBody
		if q.body != "" {
			rd = strings.NewReader(q.body)
		}
		req := httptest.NewRequest(q.method, "http://registry.test"+q.path, rd)
		if ct != "" {
			req.Header.Set("Content-Type", ct)
		}
		for i := 0; i+1 < len(q.headers); i += 2 {
			req.Header.Set(q.headers[i], q.headers[i+1])
		}
		return req
	}
	vreq := newReq()
	route, pathParams, err := sp.router.FindRoute(vreq)
	if err != nil {
		c.t.Fatalf("%s %s: not an operation of the document: %v", q.method, q.path, err)
	}
	c.covered[routeKey(api, route.Method, route.Path)] = true
	in := &openapi3filter.RequestValidationInput{
		Request: vreq, PathParams: pathParams, Route: route,
		Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc, MultiError: true},
	}
	if !q.badRequest {
		if err := openapi3filter.ValidateRequest(context.Background(), in); err != nil {
			c.t.Fatalf("%s %s: request does not match the document: %v", q.method, q.path, err)
		}
	}
	rec := httptest.NewRecorder()
	c.h.ServeHTTP(rec, newReq())
	if rec.Code != q.want {
		c.t.Fatalf("%s %s: status %d, want %d; body: %s", q.method, q.path, rec.Code, q.want, rec.Body.String())
	}
	if q.badRequest && route.Operation.Responses.Status(rec.Code) == nil {
		// The document lists no response for this error status of this
		// operation (e.g. 400 for a malformed query parameter): the body must
		// still be the API's error body.
		c.checkErrorBody(sp, rec)
		return rec
	}
	opts := &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true, ExcludeResponseBody: q.rawSchemaBody}
	out := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: in, Status: rec.Code, Header: rec.Header(),
		Body: io.NopCloser(bytes.NewReader(rec.Body.Bytes())), Options: opts,
	}
	if err := openapi3filter.ValidateResponse(context.Background(), out); err != nil {
		c.t.Fatalf("%s %s: response %d does not match the document: %v\nbody: %s", q.method, q.path, rec.Code, err, rec.Body.String())
	}
	return rec
}

// checkErrorBody checks an error response against the error schema of the
// API's document: ProblemDetails (v3) or Error (v2, ccompat).
func (c *contractClient) checkErrorBody(sp *apiSpec, rec *httptest.ResponseRecorder) {
	c.t.Helper()
	name := "Error"
	if sp.api == apiV3 {
		name = "ProblemDetails"
	}
	checkBodyAgainst(c.t, sp, name, rec)
}

// checkBodyAgainst checks a JSON response body against a component schema.
func checkBodyAgainst(t *testing.T, sp *apiSpec, schema string, rec *httptest.ResponseRecorder) {
	t.Helper()
	ref := sp.doc.Components.Schemas[schema]
	if ref == nil || ref.Value == nil {
		t.Fatalf("the document has no schema %s", schema)
	}
	if ct := rec.Header().Get("Content-Type"); !strings.Contains(ct, "json") {
		t.Fatalf("error response has Content-Type %q, want JSON", ct)
	}
	var body any
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
		t.Fatalf("error response is not JSON: %v: %s", err, rec.Body.String())
	}
	if err := ref.Value.VisitJSON(body); err != nil {
		t.Fatalf("error response does not match %s: %v\nbody: %s", schema, err, rec.Body.String())
	}
}

func routeKey(api apiKind, method, path string) string {
	return []string{"", "v3", "v2", "ccompat"}[api] + " " + method + " " + path
}

// decode decodes a JSON response.
func decode[T any](t *testing.T, rec *httptest.ResponseRecorder) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(rec.Body.Bytes(), &v); err != nil {
		t.Fatalf("decode %q: %v", rec.Body.String(), err)
	}
	return v
}

// TestContract exercises every operation the server serves, with successes
// and errors, and checks each exchange against the official documents; it
// then checks that no served operation was left out.
func TestContract(t *testing.T) {
	specs := loadSpecs(t)
	s := newTestServer(t)
	c := &contractClient{t: t, h: s.Handler(), specs: specs, covered: map[string]bool{}}
	const (
		v3 = prefixV3
		v2 = prefixV2
		cc = prefixCcompat
	)
	art := v3 + "/groups/sales/artifacts/pagila.sales.avro-value"

	// v3: system, groups.
	c.do(creq{method: "GET", path: v3 + "/system/info", want: 200})
	c.do(creq{method: "POST", path: v3 + "/groups", body: `{"groupId":"sales","description":"sales schemas","labels":{"team":"data"}}`, want: 200})
	c.do(creq{method: "POST", path: v3 + "/groups", body: `{"groupId":"sales"}`, want: 409})
	c.do(creq{method: "POST", path: v3 + "/groups", body: `{"groupId":`, want: 400, badRequest: true})
	c.do(creq{method: "GET", path: v3 + "/groups?limit=5&order=desc&orderby=createdOn", want: 200})
	c.do(creq{method: "GET", path: v3 + "/groups/sales", want: 200})
	c.do(creq{method: "GET", path: v3 + "/groups/nope", want: 404})

	// v3: artifacts and versions.
	created := decode[v3CreateArtifactResponse](t, c.do(creq{method: "POST", path: v3 + "/groups/sales/artifacts",
		body: v3Create("pagila.sales.avro-value", "AVRO", saleV1), want: 200}))
	if created.Version == nil || created.Version.GlobalID == 0 || created.Version.ContentID == 0 {
		t.Fatalf("create artifact: no version ids in %+v", created)
	}
	c.do(creq{method: "POST", path: v3 + "/groups/sales/artifacts", body: v3Create("pagila.sales.avro-value", "AVRO", saleV1), want: 409})
	c.do(creq{method: "POST", path: v3 + "/groups/sales/artifacts?ifExists=FIND_OR_CREATE_VERSION", body: v3Create("pagila.sales.avro-value", "AVRO", saleV1Spaced), want: 200})
	c.do(creq{method: "POST", path: v3 + "/groups/sales/artifacts?ifExists=CREATE_VERSION&dryRun=true", body: v3Create("pagila.sales.avro-value", "AVRO", saleAddOptional), want: 200})
	c.do(creq{method: "POST", path: v3 + "/groups/sales/artifacts?ifExists=MAYBE", body: v3Create("x", "AVRO", saleV1), want: 400, badRequest: true})
	c.do(creq{method: "POST", path: v3 + "/groups/sales/artifacts", body: v3Create("kind-less", "NOSUCHTYPE", saleV1), want: 400})
	c.do(creq{method: "GET", path: v3 + "/groups/sales/artifacts?limit=10&orderby=createdOn", want: 200})
	c.do(creq{method: "GET", path: v3 + "/groups/nope/artifacts", want: 404})
	c.do(creq{method: "GET", path: art, want: 200})
	c.do(creq{method: "GET", path: v3 + "/groups/sales/artifacts/nope", want: 404})
	v2meta := decode[v3Version](t, c.do(creq{method: "POST", path: art + "/versions", body: v3VersionBody(saleAddOptional), want: 200}))
	c.do(creq{method: "POST", path: art + "/versions", body: `{"version":"1","content":{"content":"{}","contentType":"application/json"}}`, want: 409})
	c.do(creq{method: "POST", path: art + "/versions", body: `{"content":{}}`, want: 400, badRequest: true})
	c.do(creq{method: "POST", path: v3 + "/groups/sales/artifacts/nope/versions", body: v3VersionBody(saleV1), want: 404})
	c.do(creq{method: "GET", path: art + "/versions?offset=0&limit=1&order=desc", want: 200})
	c.do(creq{method: "GET", path: v3 + "/groups/sales/artifacts/nope/versions", want: 404})
	c.do(creq{method: "GET", path: art + "/versions/1", want: 200})
	c.do(creq{method: "GET", path: art + "/versions/branch=latest", want: 200})
	c.do(creq{method: "GET", path: art + "/versions/9", want: 404})
	rec := c.do(creq{method: "GET", path: art + "/versions/branch=latest/content", want: 200})
	if rec.Body.String() != saleAddOptional {
		t.Fatalf("latest content = %q", rec.Body.String())
	}
	c.do(creq{method: "GET", path: art + "/versions/9/content", want: 404})

	// v3: content by ids.
	c.idsWalk(v3, v2meta.GlobalID, created.Version.ContentID, saleV1)

	// v3: search.
	c.do(creq{method: "GET", path: v3 + "/search/artifacts?name=sales&groupId=sales&offset=0&limit=5", want: 200})
	c.do(creq{method: "GET", path: v3 + "/search/artifacts?artifactId=pagila.sales.avro-value&globalId=" + itoa(v2meta.GlobalID), want: 200})
	c.do(creq{method: "GET", path: v3 + "/search/artifacts?limit=many", want: 400, badRequest: true})

	// v3: global and artifact rules; a rule violation is a 409 with the
	// causes.
	c.rulesWalk(v3, art, "ruleType", func() {
		violation := c.do(creq{method: "POST", path: art + "/versions", body: v3VersionBody(saleAmountInt), want: 409})
		if pd := decode[problemDetails](t, violation); len(pd.Causes) == 0 || pd.Status != 409 {
			t.Fatalf("rule violation body lacks causes or status: %s", violation.Body.String())
		}
	})

	// v2.
	v2art := v2 + "/groups/default/artifacts/pagila.sales.regions.csv"
	c.do(creq{method: "GET", path: v2 + "/system/info", want: 200})
	meta := decode[v2ArtifactMeta](t, c.do(creq{method: "POST", path: v2 + "/groups/default/artifacts", body: regionV1,
		headers: []string{"X-Registry-ArtifactId", "pagila.sales.regions.csv", "X-Registry-ArtifactType", "AVRO"}, want: 200}))
	c.do(creq{method: "POST", path: v2 + "/groups/default/artifacts", body: regionV1,
		headers: []string{"X-Registry-ArtifactId", "pagila.sales.regions.csv"}, want: 409})
	again := decode[v2ArtifactMeta](t, c.do(creq{method: "POST", path: v2 + "/groups/default/artifacts?ifExists=RETURN_OR_UPDATE", body: regionV1,
		headers: []string{"X-Registry-ArtifactId", "pagila.sales.regions.csv", "X-Registry-ArtifactType", "AVRO"}, want: 200}))
	if again.GlobalID != meta.GlobalID {
		t.Fatalf("v2 RETURN_OR_UPDATE with the same content made globalId %d, want %d", again.GlobalID, meta.GlobalID)
	}
	c.do(creq{method: "POST", path: v2 + "/groups/default/artifacts?ifExists=RETURN", body: regionV1,
		headers: []string{"X-Registry-ArtifactId", "pagila.sales.regions.csv"}, want: 200})
	c.do(creq{method: "POST", path: v2 + "/groups/default/artifacts", body: "not a schema at all",
		contentType: "text/plain", headers: []string{"X-Registry-ArtifactId", "mystery"}, want: 400})
	c.do(creq{method: "GET", path: v2 + "/groups/default/artifacts?limit=10&orderby=name", want: 200})
	rec = c.do(creq{method: "GET", path: v2art, want: 200})
	if rec.Body.String() != regionV1 {
		t.Fatalf("v2 latest content = %q", rec.Body.String())
	}
	c.do(creq{method: "GET", path: v2 + "/groups/default/artifacts/nope", want: 404})
	c.do(creq{method: "PUT", path: v2art, body: regionV1, headers: []string{"X-Registry-Version", "1.1"}, want: 200})
	c.do(creq{method: "PUT", path: v2 + "/groups/default/artifacts/nope", body: regionV1, want: 404})
	c.do(creq{method: "GET", path: v2art + "/meta", want: 200})
	c.do(creq{method: "GET", path: v2 + "/groups/default/artifacts/nope/meta", want: 404})
	c.do(creq{method: "POST", path: v2art + "/meta", body: regionV1, want: 200})
	c.do(creq{method: "POST", path: v2art + "/meta", body: saleV1, want: 404})
	c.do(creq{method: "POST", path: v2art + "/versions", body: regionV1, headers: []string{"X-Registry-Version", "3"}, want: 200})
	c.do(creq{method: "POST", path: v2 + "/groups/default/artifacts/nope/versions", body: regionV1, want: 404})
	c.do(creq{method: "GET", path: v2art + "/versions?limit=2", want: 200})
	c.do(creq{method: "GET", path: v2 + "/groups/default/artifacts/nope/versions", want: 404})
	c.do(creq{method: "GET", path: v2art + "/versions/latest", want: 200})
	c.do(creq{method: "GET", path: v2art + "/versions/1", want: 200})
	c.do(creq{method: "GET", path: v2art + "/versions/77", want: 404})
	c.do(creq{method: "GET", path: v2art + "/versions/1/meta", want: 200})
	c.do(creq{method: "GET", path: v2art + "/versions/77/meta", want: 404})
	c.idsWalk(v2, meta.GlobalID, meta.ContentID, regionV1)
	c.do(creq{method: "GET", path: v2 + "/search/artifacts?name=regions&group=default&limit=5", want: 200})
	c.do(creq{method: "GET", path: v2 + "/search/artifacts?contentId=" + itoa(meta.ContentID), want: 200})
	c.rulesWalk(v2, v2art, "type", func() {
		v2violation := c.do(creq{method: "POST", path: v2art + "/versions", body: `{"type":"record","name":"Region","fields":[{"name":"country","type":"string"}]}`, want: 409})
		if e := decode[v2Error](t, v2violation); len(e.Causes) == 0 || e.ErrorCode != 409 {
			t.Fatalf("v2 rule violation body lacks causes: %s", v2violation.Body.String())
		}
	})
	c.do(creq{method: "DELETE", path: v2art, want: 204})
	c.do(creq{method: "DELETE", path: v2art, want: 404})

	// ccompat.
	subj := cc + "/subjects/pagila.sales.avro-key"
	id := decode[map[string]int64](t, c.do(creq{method: "POST", path: subj + "/versions", body: ccBody(saleV1), want: 200}))["id"]
	if id != created.Version.ContentID {
		t.Fatalf("ccompat id %d, want the contentId %d of the same schema", id, created.Version.ContentID)
	}
	c.do(creq{method: "POST", path: subj + "/versions", body: ccBody(`{"type":"record","name":"Broken","fields":[{"name":"x"}]}`), want: 422})
	c.do(creq{method: "POST", path: subj + "/versions", body: `{"schemaType":"AVRO"}`, want: 422, badRequest: true})
	c.do(creq{method: "GET", path: cc + "/subjects", want: 200})
	c.do(creq{method: "GET", path: cc + "/subjects?subjectPrefix=pagila&offset=0&limit=10", want: 200})
	c.do(creq{method: "POST", path: cc + "/subjects/pagila.sales.avro-key", body: ccBody(saleV1Spaced), want: 200})
	c.do(creq{method: "POST", path: cc + "/subjects/pagila.sales.avro-key", body: ccBody(regionV1), want: 404})
	c.do(creq{method: "POST", path: cc + "/subjects/nope", body: ccBody(regionV1), want: 404})
	c.do(creq{method: "GET", path: subj + "/versions", want: 200})
	c.do(creq{method: "GET", path: cc + "/subjects/nope/versions", want: 404})
	c.do(creq{method: "GET", path: subj + "/versions/1", want: 200})
	c.do(creq{method: "GET", path: subj + "/versions/latest", want: 200})
	c.do(creq{method: "GET", path: subj + "/versions/7", want: 404})
	c.do(creq{method: "GET", path: subj + "/versions/first", want: 422})
	rec = c.do(creq{method: "GET", path: subj + "/versions/latest/schema", want: 200, rawSchemaBody: true})
	if rec.Body.String() != saleV1 {
		t.Fatalf("ccompat raw schema = %q", rec.Body.String())
	}
	c.do(creq{method: "GET", path: subj + "/versions/7/schema", want: 404})
	c.do(creq{method: "GET", path: cc + "/schemas?subjectPrefix=pagila&latestOnly=true", want: 200})
	c.do(creq{method: "GET", path: cc + "/schemas/ids/" + itoa(id), want: 200})
	c.do(creq{method: "GET", path: cc + "/schemas/ids/999999", want: 404})
	rec = c.do(creq{method: "GET", path: cc + "/schemas/ids/" + itoa(id) + "/schema", want: 200, rawSchemaBody: true})
	if rec.Body.String() != saleV1 {
		t.Fatalf("ccompat raw schema by id = %q", rec.Body.String())
	}
	c.do(creq{method: "GET", path: cc + "/schemas/ids/999999/schema", want: 404})
	c.do(creq{method: "GET", path: cc + "/schemas/ids/" + itoa(id) + "/versions", want: 200})
	c.do(creq{method: "GET", path: cc + "/schemas/ids/999999/versions", want: 404})
	c.do(creq{method: "GET", path: cc + "/schemas/ids/" + itoa(id) + "/subjects", want: 200})
	c.do(creq{method: "GET", path: cc + "/schemas/ids/999999/subjects", want: 404})
	c.do(creq{method: "GET", path: cc + "/schemas/types", want: 200})
	c.do(creq{method: "GET", path: cc + "/config", want: 200})
	c.do(creq{method: "PUT", path: cc + "/config", body: `{"compatibility":"BACKWARD"}`, want: 200})
	c.do(creq{method: "PUT", path: cc + "/config", body: `{"compatibility":"SOMETIMES"}`, want: 422})
	c.do(creq{method: "GET", path: cc + "/config/pagila.sales.avro-key", want: 404})
	c.do(creq{method: "GET", path: cc + "/config/pagila.sales.avro-key?defaultToGlobal=true", want: 200})
	c.do(creq{method: "PUT", path: cc + "/config/pagila.sales.avro-key", body: `{"compatibility":"FULL"}`, want: 200})
	c.do(creq{method: "GET", path: cc + "/config/pagila.sales.avro-key", want: 200})
	compat := decode[ccCompatResult](t, c.do(creq{method: "POST", path: cc + "/compatibility/subjects/pagila.sales.avro-key/versions/latest?verbose=true", body: ccBody(saleAmountInt), want: 200}))
	if compat.IsCompatible || len(compat.Messages) == 0 {
		t.Fatalf("an incompatible change was judged compatible: %+v", compat)
	}
	compat = decode[ccCompatResult](t, c.do(creq{method: "POST", path: cc + "/compatibility/subjects/pagila.sales.avro-key/versions/1", body: ccBody(saleAddOptional), want: 200}))
	if !compat.IsCompatible {
		t.Fatalf("a compatible change was judged incompatible: %+v", compat)
	}
	c.do(creq{method: "POST", path: cc + "/compatibility/subjects/pagila.sales.avro-key/versions/5", body: ccBody(saleAddOptional), want: 404})
	c.do(creq{method: "POST", path: cc + "/compatibility/subjects/pagila.sales.avro-key/versions", body: ccBody(saleAddOptional), want: 200})
	c.do(creq{method: "POST", path: cc + "/compatibility/subjects/nope/versions", body: ccBody(saleAddOptional), want: 404})
	c.do(creq{method: "POST", path: subj + "/versions", body: ccBody(saleAmountInt), want: 409})
	c.do(creq{method: "DELETE", path: cc + "/config/pagila.sales.avro-key", want: 200})
	c.do(creq{method: "DELETE", path: cc + "/config/pagila.sales.avro-key", want: 404})
	c.do(creq{method: "GET", path: cc + "/mode", want: 200})
	c.do(creq{method: "DELETE", path: subj, want: 200})
	c.do(creq{method: "DELETE", path: subj, want: 404})

	// v3 delete last, once the other views are done with it.
	c.do(creq{method: "DELETE", path: art, want: 204})
	c.do(creq{method: "DELETE", path: art, want: 404})

	// Every served operation was exercised, and exists in its document.
	for _, rt := range s.routes() {
		key := routeKey(rt.api, rt.method, rt.path)
		if !c.covered[key] {
			t.Errorf("served operation %s is not exercised by the contract test", key)
		}
	}
	for key := range c.covered {
		found := false
		for _, rt := range s.routes() {
			found = found || routeKey(rt.api, rt.method, rt.path) == key
		}
		if !found {
			t.Errorf("the contract test reached %s, which the server does not serve", key)
		}
	}
}

// idsWalk fetches contents by global id, content id and content hash from
// the API at prefix: those of content, which globalID and contentID name,
// and ids that name nothing.
func (c *contractClient) idsWalk(prefix string, globalID, contentID int64, content string) {
	c.t.Helper()
	c.do(creq{method: "GET", path: prefix + "/ids/globalIds/" + itoa(globalID), want: 200})
	c.do(creq{method: "GET", path: prefix + "/ids/globalIds/999999", want: 404})
	c.do(creq{method: "GET", path: prefix + "/ids/contentIds/" + itoa(contentID), want: 200})
	c.do(creq{method: "GET", path: prefix + "/ids/contentIds/999999", want: 404})
	c.do(creq{method: "GET", path: prefix + "/ids/contentHashes/" + contentHashOf([]byte(content)), want: 200})
	c.do(creq{method: "GET", path: prefix + "/ids/contentHashes/" + strings.Repeat("f", 64), want: 404})
}

// rulesWalk exercises the global rules of the API at prefix, then the
// rules of the artifact at art and of one that does not exist beside it;
// field names the rule type in the API's bodies. A second artifact rule of
// a type is refused with a 409 that only the v3 document lists, so it is
// sent to v3 alone. violate, run while the artifact's COMPATIBILITY rule
// is FULL, sends a version the rule refuses and checks the answer.
func (c *contractClient) rulesWalk(prefix, art, field string, violate func()) {
	c.t.Helper()
	rule := func(ruleType, config string) string {
		return fmt.Sprintf(`{%q:%q,"config":%q}`, field, ruleType, config)
	}
	global := prefix + "/admin/rules"
	c.do(creq{method: "GET", path: global, want: 200})
	c.do(creq{method: "POST", path: global, body: rule("VALIDITY", "FULL"), want: 204})
	c.do(creq{method: "POST", path: global, body: rule("VALIDITY", "FULL"), want: 409})
	c.do(creq{method: "POST", path: global, body: rule("COMPATIBILITY", "SIDEWAYS"), want: 400})
	c.do(creq{method: "GET", path: global + "/VALIDITY", want: 200})
	c.do(creq{method: "GET", path: global + "/COMPATIBILITY", want: 404})
	c.do(creq{method: "PUT", path: global + "/VALIDITY", body: `{"config":"SYNTAX_ONLY"}`, want: 200})
	c.do(creq{method: "PUT", path: global + "/INTEGRITY", body: `{"config":"FULL"}`, want: 404})
	c.do(creq{method: "DELETE", path: global + "/VALIDITY", want: 204})
	c.do(creq{method: "DELETE", path: global + "/VALIDITY", want: 404})
	c.do(creq{method: "POST", path: global, body: rule("VALIDITY", "FULL"), want: 204})
	c.do(creq{method: "DELETE", path: global, want: 204})

	nope := path.Dir(art) + "/nope"
	c.do(creq{method: "POST", path: art + "/rules", body: rule("COMPATIBILITY", "BACKWARD"), want: 204})
	if prefix == prefixV3 {
		c.do(creq{method: "POST", path: art + "/rules", body: rule("COMPATIBILITY", "BACKWARD"), want: 409})
	}
	c.do(creq{method: "POST", path: nope + "/rules", body: rule("COMPATIBILITY", "BACKWARD"), want: 404})
	c.do(creq{method: "GET", path: art + "/rules", want: 200})
	c.do(creq{method: "GET", path: nope + "/rules", want: 404})
	c.do(creq{method: "GET", path: art + "/rules/COMPATIBILITY", want: 200})
	c.do(creq{method: "GET", path: art + "/rules/VALIDITY", want: 404})
	c.do(creq{method: "PUT", path: art + "/rules/COMPATIBILITY", body: `{"config":"FULL"}`, want: 200})
	c.do(creq{method: "PUT", path: art + "/rules/VALIDITY", body: `{"config":"FULL"}`, want: 404})
	violate()
	c.do(creq{method: "DELETE", path: art + "/rules/COMPATIBILITY", want: 204})
	c.do(creq{method: "DELETE", path: art + "/rules/COMPATIBILITY", want: 404})
	c.do(creq{method: "DELETE", path: art + "/rules", want: 204})
	c.do(creq{method: "DELETE", path: nope + "/rules", want: 404})
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
