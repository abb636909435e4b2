// Package registrytest is an in-memory stand-in for Apicurio Registry's core
// REST APIs v3 (/apis/registry/v3) and v2 (/apis/registry/v2), for tests of
// code that talks to a registry. It answers the operations the registry
// client uses as the official OpenAPI documents specify them (paths, status
// codes, JSON bodies, ProblemDetails and v2 Error bodies), rejects request
// bodies that do not match their schemas, counts requests, and injects
// failures: error statuses with Retry-After, slow answers, dropped
// connections and malformed bodies.
//
// Content is deduplicated as Apicurio does: equal texts share a content id.
// Global ids count versions across the registry, from 1.
package registrytest

import (
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Server is an in-memory registry served over HTTP.
type Server struct {
	// URL is the base URL, such as http://127.0.0.1:41234.
	URL string

	srv *httptest.Server

	mu          sync.Mutex
	artifacts   map[key]*artifact
	contents    []string         // by content id - 1
	contentIDs  map[string]int64 // content text -> id
	versions    []*version       // by global id - 1; nil once deleted
	globalRules map[string]string
	faults      []*Fault
	requests    []string
	auth        func(*http.Request) bool
}

type key struct{ group, id string }

type artifact struct {
	group, id, typ string
	created        time.Time
	modified       time.Time
	versions       []*version
	rules          map[string]string
}

type version struct {
	art       *artifact
	version   string
	globalID  int64
	contentID int64
	created   time.Time
}

// Fault is a failure to inject. It applies to the next Times requests (1
// if Times is 0) whose method and path match.
type Fault struct {
	// Method matches the request method; empty matches any.
	Method string
	// PathContains matches a substring of the escaped request path; empty
	// matches any.
	PathContains string
	// Times is how many matching requests the fault applies to.
	Times int
	// Delay holds the answer back this long, or until the client gives up.
	Delay time.Duration
	// Hangup closes the connection without an answer.
	Hangup bool
	// Status, when not 0, is answered instead of the real response, with
	// Body (default: an Apicurio error body), ContentType (default
	// application/json) and a Retry-After header if RetryAfter is set.
	Status      int
	Body        string
	ContentType string
	RetryAfter  string
}

// Option configures a Server.
type Option func(*config)

type config struct{ tls bool }

// TLS serves HTTPS with a self-signed certificate; see Certificate.
func TLS() Option { return func(c *config) { c.tls = true } }

// New starts a Server and closes it when the test ends.
func New(t testing.TB, opts ...Option) *Server {
	var cfg config
	for _, o := range opts {
		o(&cfg)
	}
	s := &Server{
		artifacts:   map[key]*artifact{},
		contentIDs:  map[string]int64{},
		globalRules: map[string]string{},
	}
	s.srv = httptest.NewUnstartedServer(s.Handler())
	// Clients that refuse the certificate are expected; keep test output clean.
	s.srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	if cfg.tls {
		s.srv.StartTLS()
	} else {
		s.srv.Start()
	}
	s.URL = s.srv.URL
	t.Cleanup(s.srv.Close)
	return s
}

// CertificatePEM returns the PEM of a TLS server's certificate, nil for a
// plain HTTP server.
func (s *Server) CertificatePEM() []byte {
	c := s.srv.Certificate()
	if c == nil {
		return nil
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})
}

// Inject queues a fault.
func (s *Server) Inject(f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if f.Times <= 0 {
		f.Times = 1
	}
	s.faults = append(s.faults, &f)
}

// RequireAuth makes every request pass check, or be answered 401.
func (s *Server) RequireAuth(check func(*http.Request) bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.auth = check
}

// Requests returns the requests served so far, as "METHOD /escaped/path".
func (s *Server) Requests() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.requests)
}

// Count returns how many requests served so far contain substr in their
// "METHOD /escaped/path" form.
func (s *Server) Count(substr string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, r := range s.requests {
		if strings.Contains(r, substr) {
			n++
		}
	}
	return n
}

