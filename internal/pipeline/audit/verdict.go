package audit

import (
	"fmt"
	"io"
	"maps"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/salesstream/salesstream/internal/domain/money"
)

// Verdict is an audit's outcome.
type Verdict struct {
	Mode      string // the enricher's output mode
	LateTopic string // empty when the enricher keeps no late records
	// CaughtUp says the enricher had committed every sale and windowed
	// every sale it forwarded; otherwise the audit took a consistent cut
	// at its committed offsets. Waited is how long the audit was allowed
	// to wait for that, Attempts how many cuts it took.
	CaughtUp bool
	Waited   time.Duration
	Attempts int
	// NotRead counts the sales past the group's committed offsets.
	NotRead int64
	// Began holds, per sales partition, where a group started at the
	// latest sales began reading (nil: at the topic's start); the sales
	// before are not the enricher's and are not audited.
	Began  map[int32]int64
	Counts Counts
	// Checked counts the windows compared; Pending, in append mode, the
	// windows that hold sales but that the watermark has not closed.
	Checked, Pending int
	Differences      []Difference
	// Problems are sales the enricher's outputs do not account for
	// exactly once (the first 100), ProblemCount all of them.
	Problems     []string
	ProblemCount int
}

// OK reports whether the summary equals the batch computation and every
// sale is accounted for.
func (v *Verdict) OK() bool { return len(v.Differences) == 0 && v.ProblemCount == 0 }

// Line is the one-line verdict.
func (v *Verdict) Line() string {
	c := v.Counts
	word := "EQUAL"
	if !v.OK() {
		word = fmt.Sprintf("NOT EQUAL (%d differences, %d problems)", len(v.Differences), v.ProblemCount)
	}
	return fmt.Sprintf("audit: %s: %d windows checked; %d sales: %d aggregated (%d of them partly late), %d late, %d dead-lettered, %d not yet windowed, %d unaccounted",
		word, v.Checked, c.Sales, c.Aggregated, c.PartlyLate, c.Late, c.Dead, c.InFlight, c.Unaccounted)
}

// Write prints the verdict: how the cut was taken, every difference, the
// problems, and the verdict line last.
func (v *Verdict) Write(w io.Writer) error {
	switch {
	case v.CaughtUp:
		fmt.Fprintf(w, "cut: the enricher had caught up (every sale read committed, every forwarded sale windowed)\n")
	case v.Waited > 0:
		fmt.Fprintf(w, "cut: the enricher did not catch up within --audit-wait %v; audited a consistent cut at its committed offsets (%d sales past them, %d forwarded but not yet windowed)\n",
			v.Waited, v.NotRead, v.Counts.InFlight)
	default:
		fmt.Fprintf(w, "cut: a consistent cut at the group's committed offsets, the enricher running (%d sales past them, %d forwarded but not yet windowed; try %d)\n",
			v.NotRead, v.Counts.InFlight, v.Attempts)
	}
	if len(v.Began) > 0 {
		fmt.Fprintf(w, "start: the group began at the latest sales (--starting-offsets latest), at offsets %v; the sales before are not audited\n", fmtOffsets(v.Began))
	}
	fmt.Fprintf(w, "mode: %s", v.Mode)
	if v.Mode == "append" {
		fmt.Fprintf(w, " (windows the watermark has closed; %d windows still open not checked)", v.Pending)
	}
	fmt.Fprintln(w)
	if v.LateTopic == "" && v.Mode != "complete" {
		fmt.Fprintln(w, "note: the enricher keeps no late records (no --late-topic): a late sale shows here as a difference; run it with --late-topic to audit late data")
	}
	for _, d := range v.Differences {
		fmt.Fprintln(w, d)
	}
	for _, p := range v.Problems {
		fmt.Fprintln(w, "unaccounted:", p)
	}
	if v.ProblemCount > len(v.Problems) {
		fmt.Fprintf(w, "... %d problems in all\n", v.ProblemCount)
	}
	_, err := fmt.Fprintln(w, v.Line())
	return err
}

// fmtOffsets prints offsets by partition, in partition order.
func fmtOffsets(o map[int32]int64) string {
	var b strings.Builder
	for i, p := range slices.Sorted(maps.Keys(o)) {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%d:%d", p, o[p])
	}
	return b.String()
}

func fmtMillis(ms int64) string {
	if ms == math.MinInt64 {
		return "none"
	}
	return time.UnixMilli(ms).UTC().Format(time.RFC3339)
}

func fmtCents(c int64) string { return money.Cents(c).String() }
