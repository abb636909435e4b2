package bench

import (
	"fmt"
	"slices"
	"strings"
)

// Sections are the parts of a harness run, by the names -only takes: the
// Go benchmarks, the backlogs (with the bare-consumer ceilings on the
// first), the producer against the bare producer, latency, instances in
// one group, and open windows.
var Sections = []string{"go", "backlog", "producer", "latency", "scale", "windows"}

// ParseSections reads a comma list of section names; empty means all.
func ParseSections(s string) ([]string, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	var out []string
	for _, name := range strings.Split(s, ",") {
		name = strings.TrimSpace(name)
		if !slices.Contains(Sections, name) {
			return nil, fmt.Errorf("-only %q: unknown section %q; the sections are %s", s, name, strings.Join(Sections, ", "))
		}
		if !slices.Contains(out, name) {
			out = append(out, name)
		}
	}
	return out, nil
}

// runs reports whether cfg runs section name.
func (cfg Config) runs(name string) bool {
	return len(cfg.Only) == 0 || slices.Contains(cfg.Only, name)
}
