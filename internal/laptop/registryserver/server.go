package registryserver

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"time"
)

// API path prefixes.
const (
	prefixV3      = "/apis/registry/v3"
	prefixV2      = "/apis/registry/v2"
	prefixCcompat = "/apis/ccompat/v7"
)

// DefaultMaxBodyBytes is the request body limit used unless
// [WithMaxBodyBytes] sets another.
const DefaultMaxBodyBytes int64 = 4 << 20

// Server is the registry: its state and the HTTP handler serving it. It is
// safe for concurrent requests.
type Server struct {
	mu      sync.RWMutex
	st      *state
	closed  bool
	journal Journal
	logger  *slog.Logger
	maxBody int64
	started time.Time
	mux     *http.ServeMux
	handler http.Handler
}

type options struct {
	journal Journal
	logger  *slog.Logger
	maxBody int64
}

// Option configures a Server.
type Option func(*options)

// WithJournal makes the server persist every change to j and replay it on
// start. The server closes j when it is closed.
func WithJournal(j Journal) Option { return func(o *options) { o.journal = j } }

// WithLogger sets the logger; the default is slog.Default().
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.logger = l } }

// WithMaxBodyBytes sets the largest request body accepted; larger ones are
// answered 413. Values below 1 keep the default.
func WithMaxBodyBytes(n int64) Option { return func(o *options) { o.maxBody = n } }

// New returns a server with the state replayed from the journal, if any.
func New(ctx context.Context, opts ...Option) (*Server, error) {
	o := options{logger: slog.Default(), maxBody: DefaultMaxBodyBytes}
	for _, opt := range opts {
		opt(&o)
	}
	if o.logger == nil {
		o.logger = slog.Default()
	}
	if o.maxBody < 1 {
		o.maxBody = DefaultMaxBodyBytes
	}
	s := &Server{st: newState(), journal: o.journal, logger: o.logger, maxBody: o.maxBody, started: time.Now().UTC()}
	if s.journal != nil {
		n := 0
		err := s.journal.Replay(ctx, func(e Event) error {
			n++
			return s.st.apply(e)
		})
		if err != nil {
			return nil, fmt.Errorf("start registry: replay journal: %w", err)
		}
		s.logger.InfoContext(ctx, "registry: journal replayed", "events", n,
			"lastGlobalId", s.st.lastGlobal, "lastContentId", s.st.lastContent)
	}
	s.mux = http.NewServeMux()
	for _, rt := range s.routes() {
		s.mux.HandleFunc(rt.method+" "+rt.prefix()+rt.path, s.endpoint(rt.api, rt.h))
	}
	for _, p := range []string{"/health", "/health/ready", "/health/live"} {
		s.mux.HandleFunc("GET "+p, s.health)
	}
	s.registerUI()
	s.handler = http.HandlerFunc(s.serve)
	return s, nil
}

// Handler returns the HTTP handler serving the v3, v2 and ccompat APIs,
// the health endpoints (/health, /health/ready, /health/live) and the
// read-only browser pages at /ui.
func (s *Server) Handler() http.Handler { return s.handler }

// Close stops accepting changes and closes the journal. Reads keep working.
func (s *Server) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	if s.journal != nil {
		if err := s.journal.Close(); err != nil {
			return fmt.Errorf("close registry: %w", err)
		}
	}
	return nil
}

// apiKind is the API a request addresses; it decides the error body.
type apiKind int

const (
	apiNone apiKind = iota
	apiV3
	apiV2
	apiCcompat
)

func apiOf(path string) apiKind {
	switch {
	case strings.HasPrefix(path, prefixV3+"/") || path == prefixV3:
		return apiV3
	case strings.HasPrefix(path, prefixV2+"/") || path == prefixV2:
		return apiV2
	case strings.HasPrefix(path, prefixCcompat+"/") || path == prefixCcompat:
		return apiCcompat
	}
	return apiNone
}

// route is one served operation; path is as in the API's OpenAPI document.
type route struct {
	api    apiKind
	method string
	path   string
	h      func(http.ResponseWriter, *http.Request) error
}

func (r route) prefix() string {
	switch r.api {
	case apiV3:
		return prefixV3
	case apiV2:
		return prefixV2
	case apiCcompat:
		return prefixCcompat
	}
	return ""
}

// routes lists every operation served.
func (s *Server) routes() []route {
	var out []route
	out = append(out, s.v3Routes()...)
	out = append(out, s.v2Routes()...)
	out = append(out, s.ccompatRoutes()...)
	return out
}

