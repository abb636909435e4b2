package registry_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/salesstream/salesstream/internal/platform/addrtest"
	"github.com/salesstream/salesstream/pkg/registry"
	"github.com/salesstream/salesstream/pkg/registry/registrytest"
)

// tokenServer is a Keycloak-like client-credentials token endpoint.
type tokenServer struct {
	*httptest.Server
	mu        sync.Mutex
	fetches   int
	valid     map[string]bool
	expiresIn int
	failWith  int // status to answer instead of a token, 0 for none
	failTimes int
	badForm   string
}

func newTokenServer(t *testing.T, expiresIn int) *tokenServer {
	ts := &tokenServer{valid: map[string]bool{}, expiresIn: expiresIn}
	ts.Server = httptest.NewServer(http.HandlerFunc(ts.serve))
	t.Cleanup(ts.Close)
	return ts
}

func (ts *tokenServer) serve(w http.ResponseWriter, r *http.Request) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	if ts.failTimes > 0 {
		ts.failTimes--
		w.WriteHeader(ts.failWith)
		fmt.Fprint(w, `{"error":"invalid_client","error_description":"Invalid client or Invalid client credentials"}`)
		return
	}
	if err := r.ParseForm(); err != nil || r.Method != http.MethodPost ||
		!strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") ||
		r.PostForm.Get("grant_type") != "client_credentials" || r.PostForm.Get("client_id") != "salesstream" ||
		r.PostForm.Get("client_secret") != "pw" || r.PostForm.Get("scope") != "registry profile" {
		ts.badForm = fmt.Sprintf("%s %v", r.Method, r.PostForm)
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprint(w, `{"error":"invalid_request"}`)
		return
	}
	ts.fetches++
	tok := fmt.Sprintf("tok-%d", ts.fetches)
	ts.valid[tok] = true
	fmt.Fprintf(w, `{"access_token":%q,"expires_in":%d,"token_type":"Bearer","scope":"registry profile"}`, tok, ts.expiresIn)
}

func (ts *tokenServer) check(r *http.Request) bool {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	return ok && ts.valid[tok]
}

func (ts *tokenServer) revokeAll() {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	clear(ts.valid)
}

func (ts *tokenServer) count() int {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	if ts.badForm != "" {
		panic("token request with a bad form: " + ts.badForm)
	}
	return ts.fetches
}

func oauthClient(t *testing.T, s *registrytest.Server, ts *tokenServer, clk *registrytest.Clock) *registry.Client {
	opts := []registry.Option{registry.WithOAuth2ClientCredentials(ts.URL, "salesstream", "pw", "registry", "profile")}
	if clk != nil {
		opts = append(opts, registry.WithClock(clk.Now))
	}
	return newClient(t, s.URL, opts...)
}

func TestOAuth2TokenIsCached(t *testing.T) {
	ts := newTokenServer(t, 300)
	s := registrytest.New(t)
	s.RequireAuth(ts.check)
	c := oauthClient(t, s, ts, nil)
	var wg sync.WaitGroup
	errs := make(chan error, 20)
	for range 20 {
		wg.Go(func() {
			_, _, err := c.SystemInfo(context.Background())
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if n := ts.count(); n != 1 {
		t.Fatalf("%d token fetches for 20 requests, want 1", n)
	}
}

func TestOAuth2TokenRefreshedBeforeExpiry(t *testing.T) {
	ts := newTokenServer(t, 60)
	s := registrytest.New(t)
	s.RequireAuth(ts.check)
	clk := registrytest.NewClock(time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC))
	c := oauthClient(t, s, ts, clk)
	ctx := context.Background()
	steps := []struct {
		advance time.Duration
		fetches int
	}{
		{0, 1},
		{50 * time.Second, 1},
		// A 60 s token is replaced 6 s before it expires.
		{3 * time.Second, 1},
		{2 * time.Second, 2},
		{time.Second, 2},
	}
	for i, st := range steps {
		clk.Advance(st.advance)
		if _, _, err := c.SystemInfo(ctx); err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
		if n := ts.count(); n != st.fetches {
			t.Fatalf("step %d: %d token fetches, want %d", i, n, st.fetches)
		}
	}
}

func TestOAuth2RevokedTokenIsReplaced(t *testing.T) {
	ts := newTokenServer(t, 300)
	s := registrytest.New(t)
	s.RequireAuth(ts.check)
	c := oauthClient(t, s, ts, nil)
	ctx := context.Background()
	if _, _, err := c.SystemInfo(ctx); err != nil {
		t.Fatal(err)
	}
	ts.revokeAll()
	if _, _, err := c.SystemInfo(ctx); err != nil {
		t.Fatalf("after revocation: %v", err)
	}
	if n, r := ts.count(), s.Count("/system/info"); n != 2 || r != 3 {
		t.Fatalf("%d token fetches and %d registry requests, want 2 and 3", n, r)
	}

	// A registry that refuses every token: one renewal, then ErrAuth.
	s.RequireAuth(func(*http.Request) bool { return false })
	_, _, err := c.SystemInfo(ctx)
	if !errors.Is(err, registry.ErrAuth) || registry.IsRetryable(err) {
		t.Fatalf("refused token: %v", err)
	}
	if r := s.Count("/system/info"); r != 5 {
		t.Fatalf("%d registry requests, want 5", r)
	}
}

func TestOAuth2TokenEndpointFailures(t *testing.T) {
	ctx := context.Background()
	t.Run("client refused", func(t *testing.T) {
		ts := newTokenServer(t, 300)
		ts.failWith, ts.failTimes = http.StatusUnauthorized, 100
		s := registrytest.New(t)
		_, _, err := oauthClient(t, s, ts, nil).SystemInfo(ctx)
		var te *registry.TokenError
		if !errors.As(err, &te) || !errors.Is(err, registry.ErrAuth) || registry.IsRetryable(err) {
			t.Fatalf("error %#v", err)
		}
		for _, want := range []string{"get OAuth2 token from " + ts.URL, "401", "invalid_client", "check the client id, secret and scopes"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("message %q lacks %q", err, want)
			}
		}
		if n := len(s.Requests()); n != 0 {
			t.Fatalf("%d registry requests without a token", n)
		}
	})
	t.Run("503 then a token", func(t *testing.T) {
		ts := newTokenServer(t, 300)
		ts.failWith, ts.failTimes = http.StatusServiceUnavailable, 2
		s := registrytest.New(t)
		s.RequireAuth(ts.check)
		if _, _, err := oauthClient(t, s, ts, nil).SystemInfo(ctx); err != nil {
			t.Fatal(err)
		}
		if n := s.Count("/system/info"); n != 1 {
			t.Fatalf("%d registry requests, want 1", n)
		}
	})
	t.Run("unreachable", func(t *testing.T) {
		s := registrytest.New(t)
		c := newClient(t, s.URL, registry.WithOAuth2ClientCredentials("http://"+addrtest.Free(t)+"/token", "id", "pw"))
		_, _, err := c.SystemInfo(ctx)
		if !registry.IsRetryable(err) || !strings.Contains(err.Error(), "unreachable") {
			t.Fatalf("error %v", err)
		}
		if n := len(s.Requests()); n != 0 {
			t.Fatalf("%d registry requests without a token", n)
		}
	})
}
