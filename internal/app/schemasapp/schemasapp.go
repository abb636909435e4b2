// Package schemasapp wires the schemas binary (cmd/schemas): its settings and the
// clients, serdes and topics it builds around its stage.
package schemasapp

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/salesstream/salesstream/internal/app"
	"github.com/salesstream/salesstream/internal/domain/schema"
	"github.com/salesstream/salesstream/internal/pipeline/registrar"
	"github.com/salesstream/salesstream/internal/platform/cli"
	"github.com/salesstream/salesstream/internal/platform/config"
	"github.com/salesstream/salesstream/internal/platform/registryconn"
)

// Declare declares the schemas binary's settings in set and returns its job.
func Declare(set *config.Set) cli.Job {
	var (
		rc             registryconn.Config
		rules          = registrar.DefaultRules()
		sales, summary string
	)
	app.DeclareSalesTopic(set, &sales)
	app.DeclareSummaryTopic(set, &summary)
	rc.Register(set)
	set.String(&rules.Validity, "validity", rules.Validity, "VALIDITY rule of every artifact: FULL, SYNTAX_ONLY, NONE, or empty to leave it", config.Env("SCHEMAS_VALIDITY"))
	set.String(&rules.Compatibility, "compatibility", rules.Compatibility, "COMPATIBILITY rule of every artifact: BACKWARD, FORWARD, FULL (and _TRANSITIVE), NONE, or empty to leave it", config.Env("SCHEMAS_COMPATIBILITY"))
	set.Check(func() error { return checkRule("--validity", rules.Validity, registrar.ValidityConfigs()) })
	set.Check(func() error {
		return checkRule("--compatibility", rules.Compatibility, registrar.CompatibilityConfigs())
	})
	return func(ctx context.Context, rt cli.Runtime) error {
		reg, err := rc.Connect(ctx, rt.Log)
		if err != nil {
			return err
		}
		results, err := registrar.Register(ctx, reg, schema.ArtifactsFor(sales, summary), rules)
		if perr := registrar.Print(rt.Stdout, results); perr != nil && err == nil {
			err = perr
		}
		return err
	}
}

// checkRule refuses a rule config the registry does not know before any
// artifact is registered (a refused rule would stop the run half done).
func checkRule(flag, config string, known []string) error {
	if config == "" || slices.Contains(known, config) {
		return nil
	}
	return fmt.Errorf("%s %q: want one of %s, or empty to leave the rule as it is", flag, config, strings.Join(known, ", "))
}
