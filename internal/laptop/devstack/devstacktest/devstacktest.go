// Package devstacktest starts the embedded stack for tests of the code
// that runs on it: the binaries' jobs (internal/app) and the stages.
package devstacktest

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/salesstream/salesstream/internal/laptop/devstack"
	"github.com/salesstream/salesstream/internal/pipeline/registrar"
	"github.com/salesstream/salesstream/pkg/registry"
)

// quiet is the configuration of an in-memory stack on free ports that
// logs nothing.
func quiet() devstack.Config {
	return devstack.Config{KafkaAddr: "127.0.0.1:0", RegistryAddr: "127.0.0.1:0", Logger: slog.New(slog.DiscardHandler)}
}

// Start starts an embedded stack on free ports, in memory, closed when
// tb ends, and returns it with a quiet registry client of it. With
// register, the pipeline's schemas are registered first.
func Start(tb testing.TB, register bool) (*devstack.Stack, *registry.Client) {
	tb.Helper()
	if register {
		p := Pipeline(tb)
		return p.Stack, p.Registry
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cfg := quiet()
	s, err := devstack.Start(ctx, cfg)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	reg, err := registry.New(s.RegistryURL(), registry.WithLogger(cfg.Logger))
	if err != nil {
		tb.Fatal(err)
	}
	return s, reg
}

// Pipeline starts an embedded stack on free ports, in memory, with the
// pipeline's schemas registered (devstack.StartPipeline), quiet, and closed
// when tb ends.
func Pipeline(tb testing.TB) *devstack.Pipeline {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cfg := quiet()
	p, err := devstack.StartPipeline(ctx, cfg, registrar.Rules{}, registry.WithLogger(cfg.Logger))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { p.Close() })
	return p
}
