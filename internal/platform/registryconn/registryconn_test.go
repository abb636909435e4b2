package registryconn

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/salesstream/salesstream/internal/laptop/registryserver"
	"github.com/salesstream/salesstream/internal/platform/addrtest"
)

func TestClient(t *testing.T) {
	tests := []struct {
		name    string
		cfg     Config
		wantAPI string
		wantErr string
	}{
		{"v3 by default", Config{URL: "http://r:8080"}, "http://r:8080/apis/registry/v3", ""},
		{"v2", Config{URL: "http://r:8080", API: "v2"}, "http://r:8080/apis/registry/v2", ""},
		{"unknown API", Config{URL: "http://r:8080", API: "v4"}, "", "--registry-api"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := tt.cfg.Client(nil)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want one with %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.APIURL() != tt.wantAPI {
				t.Errorf("API URL %s, want %s", c.APIURL(), tt.wantAPI)
			}
		})
	}
}

func TestConnect(t *testing.T) {
	srv, err := registryserver.New(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv.Handler())
	defer hs.Close()
	if _, err := (Config{URL: hs.URL}).Connect(context.Background(), nil); err != nil {
		t.Errorf("connect to a running registry: %v", err)
	}
	dead := "http://" + addrtest.Free(t)
	_, err = (Config{URL: dead}).Connect(context.Background(), nil)
	if err == nil || !strings.Contains(err.Error(), dead) || !strings.Contains(err.Error(), "devstack") {
		t.Errorf("connect to nothing: %v, want an error naming %s and the devstack", err, dead)
	}
}