// Put stores content as a new version of an artifact of group (created if
// need be), as a registration through the API would, and returns the
// version's global id and content id.
func (s *Server) Put(group, artifactID, artifactType, content string) (globalID, contentID int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.artifacts[key{group, artifactID}]
	if a == nil {
		a = s.newArtifact(group, artifactID, artifactType)
	}
	v := s.addVersion(a, content)
	return v.globalID, v.contentID
}

// Handler returns the HTTP handler of the registry APIs.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	for _, api := range []struct {
		prefix string
		v2     bool
	}{{"/apis/registry/v3", false}, {"/apis/registry/v2", true}} {
		h := &handler{s: s, v2: api.v2}
		p := api.prefix
		mux.HandleFunc("GET "+p+"/system/info", h.systemInfo)
		mux.HandleFunc("GET "+p+"/ids/contentIds/{id}", h.contentByContentID)
		mux.HandleFunc("GET "+p+"/ids/globalIds/{id}", h.contentByGlobalID)
		mux.HandleFunc("POST "+p+"/groups/{g}/artifacts", h.createArtifact)
		mux.HandleFunc("GET "+p+"/groups/{g}/artifacts", h.listArtifacts)
		mux.HandleFunc("DELETE "+p+"/groups/{g}/artifacts/{a}", h.deleteArtifact)
		mux.HandleFunc("GET "+p+"/groups/{g}/artifacts/{a}/versions", h.listVersions)
		mux.HandleFunc("POST "+p+"/admin/rules", h.createRule)
		mux.HandleFunc("GET "+p+"/admin/rules/{rule}", h.getRule)
		mux.HandleFunc("PUT "+p+"/admin/rules/{rule}", h.updateRule)
		mux.HandleFunc("POST "+p+"/groups/{g}/artifacts/{a}/rules", h.createRule)
		mux.HandleFunc("GET "+p+"/groups/{g}/artifacts/{a}/rules/{rule}", h.getRule)
		mux.HandleFunc("PUT "+p+"/groups/{g}/artifacts/{a}/rules/{rule}", h.updateRule)
		if api.v2 {
			mux.HandleFunc("GET "+p+"/groups/{g}/artifacts/{a}", h.latestContentV2)
			mux.HandleFunc("GET "+p+"/groups/{g}/artifacts/{a}/meta", h.latestMetaV2)
			mux.HandleFunc("GET "+p+"/groups/{g}/artifacts/{a}/versions/{v}", h.versionContent)
			mux.HandleFunc("GET "+p+"/groups/{g}/artifacts/{a}/versions/{v}/meta", h.versionMeta)
		} else {
			mux.HandleFunc("GET "+p+"/groups/{g}/artifacts/{a}/versions/{v}", h.versionMeta)
			mux.HandleFunc("GET "+p+"/groups/{g}/artifacts/{a}/versions/{v}/content", h.versionContent)
		}
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.intercept(w, r) {
			return
		}
		mux.ServeHTTP(w, r)
	})
}

