package e2e

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"
)

// auditLine is the counts of reader --audit's verdict line.
type auditLine struct {
	Equal                                                        bool
	Windows, Sales, Aggregated, PartlyLate, Late, Dead, InFlight int64
	Unaccounted                                                  int64
}

var auditRe = regexp.MustCompile(`(?m)^audit: (EQUAL|NOT EQUAL[^:]*): (\d+) windows checked; (\d+) sales: (\d+) aggregated \((\d+) of them partly late\), (\d+) late, (\d+) dead-lettered, (\d+) not yet windowed, (\d+) unaccounted$`)

// parseAudit reads the verdict line of reader --audit's output.
func parseAudit(t *testing.T, out string) auditLine {
	t.Helper()
	m := auditRe.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no verdict line in the audit's output:\n%s", out)
	}
	var n [8]int64
	for i := range n {
		fmt.Sscan(m[i+2], &n[i])
	}
	return auditLine{Equal: m[1] == "EQUAL", Windows: n[0], Sales: n[1], Aggregated: n[2], PartlyLate: n[3],
		Late: n[4], Dead: n[5], InFlight: n[6], Unaccounted: n[7]}
}

// runAudit runs reader --audit and returns its exit code, output and counts.
func runAudit(t *testing.T, s endpoints, args ...string) (result, auditLine) {
	t.Helper()
	r := runBin(t, s, 3*time.Minute, "reader", append([]string{"--audit"}, args...)...)
	if r.code == 2 {
		return r, auditLine{}
	}
	return r, parseAudit(t, r.stdout)
}

// mustAudit runs reader --audit and fails the test unless it finds the
// summary equal to the input (exit 0).
func mustAudit(t *testing.T, s endpoints, args ...string) auditLine {
	t.Helper()
	r, v := runAudit(t, s, args...)
	if r.code != 0 || !v.Equal {
		t.Fatalf("reader --audit %v exited %d\nstdout:\n%s\nstderr:\n%s", args, r.code, r.stdout, r.stderr)
	}
	if v.Unaccounted != 0 || v.Aggregated+v.Late+v.Dead+v.InFlight != v.Sales {
		t.Errorf("audit's counts do not add up: %+v", v)
	}
	t.Logf("%s", strings.TrimSpace(r.stdout))
	return v
}
