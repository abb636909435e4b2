package audit

import (
	"cmp"
	"fmt"
	"slices"
)

// Spec is the enricher's window settings, in Unix milliseconds.
type Spec struct {
	Size, Slide, Start int64
	// Append is true in append mode, where the summary holds only the
	// windows the watermark has closed.
	Append bool
}

// starts returns the start of every window holding ts, oldest first: every
// s = Start + k*Slide (k any integer) with s <= ts < s+Size.
func (s Spec) starts(ts int64) []int64 {
	d := ts - s.Start
	k := d / s.Slide
	if d%s.Slide < 0 {
		k-- // floor, for times before the epoch
	}
	var out []int64
	for st := s.Start + k*s.Slide; st+s.Size > ts; st -= s.Slide {
		out = append(out, st)
	}
	slices.Reverse(out)
	return out
}

// Key is one (region, window) row of the summary table.
type Key struct {
	Region string
	Start  int64 // window start, Unix ms
}

// String returns region@start, the start in RFC 3339 UTC.
func (k Key) String() string { return fmt.Sprintf("%s@%s", k.Region, fmtMillis(k.Start)) }

// Agg is a row's aggregates: exact cents and the count of sales.
type Agg struct {
	Cents, Orders int64
}

// String returns the aggregates as the verdict prints them.
func (a Agg) String() string { return fmt.Sprintf("sales %s orders %d", fmtCents(a.Cents), a.Orders) }

// What the enricher's outputs say of one sale, by its offset in the sales
// topic. A sale reaches exactly one of forwarded (windowed or in flight)
// and dead-lettered, and, if windowed, may be on the late topic.
const (
	fWindowed uint8 = 1 << iota // forwarded, below the group's committed repartition offset
	fInFlight                   // forwarded, not windowed yet
	fDead                       // dead-lettered by stage 1
	fLate                       // on the late topic
	fTwice                      // reached an output twice
	fRead                       // the sale itself was read from the sales topic
)

// Sale is one record of the sales topic as the audit decoded it, with
// what the enricher's outputs say of it.
type Sale struct {
	Partition int32
	Offset    int64
	// Err is why the record is not a valid sale (nil if it is one).
	Err    error
	Region string
	Time   int64 // the time it is windowed on, Unix ms
	Cents  int64
	// Fate holds the f* flags; LateWatermark and LateWindows are the
	// headers of its late record, if any.
	Fate          uint8
	LateWatermark int64
	LateWindows   int64
}

func (s Sale) where() string {
	return fmt.Sprintf("sale at partition %d offset %d", s.Partition, s.Offset)
}

// Counts are the conservation counts: every sale read is in exactly one of
// Aggregated, Late, Dead, InFlight, or, if the enricher's outputs
// contradict the audit, Unaccounted.
type Counts struct {
	Sales       int64 // read from the sales topic up to the committed offsets
	Aggregated  int64 // in at least one window
	PartlyLate  int64 // of which dropped from some of their windows
	Late        int64 // dropped from all their windows
	Dead        int64 // dead-lettered
	InFlight    int64 // forwarded, not yet windowed
	Unaccounted int64 // none of these, or more than one
}

// maxProblems bounds the problems kept for printing; all are counted.
const maxProblems = 100

// Batch is the audit's batch computation: the summary rows the sales
// must produce, and the conservation counts.
type Batch struct {
	spec     Spec
	rows     map[Key]Agg
	counts   Counts
	problems []string
	nProblem int
}

// NewBatch returns an empty computation for the window settings spec.
func NewBatch(spec Spec) *Batch { return &Batch{spec: spec, rows: map[Key]Agg{}} }

func (b *Batch) problem(format string, args ...any) {
	b.nProblem++
	if len(b.problems) < maxProblems {
		b.problems = append(b.problems, fmt.Sprintf(format, args...))
	}
}

// Add files one sale: it counts it by what the enricher did with it,
// checks that against what the sale is, and adds it to its windows if it
// was windowed, minus those its late record says had closed (the windows
// ending at or before the watermark in force).
func (b *Batch) Add(s Sale) {
	b.counts.Sales++
	if s.Fate&fTwice != 0 {
		b.problem("%s reached the enricher's outputs more than once (forwarded, dead-lettered or late twice)", s.where())
	}
	forwarded := s.Fate&(fWindowed|fInFlight) != 0
	switch {
	case s.Err != nil && s.Fate&fDead != 0 && !forwarded:
		b.counts.Dead++
	case s.Err != nil && forwarded:
		b.counts.Unaccounted++
		b.problem("%s was forwarded to the windows, but it is not a valid sale: %v", s.where(), s.Err)
	case s.Err != nil:
		b.counts.Unaccounted++
		b.problem("%s is not a valid sale (%v) and is not on the dead-letter topic", s.where(), s.Err)
	case s.Fate&fDead != 0:
		b.counts.Unaccounted++
		b.problem("%s is a valid sale but was dead-lettered", s.where())
	case s.Fate&fWindowed != 0:
		b.windowed(s)
	case s.Fate&fInFlight != 0 && s.Fate&fLate == 0:
		b.counts.InFlight++
	case s.Fate&fInFlight != 0:
		b.counts.Unaccounted++
		b.problem("%s is on the late topic but was not windowed yet", s.where())
	default:
		b.counts.Unaccounted++
		b.problem("%s was neither forwarded to the windows nor dead-lettered", s.where())
	}
}