// intercept records r, checks auth and applies a matching fault. It
// reports whether r has been answered.
func (s *Server) intercept(w http.ResponseWriter, r *http.Request) bool {
	s.mu.Lock()
	s.requests = append(s.requests, r.Method+" "+r.URL.EscapedPath())
	auth := s.auth
	var f *Fault
	for i, cand := range s.faults {
		if (cand.Method == "" || cand.Method == r.Method) && strings.Contains(r.URL.EscapedPath(), cand.PathContains) {
			f = cand
			if f.Times--; f.Times == 0 {
				s.faults = slices.Delete(s.faults, i, i+1)
			}
			break
		}
	}
	s.mu.Unlock()

	if auth != nil && !auth(r) {
		v2 := strings.Contains(r.URL.Path, "/v2/")
		writeError(w, v2, http.StatusUnauthorized, "User is not authenticated.", "UnauthorizedException")
		return true
	}
	if f == nil {
		return false
	}
	if f.Delay > 0 {
		select {
		case <-time.After(f.Delay):
		case <-r.Context().Done():
			return true
		}
	}
	if f.Hangup {
		if hj, ok := w.(http.Hijacker); ok {
			if conn, _, err := hj.Hijack(); err == nil {
				conn.Close()
			}
		}
		return true
	}
	if f.Status == 0 {
		return false
	}
	if f.RetryAfter != "" {
		w.Header().Set("Retry-After", f.RetryAfter)
	}
	if f.Body == "" {
		writeError(w, strings.Contains(r.URL.Path, "/v2/"), f.Status, http.StatusText(f.Status), "InjectedFault")
		return true
	}
	ct := f.ContentType
	if ct == "" {
		ct = "application/json"
	}
	w.Header().Set("Content-Type", ct)
	w.WriteHeader(f.Status)
	io.WriteString(w, f.Body)
	return true
}

type handler struct {
	s  *Server
	v2 bool
}

// Error bodies: v3 ProblemDetails, v2 Error.
func writeError(w http.ResponseWriter, v2 bool, status int, msg, name string) {
	var body any
	if v2 {
		body = map[string]any{"error_code": status, "message": msg, "name": name}
	} else {
		body = map[string]any{"status": status, "title": msg, "detail": name + ": " + msg, "name": name}
	}
	writeJSON(w, status, body)
}

func (h *handler) fail(w http.ResponseWriter, status int, format string, args ...any) {
	name := map[int]string{
		http.StatusBadRequest:           "BadRequestException",
		http.StatusNotFound:             "NotFoundException",
		http.StatusConflict:             "ConflictException",
		http.StatusUnsupportedMediaType: "UnsupportedMediaTypeException",
	}[status]
	writeError(w, h.v2, status, fmt.Sprintf(format, args...), name)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func (h *handler) stamp(t time.Time) string {
	if h.v2 {
		return t.UTC().Format("2006-01-02T15:04:05-0700")
	}
	return t.UTC().Format(time.RFC3339)
}

func (s *Server) newArtifact(group, id, typ string) *artifact {
	if typ == "" {
		typ = "AVRO"
	}
	now := time.Now().UTC()
	a := &artifact{group: group, id: id, typ: typ, created: now, modified: now, rules: map[string]string{}}
	s.artifacts[key{group, id}] = a
	return a
}

func (s *Server) addVersion(a *artifact, content string) *version {
	cid, ok := s.contentIDs[content]
	if !ok {
		s.contents = append(s.contents, content)
		cid = int64(len(s.contents))
		s.contentIDs[content] = cid
	}
	v := &version{
		art:       a,
		version:   strconv.Itoa(len(a.versions) + 1),
		globalID:  int64(len(s.versions) + 1),
		contentID: cid,
		created:   time.Now().UTC(),
	}
	s.versions = append(s.versions, v)
	a.versions = append(a.versions, v)
	a.modified = v.created
	return v
}

func (s *Server) findContent(a *artifact, content string) *version {
	for _, v := range a.versions {
		if s.contents[v.contentID-1] == content {
			return v
		}
	}
	return nil
}

// versionJSON is v3 VersionMetaData / SearchedVersion, or v2
// ArtifactMetaData / VersionMetaData / SearchedVersion.
func (h *handler) versionJSON(v *version) map[string]any {
	m := map[string]any{
		"version":   v.version,
		"globalId":  v.globalID,
		"contentId": v.contentID,
		"createdOn": h.stamp(v.created),
		"state":     "ENABLED",
		"groupId":   v.art.group,
	}
	if h.v2 {
		m["id"] = v.art.id
		m["type"] = v.art.typ
		m["createdBy"] = ""
		m["modifiedBy"] = ""
		m["modifiedOn"] = h.stamp(v.art.modified)
		m["references"] = []any{}
		if v.art.group == "default" {
			m["groupId"] = nil // as Apicurio 2 shows the default group
		}
	} else {
		m["artifactId"] = v.art.id
		m["artifactType"] = v.art.typ
		m["owner"] = ""
	}
	return m
}

func (h *handler) artifactJSON(a *artifact) map[string]any {
	m := map[string]any{
		"groupId":    a.group,
		"createdOn":  h.stamp(a.created),
		"modifiedOn": h.stamp(a.modified),
		"modifiedBy": "",
	}
	if h.v2 {
		m["id"], m["type"], m["createdBy"], m["state"] = a.id, a.typ, "", "ENABLED"
	} else {
		m["artifactId"], m["artifactType"], m["owner"] = a.id, a.typ, ""
	}
	return m
}

func (h *handler) systemInfo(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{
		"name":        "Apicurio Registry (in-memory test double)",
		"description": "A registry for tests.",
		"version":     "3.3.0-test",
		"builtOn":     "2025-01-01T00:00:00Z",
	})
}

