// Command schemas registers the pipeline's six Avro schemas in Apicurio
// Registry, idempotently: an unchanged schema makes no new version.
//
//	schemas [--registry-url URL] [--validity FULL] [--compatibility BACKWARD]
package main

import (
	"context"

	"github.com/salesstream/salesstream/internal/domain/schema"
	"github.com/salesstream/salesstream/internal/pipeline/registrar"
	"github.com/salesstream/salesstream/internal/platform/cli"
	"github.com/salesstream/salesstream/internal/platform/config"
	"github.com/salesstream/salesstream/internal/platform/registryconn"
)

func main() { cli.Main("schemas", declare) }

func declare(set *config.Set) cli.Job {
	var (
		rc    registryconn.Config
		rules registrar.Rules
	)
	rc.Register(set)
	set.String(&rules.Validity, "validity", "FULL", "VALIDITY rule of every artifact: FULL, SYNTAX_ONLY, NONE, or empty to leave it", config.Env("SCHEMAS_VALIDITY"))
	set.String(&rules.Compatibility, "compatibility", "BACKWARD", "COMPATIBILITY rule of every artifact: BACKWARD, FORWARD, FULL (and _TRANSITIVE), NONE, or empty to leave it", config.Env("SCHEMAS_COMPATIBILITY"))
	return func(ctx context.Context, rt cli.Runtime) error {
		reg, err := rc.Connect(ctx, rt.Log)
		if err != nil {
			return err
		}
		results, err := registrar.Register(ctx, reg, schema.Artifacts(), rules)
		if perr := registrar.Print(rt.Stdout, results); perr != nil && err == nil {
			err = perr
		}
		return err
	}
}
