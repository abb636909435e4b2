package registrytest_test

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/salesstream/salesstream/pkg/registry/registrytest"
)

const schema = `{"type":"record","name":"Sale","fields":[{"name":"id","type":"int"}]}`

// TestFaultsAroundTheEmbeddedRegistry checks that faults apply to the
// requests they match, as many times as asked, and that every other request
// reaches the embedded registry.
func TestFaultsAroundTheEmbeddedRegistry(t *testing.T) {
	s := registrytest.New(t)
	gid, cid := s.Put("default", "sales-value", "AVRO", schema)
	if gid != 1 || cid != 1 {
		t.Fatalf("Put = global %d, content %d; want 1, 1", gid, cid)
	}
	s.Inject(registrytest.Fault{Method: "GET", PathContains: "/ids/contentIds/", Times: 2, Status: 503, RetryAfter: "7"})
	s.Inject(registrytest.Fault{PathContains: "/v2/", Status: 409})
	tests := []struct {
		path       string
		status     int
		retryAfter string
		body       string // a substring of the answer
	}{
		{"/apis/registry/v3/ids/contentIds/1", 503, "7", `"title":"Service Unavailable"`},
		{"/apis/registry/v3/ids/contentIds/1", 503, "7", `"status":503`},
		{"/apis/registry/v3/ids/contentIds/1", 200, "", `"name":"id"`},
		{"/apis/registry/v2/ids/contentIds/1", 409, "", `"error_code":409`},
		{"/apis/registry/v2/ids/contentIds/1", 200, "", `"name":"id"`},
		{"/apis/registry/v3/ids/globalIds/2", 404, "", `"status":404`},
	}
	for i, tt := range tests {
		resp, err := http.Get(s.URL + tt.path)
		if err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tt.status || resp.Header.Get("Retry-After") != tt.retryAfter || !strings.Contains(string(body), tt.body) {
			t.Errorf("request %d GET %s: %d Retry-After %q %s; want %d %q and %s",
				i, tt.path, resp.StatusCode, resp.Header.Get("Retry-After"), body, tt.status, tt.retryAfter, tt.body)
		}
	}
	if n := s.Count("GET /apis/registry/v3/ids/contentIds/1"); n != 3 {
		t.Errorf("Count = %d, want 3", n)
	}
	if n := len(s.Requests()); n != len(tests) {
		t.Errorf("%d requests recorded, want %d (Put is not recorded)", n, len(tests))
	}
}

func TestRequireAuth(t *testing.T) {
	s := registrytest.New(t)
	s.RequireAuth(func(r *http.Request) bool { return r.Header.Get("Authorization") == "Bearer ok" })
	for _, tc := range []struct {
		auth   string
		status int
	}{{"", 401}, {"Bearer no", 401}, {"Bearer ok", 200}} {
		req, _ := http.NewRequest("GET", s.URL+"/apis/registry/v3/system/info", nil)
		if tc.auth != "" {
			req.Header.Set("Authorization", tc.auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tc.status {
			t.Errorf("Authorization %q: %d, want %d", tc.auth, resp.StatusCode, tc.status)
		}
	}
}