func (h *handler) contentByContentID(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		h.fail(w, http.StatusBadRequest, "contentId %q is not an int64", r.PathValue("id"))
		return
	}
	h.s.mu.Lock()
	defer h.s.mu.Unlock()
	if id < 1 || id > int64(len(h.s.contents)) {
		h.fail(w, http.StatusNotFound, "No content with id '%d' was found.", id)
		return
	}
	h.writeContent(w, "", h.s.contents[id-1])
}

func (h *handler) contentByGlobalID(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		h.fail(w, http.StatusBadRequest, "globalId %q is not an int64", r.PathValue("id"))
		return
	}
	h.s.mu.Lock()
	defer h.s.mu.Unlock()
	if id < 1 || id > int64(len(h.s.versions)) || h.s.versions[id-1] == nil {
		h.fail(w, http.StatusNotFound, "No artifact with globalId '%d' was found.", id)
		return
	}
	v := h.s.versions[id-1]
	h.writeContent(w, v.art.typ, h.s.contents[v.contentID-1])
}

func (h *handler) writeContent(w http.ResponseWriter, typ, content string) {
	w.Header().Set("Content-Type", "application/json")
	if typ != "" {
		w.Header().Set("X-Registry-ArtifactType", typ)
	}
	w.WriteHeader(http.StatusOK)
	io.WriteString(w, content)
}

// v3 CreateArtifact, strictly: unknown fields are rejected.
type createArtifact struct {
	ArtifactID   string            `json:"artifactId"`
	ArtifactType string            `json:"artifactType"`
	Name         string            `json:"name"`
	Description  string            `json:"description"`
	Labels       map[string]string `json:"labels"`
	FirstVersion *struct {
		Version string `json:"version"`
		Content *struct {
			Content     *string           `json:"content"`
			ContentType *string           `json:"contentType"`
			References  []json.RawMessage `json:"references"`
			Encoding    string            `json:"encoding"`
		} `json:"content"`
		Name        string            `json:"name"`
		Description string            `json:"description"`
		Labels      map[string]string `json:"labels"`
		Branches    []string          `json:"branches"`
		IsDraft     bool              `json:"isDraft"`
	} `json:"firstVersion"`
}

