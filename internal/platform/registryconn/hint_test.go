package registryconn

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/salesstream/salesstream/internal/platform/addrtest"
	"github.com/salesstream/salesstream/pkg/registry"
	"github.com/salesstream/salesstream/pkg/registry/registrytest"
)

// TestHint: the binaries add to the registry client's errors what their
// users can do, once, and leave other errors as they are.
func TestHint(t *testing.T) {
	ctx := context.Background()
	s := registrytest.New(t)
	quiet := slog.New(slog.DiscardHandler)
	c, err := registry.New(s.URL, registry.WithLogger(quiet), registry.WithGroup("team-a"), registry.WithRetries(0, time.Millisecond, time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	_, notFound := c.Latest(ctx, "x")

	dead := "http://" + addrtest.Free(t)
	d, err := registry.New(dead, registry.WithLogger(quiet), registry.WithRetries(0, time.Millisecond, time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	_, _, unreachable := d.SystemInfo(ctx)

	s.Inject(registrytest.Fault{Delay: time.Minute, PathContains: "/system/info"})
	slow, err := registry.New(s.URL, registry.WithLogger(quiet), registry.WithTimeout(50*time.Millisecond), registry.WithRetries(0, time.Millisecond, time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	_, _, timeout := slow.SystemInfo(ctx)

	other := errors.New("boom")
	tests := []struct {
		name  string
		err   error
		want  string
		is    error
		hints int
	}{
		{"not found", notFound, "artifact x not found in group team-a of registry " + s.URL + `: register the schemas first with "go run ./cmd/schemas"`, registry.ErrNotFound, 1},
		{"not found, wrapped and hinted again", Hint(fmt.Errorf("read schema x: %w", Hint(notFound))),
			"read schema x: artifact x not found in group team-a of registry " + s.URL + `: register the schemas first with "go run ./cmd/schemas"`, registry.ErrNotFound, 1},
		{"unreachable", unreachable, "registry at " + dead + " is unreachable (", registry.ErrUnavailable, 1},
		{"timeout", timeout, "did not answer GET " + s.URL + "/apis/registry/v3/system/info in time", registry.ErrUnavailable, 0},
		{"other", other, "boom", other, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Hint(tt.err)
			if !errors.Is(got, tt.is) || !strings.Contains(got.Error(), tt.want) {
				t.Fatalf("Hint = %q, want it to contain %q and match %v", got, tt.want, tt.is)
			}
			if n := strings.Count(got.Error(), "go run"); n != tt.hints {
				t.Errorf("Hint = %q: %d hints", got, n)
			}
			if tt.name == "unreachable" && !strings.HasSuffix(got.Error(), ": "+UnreachableHint) {
				t.Errorf("Hint = %q, want it to end with %q", got, UnreachableHint)
			}
		})
	}
	if Hint(nil) != nil {
		t.Error("Hint(nil) is not nil")
	}
}