// windowed adds a windowed sale to its windows that were open.
func (b *Batch) windowed(s Sale) {
	starts := b.spec.starts(s.Time)
	kept := starts
	if s.Fate&fLate != 0 {
		kept = nil
		for _, st := range starts {
			if st+b.spec.Size > s.LateWatermark {
				kept = append(kept, st)
			}
		}
		if dropped := int64(len(starts) - len(kept)); dropped != s.LateWindows {
			b.problem("%s: its late record says %d windows had closed, but watermark %s closes %d of its %d windows",
				s.where(), s.LateWindows, fmtMillis(s.LateWatermark), dropped, len(starts))
		}
	}
	switch {
	case len(kept) == 0:
		b.counts.Late++
		return
	case len(kept) < len(starts):
		b.counts.PartlyLate++
	}
	b.counts.Aggregated++
	for _, st := range kept {
		k := Key{s.Region, st}
		a := b.rows[k]
		a.Cents += s.Cents
		a.Orders++
		b.rows[k] = a
	}
}

// Found is one summary row as read from the summary topic.
type Found struct {
	Agg
	End int64 // window end, Unix ms
	// Bad says why the row is malformed (its value names another region
	// or window than its key), empty if it is not.
	Bad string
}

// Difference is one (region, window) where the summary table is not what
// the input makes it.
type Difference struct {
	Key  Key
	Kind string // "differs", "missing", "extra" or "malformed"
	// Expected is the batch computation's row, Found the summary's
	// latest (zero when absent).
	Expected, Found Agg
	Detail          string
}

// String returns the difference as the verdict prints it: its kind,
// key, and expected and found rows.
func (d Difference) String() string {
	switch d.Kind {
	case "missing":
		return fmt.Sprintf("missing  %s: expected %s, found no row", d.Key, d.Expected)
	case "extra":
		return fmt.Sprintf("extra    %s: expected no row, found %s%s", d.Key, d.Found, d.Detail)
	case "malformed":
		return fmt.Sprintf("malformed %s: %s", d.Key, d.Detail)
	}
	return fmt.Sprintf("differs  %s: expected %s, found %s", d.Key, d.Expected, d.Found)
}

// Compare checks found, the latest summary row of every (region, window),
// against the batch's rows. closed reports whether a window is due in the
// summary (in append mode, whether the watermark has closed it; always,
// otherwise). It returns the differences ordered by key, and how many
// windows it checked and how many it left for later (expected but not
// yet due).
func (b *Batch) Compare(found map[Key]Found, closed func(Key) bool) (diffs []Difference, checked, pending int) {
	for k, want := range b.rows {
		if !closed(k) {
			if _, ok := found[k]; !ok {
				pending++
				continue
			}
		}
		checked++
		got, ok := found[k]
		switch {
		case !ok:
			diffs = append(diffs, Difference{Key: k, Kind: "missing", Expected: want})
		case !closed(k):
			diffs = append(diffs, Difference{Key: k, Kind: "extra", Expected: want, Found: got.Agg,
				Detail: " (written before the watermark closed its window, in append mode)"})
		case got.Bad != "":
			diffs = append(diffs, Difference{Key: k, Kind: "malformed", Expected: want, Found: got.Agg, Detail: got.Bad})
		case got.End != k.Start+b.spec.Size:
			diffs = append(diffs, Difference{Key: k, Kind: "malformed", Expected: want, Found: got.Agg,
				Detail: fmt.Sprintf("window end %s, want %s", fmtMillis(got.End), fmtMillis(k.Start+b.spec.Size))})
		case got.Agg != want:
			diffs = append(diffs, Difference{Key: k, Kind: "differs", Expected: want, Found: got.Agg})
		}
	}
	for k, got := range found {
		if _, ok := b.rows[k]; !ok {
			checked++
			diffs = append(diffs, Difference{Key: k, Kind: "extra", Found: got.Agg})
		}
	}
	slices.SortFunc(diffs, func(a, b Difference) int {
		if c := cmp.Compare(a.Key.Start, b.Key.Start); c != 0 {
			return c
		}
		return cmp.Compare(a.Key.Region, b.Key.Region)
	})
	return diffs, checked, pending
}

// Counts returns the conservation counts so far.
func (b *Batch) Counts() Counts { return b.counts }

// Problems returns the first problems found (at most 100) and how many
// there were: sales the enricher's outputs do not account for exactly once.
func (b *Batch) Problems() ([]string, int) { return b.problems, b.nProblem }