func (h *handler) createArtifact(w http.ResponseWriter, r *http.Request) {
	group := r.PathValue("g")
	ifExists := r.URL.Query().Get("ifExists")
	if ifExists == "" {
		ifExists = "FAIL"
	}
	var id, typ, content string
	if h.v2 {
		if !slices.Contains([]string{"FAIL", "UPDATE", "RETURN", "RETURN_OR_UPDATE"}, ifExists) {
			h.fail(w, http.StatusBadRequest, "invalid ifExists %q", ifExists)
			return
		}
		if r.Header.Get("Content-Type") == "" {
			h.fail(w, http.StatusUnsupportedMediaType, "missing Content-Type")
			return
		}
		body, _ := io.ReadAll(r.Body)
		id, typ, content = r.Header.Get("X-Registry-ArtifactId"), r.Header.Get("X-Registry-ArtifactType"), string(body)
		if id == "" {
			h.fail(w, http.StatusBadRequest, "missing X-Registry-ArtifactId")
			return
		}
	} else {
		if !slices.Contains([]string{"FAIL", "CREATE_VERSION", "FIND_OR_CREATE_VERSION"}, ifExists) {
			h.fail(w, http.StatusBadRequest, "invalid ifExists %q", ifExists)
			return
		}
		if !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
			h.fail(w, http.StatusUnsupportedMediaType, "Content-Type %q is not application/json", r.Header.Get("Content-Type"))
			return
		}
		dec := json.NewDecoder(r.Body)
		dec.DisallowUnknownFields()
		var req createArtifact
		if err := dec.Decode(&req); err != nil {
			h.fail(w, http.StatusBadRequest, "invalid CreateArtifact: %v", err)
			return
		}
		if req.ArtifactID == "" {
			h.fail(w, http.StatusBadRequest, "artifactId is required")
			return
		}
		fv := req.FirstVersion
		if fv == nil || fv.Content == nil || fv.Content.Content == nil || fv.Content.ContentType == nil {
			h.fail(w, http.StatusBadRequest, "firstVersion.content.content and contentType are required")
			return
		}
		id, typ, content = req.ArtifactID, req.ArtifactType, *fv.Content.Content
	}
	if content == "" {
		h.fail(w, http.StatusBadRequest, "Empty content is not allowed.")
		return
	}
	if typ != "" && !slices.Contains([]string{"AVRO", "PROTOBUF", "JSON", "KCONNECT", "OPENAPI", "ASYNCAPI", "GRAPHQL", "WSDL", "XSD", "XML"}, typ) {
		h.fail(w, http.StatusBadRequest, "Unsupported artifact type: %s", typ)
		return
	}

	h.s.mu.Lock()
	defer h.s.mu.Unlock()
	a := h.s.artifacts[key{group, id}]
	var v *version
	switch {
	case a == nil:
		a = h.s.newArtifact(group, id, typ)
		v = h.s.addVersion(a, content)
	case ifExists == "FAIL":
		h.fail(w, http.StatusConflict, "An artifact with ID '%s' in group '%s' already exists.", id, group)
		return
	case ifExists == "RETURN":
		v = a.versions[len(a.versions)-1]
	case ifExists == "FIND_OR_CREATE_VERSION" || ifExists == "RETURN_OR_UPDATE":
		if v = h.s.findContent(a, content); v == nil {
			v = h.s.addVersion(a, content)
		}
	default: // CREATE_VERSION, UPDATE
		v = h.s.addVersion(a, content)
	}
	if h.v2 {
		writeJSON(w, http.StatusOK, h.versionJSON(v))
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"artifact": h.artifactJSON(a), "version": h.versionJSON(v)})
}

func paging(r *http.Request) (offset, limit int) {
	offset, _ = strconv.Atoi(r.URL.Query().Get("offset"))
	limit = 20
	if l, err := strconv.Atoi(r.URL.Query().Get("limit")); err == nil && l > 0 {
		limit = l
	}
	return max(offset, 0), limit
}

func page[T any](all []T, offset, limit int) []T {
	if offset >= len(all) {
		return []T{}
	}
	return all[offset:min(len(all), offset+limit)]
}

