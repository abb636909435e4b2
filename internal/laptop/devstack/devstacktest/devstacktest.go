// Package devstacktest starts the embedded stack for tests of the code
// that runs on it: the binaries' jobs (internal/app) and the stages.
package devstacktest

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/salesstream/salesstream/internal/domain/schema"
	"github.com/salesstream/salesstream/internal/laptop/devstack"
	"github.com/salesstream/salesstream/internal/pipeline/registrar"
	"github.com/salesstream/salesstream/pkg/registry"
)

// Start starts an embedded stack on free ports, in memory, closed when
// tb ends, and returns it with a quiet registry client of it. With
// register, the pipeline's schemas are registered first.
func Start(tb testing.TB, register bool) (*devstack.Stack, *registry.Client) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	quiet := slog.New(slog.DiscardHandler)
	s, err := devstack.Start(ctx, devstack.Config{KafkaAddr: "127.0.0.1:0", RegistryAddr: "127.0.0.1:0", Logger: quiet})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	reg, err := registry.New(s.RegistryURL(), registry.WithLogger(quiet))
	if err != nil {
		tb.Fatal(err)
	}
	if register {
		if _, err := registrar.Register(ctx, reg, schema.Artifacts(), registrar.Rules{}); err != nil {
			tb.Fatal(err)
		}
	}
	return s, reg
}
