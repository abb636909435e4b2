// Package registrar registers the pipeline's schemas in the registry: the
// one-off job of cmd/schemas, also run by the demo and the end-to-end tests;
// and Header, which reads back the header a registered CSV schema describes.
//
// Registration is idempotent: an artifact whose latest content equals the
// schema is left alone, changed content becomes a new version, and rules
// are created or updated to the requested configuration.
package registrar

import (
	"context"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/salesstream/salesstream/internal/domain/schema"
	"github.com/salesstream/salesstream/internal/platform/registryconn"
	"github.com/salesstream/salesstream/pkg/registry"
)

// Rules are the artifact rules to set on every artifact. An empty config
// leaves that rule as it is.
type Rules struct {
	// Validity is FULL, SYNTAX_ONLY or NONE.
	Validity string
	// Compatibility is BACKWARD, BACKWARD_TRANSITIVE, FORWARD,
	// FORWARD_TRANSITIVE, FULL, FULL_TRANSITIVE or NONE.
	Compatibility string
}

// ValidityConfigs returns the configs of the VALIDITY rule, as the
// registry names them.
func ValidityConfigs() []string { return []string{"FULL", "SYNTAX_ONLY", "NONE"} }

// CompatibilityConfigs returns the configs of the COMPATIBILITY rule, as
// the registry names them.
func CompatibilityConfigs() []string {
	return []string{"BACKWARD", "BACKWARD_TRANSITIVE", "FORWARD", "FORWARD_TRANSITIVE", "FULL", "FULL_TRANSITIVE", "NONE"}
}

// DefaultRules are the rules the schemas job sets unless told otherwise:
// full validity and backward compatibility, so a consumer can read every
// message written before a new version.
func DefaultRules() Rules { return Rules{Validity: "FULL", Compatibility: "BACKWARD"} }

// Result is what registration did to one artifact.
type Result struct {
	Meta    registry.VersionMeta
	Outcome registry.Outcome
}

// Register registers arts in order, then sets rules on each. It stops at
// the first failure, returning the results so far.
func Register(ctx context.Context, c *registry.Client, arts []schema.Artifact, rules Rules) ([]Result, error) {
	var out []Result
	for _, a := range arts {
		meta, outcome, err := c.Register(ctx, a.ID, "AVRO", a.Content)
		if err != nil {
			return out, fmt.Errorf("register %s: %w", a.ID, err)
		}
		for rule, cfg := range map[registry.RuleType]string{registry.RuleValidity: rules.Validity, registry.RuleCompatibility: rules.Compatibility} {
			if cfg == "" {
				continue
			}
			if err := c.SetRule(ctx, a.ID, rule, cfg); err != nil {
				return out, fmt.Errorf("set %s rule of %s to %s: %w", rule, a.ID, cfg, err)
			}
		}
		out = append(out, Result{Meta: meta, Outcome: outcome})
	}
	return out, nil
}

// Print writes one line per result: artifact, version, ids and outcome.
func Print(w io.Writer, results []Result) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ARTIFACT\tVERSION\tGLOBAL ID\tCONTENT ID\tOUTCOME")
	for _, r := range results {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%s\n", r.Meta.ArtifactID, r.Meta.Version, r.Meta.GlobalID, r.Meta.ContentID, r.Outcome)
	}
	return tw.Flush()
}

// Header returns the field names of the latest registered version of a
// CSV artifact (SalesCSV, RegionsCSV): the header its files must have.
func Header(ctx context.Context, reg *registry.Client, artifactID string) ([]string, error) {
	content, err := reg.Content(ctx, artifactID, "latest")
	if err != nil {
		return nil, fmt.Errorf("read schema %s: %w", artifactID, registryconn.Hint(err))
	}
	s, err := schema.ParseContent(content)
	if err != nil {
		return nil, fmt.Errorf("registered schema %s: %w", artifactID, err)
	}
	return schema.FieldNames(s)
}
