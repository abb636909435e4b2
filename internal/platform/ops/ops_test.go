package ops

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
)

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestEndpoints(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	s := New()
	n := 0.0
	s.CounterFunc("salesstream_test_things_total", "Things counted.", func() float64 { return n })
	if err := s.Start(ctx, "127.0.0.1:0", nil); err != nil {
		t.Fatal(err)
	}
	base := "http://" + s.Addr()
	tests := []struct {
		name, path string
		prep       func()
		code       int
		body       string
	}{
		{"alive", "/healthz", nil, 200, "ok"},
		{"not ready yet", "/readyz", nil, 503, "not ready"},
		{"ready", "/readyz", func() { s.SetReady(func() bool { return true }) }, 200, "ready"},
		{"metrics", "/metrics", func() { n = 42 }, 200, "salesstream_test_things_total 42"},
		{"go runtime", "/metrics", nil, 200, "go_goroutines"},
		{"unknown", "/nope", nil, 404, ""},
	}
	for _, tt := range tests {
		if tt.prep != nil {
			tt.prep()
		}
		code, body := get(t, base+tt.path)
		if code != tt.code || !strings.Contains(body, tt.body) {
			t.Errorf("%s: GET %s = %d %q, want %d with %q", tt.name, tt.path, code, body, tt.code, tt.body)
		}
	}
}

func TestStartOff(t *testing.T) {
	s := New()
	if err := s.Start(context.Background(), "", nil); err != nil || s.Addr() != "" {
		t.Fatalf("empty address: %v, %q", err, s.Addr())
	}
}

func TestStartBusyPort(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	a := New()
	if err := a.Start(ctx, "127.0.0.1:0", nil); err != nil {
		t.Fatal(err)
	}
	if err := New().Start(ctx, a.Addr(), nil); err == nil || !strings.Contains(err.Error(), a.Addr()) {
		t.Fatalf("second server on %s: %v, want an error naming the address", a.Addr(), err)
	}
}
