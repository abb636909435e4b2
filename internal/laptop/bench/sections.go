package bench

import (
	"fmt"
	"slices"
	"strings"
)

// The sections of a harness run, for Config.Only.
const (
	SectionGo       = "go"       // the Go benchmarks
	SectionCeiling  = "ceiling"  // bare consumer, enricher --once and streaming on 1M sales
	SectionMemory   = "memory"   // peak RSS on 1M and 3M (and, with Long, 10M) backlogs
	SectionProducer = "producer" // the producer against a bare producer
	SectionLatency  = "latency"  // send-to-visible latency
	SectionScale    = "scale"    // 1, 2 and 3 instances in one group
	SectionWindows  = "windows"  // RSS and restore time with many open windows
)

// Sections lists every section in the order a run measures them.
var Sections = []string{SectionGo, SectionCeiling, SectionMemory, SectionProducer, SectionLatency, SectionScale, SectionWindows}

// ParseSections reads a comma-separated list of section names; empty means
// every section.
func ParseSections(s string) ([]string, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	var out []string
	for _, name := range strings.Split(s, ",") {
		name = strings.TrimSpace(name)
		if !slices.Contains(Sections, name) {
			return nil, fmt.Errorf("-only %q: unknown section %q; want a comma-separated list of %s", s, name, strings.Join(Sections, ", "))
		}
		out = append(out, name)
	}
	return out, nil
}

// Want reports whether the run measures section: every section unless
// Only names some.
func (c Config) Want(section string) bool {
	return len(c.Only) == 0 || slices.Contains(c.Only, section)
}
