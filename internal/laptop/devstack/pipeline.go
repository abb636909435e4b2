package devstack

import (
	"context"
	"fmt"

	"github.com/salesstream/salesstream/internal/domain/schema"
	"github.com/salesstream/salesstream/internal/pipeline/registrar"
	"github.com/salesstream/salesstream/pkg/registry"
	"github.com/salesstream/salesstream/pkg/serde"
)

// Pipeline is a running stack ready for the pipeline's stages: the
// pipeline's schemas registered, with a registry client and a serde of it.
// The benchmark harness and the stages' tests run on it.
type Pipeline struct {
	*Stack
	Registry *registry.Client
	Serde    *serde.Serde
	// Registered is what the registration did with each schema.
	Registered []registrar.Result
}

// StartPipeline starts a stack as Start does, makes a registry client of
// it with opts and registers the pipeline's schemas through it, with the
// compatibility rules given. On an error the stack is closed again;
// otherwise the caller closes it.
func StartPipeline(ctx context.Context, cfg Config, rules registrar.Rules, opts ...registry.Option) (*Pipeline, error) {
	s, err := Start(ctx, cfg)
	if err != nil {
		return nil, err
	}
	reg, err := registry.New(s.RegistryURL(), opts...)
	if err != nil {
		s.Close()
		return nil, fmt.Errorf("registry client of the stack: %w", err)
	}
	results, err := registrar.Register(ctx, reg, schema.Artifacts(), rules)
	if err != nil {
		s.Close()
		return nil, fmt.Errorf("register the pipeline's schemas: %w", err)
	}
	return &Pipeline{Stack: s, Registry: reg, Serde: serde.New(reg), Registered: results}, nil
}