func (h *handler) listArtifacts(w http.ResponseWriter, r *http.Request) {
	group := r.PathValue("g")
	offset, limit := paging(r)
	h.s.mu.Lock()
	defer h.s.mu.Unlock()
	var all []*artifact
	for k, a := range h.s.artifacts {
		if k.group == group {
			all = append(all, a)
		}
	}
	if len(all) == 0 && group != "default" && !h.v2 {
		h.fail(w, http.StatusNotFound, "No group '%s' was found.", group)
		return
	}
	slices.SortFunc(all, func(a, b *artifact) int { return strings.Compare(a.id, b.id) })
	out := []map[string]any{}
	for _, a := range page(all, offset, limit) {
		out = append(out, h.artifactJSON(a))
	}
	writeJSON(w, http.StatusOK, map[string]any{"count": len(all), "artifacts": out})
}

func (h *handler) artifact(w http.ResponseWriter, r *http.Request) *artifact {
	a := h.s.artifacts[key{r.PathValue("g"), r.PathValue("a")}]
	if a == nil {
		h.fail(w, http.StatusNotFound, "No artifact with ID '%s' in group '%s' was found.", r.PathValue("a"), r.PathValue("g"))
	}
	return a
}

func (h *handler) deleteArtifact(w http.ResponseWriter, r *http.Request) {
	h.s.mu.Lock()
	defer h.s.mu.Unlock()
	a := h.artifact(w, r)
	if a == nil {
		return
	}
	for _, v := range a.versions {
		h.s.versions[v.globalID-1] = nil
	}
	delete(h.s.artifacts, key{a.group, a.id})
	w.WriteHeader(http.StatusNoContent)
}

func (h *handler) listVersions(w http.ResponseWriter, r *http.Request) {
	offset, limit := paging(r)
	h.s.mu.Lock()
	defer h.s.mu.Unlock()
	a := h.artifact(w, r)
	if a == nil {
		return
	}
	out := []map[string]any{}
	for _, v := range page(a.versions, offset, limit) {
		out = append(out, h.versionJSON(v))
	}
	writeJSON(w, http.StatusOK, map[string]any{"count": len(a.versions), "versions": out})
}

// resolve finds the version named by a version or, in v3, the expression
// "branch=latest".
func (h *handler) resolve(w http.ResponseWriter, r *http.Request) *version {
	a := h.artifact(w, r)
	if a == nil {
		return nil
	}
	expr := r.PathValue("v")
	if expr == "branch=latest" && !h.v2 || expr == "latest" && h.v2 {
		return a.versions[len(a.versions)-1]
	}
	for _, v := range a.versions {
		if v.version == expr {
			return v
		}
	}
	h.fail(w, http.StatusNotFound, "No version '%s' found for artifact with ID '%s' in group '%s'.", expr, a.id, a.group)
	return nil
}

func (h *handler) versionMeta(w http.ResponseWriter, r *http.Request) {
	h.s.mu.Lock()
	defer h.s.mu.Unlock()
	if v := h.resolve(w, r); v != nil {
		writeJSON(w, http.StatusOK, h.versionJSON(v))
	}
}

func (h *handler) versionContent(w http.ResponseWriter, r *http.Request) {
	h.s.mu.Lock()
	defer h.s.mu.Unlock()
	if v := h.resolve(w, r); v != nil {
		h.writeContent(w, v.art.typ, h.s.contents[v.contentID-1])
	}
}

func (h *handler) latestMetaV2(w http.ResponseWriter, r *http.Request) {
	h.s.mu.Lock()
	defer h.s.mu.Unlock()
	if a := h.artifact(w, r); a != nil {
		writeJSON(w, http.StatusOK, h.versionJSON(a.versions[len(a.versions)-1]))
	}
}

func (h *handler) latestContentV2(w http.ResponseWriter, r *http.Request) {
	h.s.mu.Lock()
	defer h.s.mu.Unlock()
	if a := h.artifact(w, r); a != nil {
		v := a.versions[len(a.versions)-1]
		h.writeContent(w, a.typ, h.s.contents[v.contentID-1])
	}
}