func (s *Server) endpoint(api apiKind, h func(http.ResponseWriter, *http.Request) error) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			ae := asAPIError(err)
			if ae.status >= 500 {
				s.logger.ErrorContext(r.Context(), "registry: request failed", "method", r.Method, "path", r.URL.Path, "err", err)
			}
			s.writeError(w, api, ae)
		}
	}
}

// serve is the outermost handler: panic recovery, the body limit, request
// body decompression, and error bodies for unknown paths and methods.
func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	api := apiOf(r.URL.Path)
	defer func() {
		if p := recover(); p != nil {
			if p == http.ErrAbortHandler {
				panic(p)
			}
			s.logger.ErrorContext(r.Context(), "registry: panic while serving a request",
				"method", r.Method, "path", r.URL.Path, "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
			s.writeError(w, api, newAPIError(http.StatusInternalServerError, "InternalServerError",
				"internal error while serving %s %s; it has been logged", r.Method, r.URL.Path))
		}
	}()
	if r.ContentLength > s.maxBody {
		s.writeError(w, api, tooLarge(s.maxBody))
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, s.maxBody)
	if e := decodeBody(w, r, s.maxBody); e != nil {
		s.writeError(w, api, e)
		return
	}
	h, pattern := s.mux.Handler(r)
	if pattern != "" {
		// ServeMux.ServeHTTP, not h: it sets the path values.
		s.mux.ServeHTTP(w, r)
		return
	}
	// No route: the mux answers 404, 405 or a redirect; give the errors the
	// API's error body.
	rec := &captureWriter{header: http.Header{}}
	h.ServeHTTP(rec, r)
	switch rec.status {
	case http.StatusNotFound:
		s.writeError(w, api, notFound("NotFoundException", "No endpoint %s %s: check the path against the API documentation.", r.Method, r.URL.Path).withCode(404))
	case http.StatusMethodNotAllowed:
		w.Header().Set("Allow", rec.header.Get("Allow"))
		s.writeError(w, api, newAPIError(http.StatusMethodNotAllowed, "MethodNotAllowedException",
			"Method %s is not allowed on %s: use %s.", r.Method, r.URL.Path, rec.header.Get("Allow")))
	default:
		for k, v := range rec.header {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.status)
		_, _ = w.Write(rec.body)
	}
}

type captureWriter struct {
	header http.Header
	status int
	body   []byte
}

func (c *captureWriter) Header() http.Header { return c.header }
func (c *captureWriter) WriteHeader(status int) {
	if c.status == 0 {
		c.status = status
	}
}
func (c *captureWriter) Write(b []byte) (int, error) {
	if c.status == 0 {
		c.status = http.StatusOK
	}
	c.body = append(c.body, b...)
	return len(b), nil
}

func tooLarge(limit int64) *apiError {
	return newAPIError(http.StatusRequestEntityTooLarge, "PayloadTooLargeException",
		"The request body is larger than the limit of %d bytes: send a smaller schema or raise the registry's body limit.", limit).withCode(413)
}

func (s *Server) health(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, "application/json", map[string]any{"status": "UP", "checks": []any{}})
}

// problemDetails is the v3 error body.
type problemDetails struct {
	Status int         `json:"status"`
	Title  string      `json:"title"`
	Detail string      `json:"detail,omitempty"`
	Name   string      `json:"name,omitempty"`
	Causes []ruleCause `json:"causes,omitzero"`
}

// v2Error is the v2 error body.
type v2Error struct {
	ErrorCode int         `json:"error_code"`
	Message   string      `json:"message"`
	Detail    string      `json:"detail,omitempty"`
	Name      string      `json:"name,omitempty"`
	Causes    []ruleCause `json:"causes,omitzero"`
}

// ccompatError is the Confluent-compatible error body.
type ccompatError struct {
	ErrorCode int    `json:"error_code"`
	Message   string `json:"message"`
}

const ccompatContentType = "application/vnd.schemaregistry.v1+json"

