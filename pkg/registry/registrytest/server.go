// Package registrytest serves the project's embedded Apicurio-compatible
// registry (internal/laptop/registryserver, the one the devstack runs) over
// HTTP for tests, behind a layer that records every request, checks
// credentials and injects faults: error statuses with Retry-After, slow
// answers, dropped connections and malformed bodies.
//
// It is imported by the tests of pkg/registry (the client's retries, auth,
// OAuth2, v2 and v3) and pkg/serde (lookups through a failing registry), and
// may be by any program's tests that talk to a registry through pkg/registry.
// There is one model of Apicurio in the project: this package adds no
// registry behaviour of its own.
package registrytest

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/salesstream/salesstream/internal/laptop/registryserver"
)

// Server is the embedded registry served over HTTP, with fault injection
// and request recording in front of it.
type Server struct {
	// URL is the base URL, such as http://127.0.0.1:41234.
	URL string

	tb  testing.TB
	reg *registryserver.Server
	srv *httptest.Server

	mu       sync.Mutex
	faults   []*Fault
	requests []string
	auth     func(*http.Request) bool
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

// TLS serves HTTPS with a self-signed certificate; see CertificatePEM.
func TLS() Option { return func(c *config) { c.tls = true } }

// New starts a Server with an empty registry and closes it when the test
// ends.
func New(tb testing.TB, opts ...Option) *Server {
	tb.Helper()
	var cfg config
	for _, o := range opts {
		o(&cfg)
	}
	reg, err := registryserver.New(context.Background(), registryserver.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		tb.Fatalf("registrytest: start the registry: %v", err)
	}
	s := &Server{tb: tb, reg: reg}
	s.srv = httptest.NewUnstartedServer(s.Handler())
	// Clients that refuse the certificate are expected; keep test output clean.
	s.srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	if cfg.tls {
		s.srv.StartTLS()
	} else {
		s.srv.Start()
	}
	s.URL = s.srv.URL
	tb.Cleanup(func() {
		s.srv.Close()
		_ = reg.Close()
	})
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
// need be) through the registry's v3 API, past the recording and the faults,
// and returns the version's global id and content id. It fails the test if
// the registry refuses.
func (s *Server) Put(group, artifactID, artifactType, content string) (globalID, contentID int64) {
	s.tb.Helper()
	body, err := json.Marshal(map[string]any{
		"artifactId":   artifactID,
		"artifactType": artifactType,
		"firstVersion": map[string]any{"content": map[string]string{"content": content, "contentType": "application/json"}},
	})
	if err != nil {
		s.tb.Fatalf("registrytest: Put: %v", err)
	}
	path := "/apis/registry/v3/groups/" + url.PathEscape(group) + "/artifacts?ifExists=CREATE_VERSION"
	req := httptest.NewRequest(http.MethodPost, path, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	s.reg.Handler().ServeHTTP(rec, req)
	var out struct {
		Version struct {
			GlobalID  int64 `json:"globalId"`
			ContentID int64 `json:"contentId"`
		} `json:"version"`
	}
	if rec.Code != http.StatusOK || json.Unmarshal(rec.Body.Bytes(), &out) != nil {
		s.tb.Fatalf("registrytest: Put %s/%s: %d %s", group, artifactID, rec.Code, rec.Body)
	}
	return out.Version.GlobalID, out.Version.ContentID
}

// Handler returns the registry's HTTP handler behind the recording, the
// credential check and the faults.
func (s *Server) Handler() http.Handler {
	inner := s.reg.Handler()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.intercept(w, r) {
			return
		}
		inner.ServeHTTP(w, r)
	})
}

// intercept records r, checks auth and applies a matching fault. It
// reports whether r has been answered.
func (s *Server) intercept(w http.ResponseWriter, r *http.Request) bool {
	auth, f := s.record(r)
	if auth != nil && !auth(r) {
		writeError(w, r, http.StatusUnauthorized, "User is not authenticated.", "UnauthorizedException")
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
		if conn, _, err := http.NewResponseController(w).Hijack(); err == nil {
			conn.Close()
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
		writeError(w, r, f.Status, http.StatusText(f.Status), "InjectedFault")
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

// record appends r to the requests and takes the first fault matching it;
// it returns the credential check in force and that fault, if any.
func (s *Server) record(r *http.Request) (func(*http.Request) bool, *Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests = append(s.requests, r.Method+" "+r.URL.EscapedPath())
	for i, f := range s.faults {
		if (f.Method == "" || f.Method == r.Method) && strings.Contains(r.URL.EscapedPath(), f.PathContains) {
			if f.Times--; f.Times == 0 {
				s.faults = slices.Delete(s.faults, i, i+1)
			}
			return s.auth, f
		}
	}
	return s.auth, nil
}

// writeError answers an Apicurio error body: v2 Error under /v2/, else v3
// ProblemDetails.
func writeError(w http.ResponseWriter, r *http.Request, status int, msg, name string) {
	var body any = map[string]any{"status": status, "title": msg, "detail": fmt.Sprintf("%s: %s", name, msg), "name": name}
	if strings.Contains(r.URL.Path, "/v2/") {
		body = map[string]any{"error_code": status, "message": msg, "name": name}
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}