// rules returns the rule map of the request's artifact, or the global
// rules; nil (answered) when the artifact does not exist.
func (h *handler) rules(w http.ResponseWriter, r *http.Request) map[string]string {
	if r.PathValue("a") == "" {
		return h.s.globalRules
	}
	if a := h.artifact(w, r); a != nil {
		return a.rules
	}
	return nil
}

// decodeRule reads v3 CreateRule / Rule {ruleType, config} or v2 Rule
// {type, config}, strictly.
func (h *handler) decodeRule(w http.ResponseWriter, r *http.Request) (typ, cfg string, ok bool) {
	if !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		h.fail(w, http.StatusUnsupportedMediaType, "Content-Type %q is not application/json", r.Header.Get("Content-Type"))
		return "", "", false
	}
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	var body struct {
		RuleType *string `json:"ruleType,omitempty"`
		Type     *string `json:"type,omitempty"`
		Config   *string `json:"config"`
	}
	err := dec.Decode(&body)
	switch {
	case err != nil:
		h.fail(w, http.StatusBadRequest, "invalid rule: %v", err)
		return "", "", false
	case h.v2 && body.RuleType != nil, !h.v2 && body.Type != nil:
		h.fail(w, http.StatusBadRequest, "invalid rule: unknown field")
		return "", "", false
	case body.Config == nil:
		h.fail(w, http.StatusBadRequest, "invalid rule: config is required")
		return "", "", false
	}
	if body.RuleType != nil {
		typ = *body.RuleType
	}
	if body.Type != nil {
		typ = *body.Type
	}
	return typ, *body.Config, true
}

func validRule(t string) bool { return t == "VALIDITY" || t == "COMPATIBILITY" || t == "INTEGRITY" }

func (h *handler) createRule(w http.ResponseWriter, r *http.Request) {
	typ, cfg, ok := h.decodeRule(w, r)
	if !ok {
		return
	}
	if !validRule(typ) {
		h.fail(w, http.StatusBadRequest, "unknown rule type %q", typ)
		return
	}
	h.s.mu.Lock()
	defer h.s.mu.Unlock()
	rules := h.rules(w, r)
	if rules == nil {
		return
	}
	if _, exists := rules[typ]; exists {
		h.fail(w, http.StatusConflict, "A rule named '%s' already exists.", typ)
		return
	}
	rules[typ] = cfg
	w.WriteHeader(http.StatusNoContent)
}

func (h *handler) updateRule(w http.ResponseWriter, r *http.Request) {
	typ := r.PathValue("rule")
	_, cfg, ok := h.decodeRule(w, r)
	if !ok {
		return
	}
	if !validRule(typ) {
		h.fail(w, http.StatusBadRequest, "unknown rule type %q", typ)
		return
	}
	h.s.mu.Lock()
	defer h.s.mu.Unlock()
	rules := h.rules(w, r)
	if rules == nil {
		return
	}
	if _, exists := rules[typ]; !exists {
		h.fail(w, http.StatusNotFound, "No rule named '%s' was found.", typ)
		return
	}
	rules[typ] = cfg
	writeJSON(w, http.StatusOK, h.ruleJSON(typ, cfg))
}

func (h *handler) getRule(w http.ResponseWriter, r *http.Request) {
	typ := r.PathValue("rule")
	if !validRule(typ) {
		h.fail(w, http.StatusBadRequest, "unknown rule type %q", typ)
		return
	}
	h.s.mu.Lock()
	defer h.s.mu.Unlock()
	rules := h.rules(w, r)
	if rules == nil {
		return
	}
	cfg, exists := rules[typ]
	if !exists {
		h.fail(w, http.StatusNotFound, "No rule named '%s' was found.", typ)
		return
	}
	writeJSON(w, http.StatusOK, h.ruleJSON(typ, cfg))
}

func (h *handler) ruleJSON(typ, cfg string) map[string]string {
	if h.v2 {
		return map[string]string{"type": typ, "config": cfg}
	}
	return map[string]string{"ruleType": typ, "config": cfg}
}