func (s *Server) writeError(w http.ResponseWriter, api apiKind, e *apiError) {
	switch api {
	case apiCcompat:
		code := e.code
		if code == 0 {
			code = e.status
		}
		writeJSON(w, e.status, ccompatContentType, ccompatError{ErrorCode: code, Message: e.msg})
	case apiV2:
		causes := e.causes
		if causes == nil && e.status == http.StatusConflict {
			// The v2 document answers 409 on content operations with
			// RuleViolationError, which requires causes.
			causes = []ruleCause{}
		}
		writeJSON(w, e.status, "application/json", v2Error{ErrorCode: e.status, Message: e.msg,
			Detail: e.name + ": " + e.msg, Name: e.name, Causes: causes})
	default:
		causes := e.causes
		if causes == nil && e.status == http.StatusBadRequest {
			// The v3 document answers 400 on content operations with
			// RuleViolationProblemDetails, which requires causes.
			causes = []ruleCause{}
		}
		writeJSON(w, e.status, "application/json", problemDetails{Status: e.status, Title: e.msg,
			Detail: e.name + ": " + e.msg, Name: e.name, Causes: causes})
	}
}

func writeJSON(w http.ResponseWriter, status int, contentType string, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		// Every value written is made of plain types; this cannot happen.
		b = []byte(`{"status":500,"title":"internal error: encode response"}`)
		status = http.StatusInternalServerError
	}
	w.Header().Set("Content-Type", contentType)
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

func writeContent(w http.ResponseWriter, typ, contentType string, data []byte) {
	if contentType == "" {
		contentType = "application/octet-stream"
	}
	w.Header().Set("Content-Type", contentType)
	if typ != "" {
		w.Header().Set("X-Registry-ArtifactType", typ)
	}
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(data)
}

// readBody reads the whole request body within the limit.
func readBody(r *http.Request) ([]byte, error) {
	b, err := io.ReadAll(r.Body)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, tooLarge(mbe.Limit)
		}
		return nil, badRequest("could not read the request body: %v", err)
	}
	return b, nil
}

// decodeJSON reads a JSON body into v.
func decodeJSON(r *http.Request, v any) error {
	b, err := readBody(r)
	if err != nil {
		return err
	}
	if len(strings.TrimSpace(string(b))) == 0 {
		return badRequest("the request body is empty: send a JSON document")
	}
	if err := json.Unmarshal(b, v); err != nil {
		return badRequest("malformed JSON in the request body: %v", err)
	}
	return nil
}

// queryInt reads an integer query parameter of at least lowest.
func queryInt(q url.Values, name string, def, lowest int) (int, error) {
	raw := q.Get(name)
	if raw == "" {
		return def, nil
	}
	n, err := strconv.Atoi(raw)
	if err != nil || n < lowest {
		return 0, badRequest("invalid query parameter %s=%q: use an integer of at least %d", name, raw, lowest)
	}
	return n, nil
}

// queryInt64 reads an optional int64 query parameter.
func queryInt64(q url.Values, name string) (int64, bool, error) {
	raw := q.Get(name)
	if raw == "" {
		return 0, false, nil
	}
	n, err := strconv.ParseInt(raw, 10, 64)
	if err != nil {
		return 0, false, badRequest("invalid query parameter %s=%q: use an integer", name, raw)
	}
	return n, true, nil
}

func queryBool(q url.Values, name string) (bool, error) {
	raw := q.Get(name)
	if raw == "" {
		return false, nil
	}
	b, err := strconv.ParseBool(raw)
	if err != nil {
		return false, badRequest("invalid query parameter %s=%q: use true or false", name, raw)
	}
	return b, nil
}

func queryEnum(q url.Values, name, def string, allowed ...string) (string, error) {
	raw := q.Get(name)
	if raw == "" {
		return def, nil
	}
	for _, a := range allowed {
		if raw == a {
			return raw, nil
		}
	}
	return "", badRequest("invalid query parameter %s=%q: use one of %s", name, raw, strings.Join(allowed, ", "))
}

// pathInt64 parses an id from the path.
func pathInt64(r *http.Request, name string) (int64, error) {
	raw := r.PathValue(name)
	n, err := strconv.ParseInt(raw, 10, 64)
	if err != nil {
		return 0, badRequest("invalid %s %q in the path: use an integer", name, raw)
	}
	return n, nil
}

// page returns the [offset, offset+limit) window of n items; limit < 0 means
// all.
func page(n, offset, limit int) (int, int) {
	if offset > n {
		offset = n
	}
	end := n
	if limit >= 0 && limit < n-offset {
		end = offset + limit
	}
	return offset, end
}

// pageOf returns the page [offset, offset+limit) of vs (a negative limit:
// to the end), each converted by conv; never nil, so it encodes as [].
func pageOf[V, O any](vs []V, offset, limit int, conv func(V) O) []O {
	from, to := page(len(vs), offset, limit)
	out := make([]O, 0, to-from)
	for _, v := range vs[from:to] {
		out = append(out, conv(v))
	}
	return out
}

func formatTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05Z") }
