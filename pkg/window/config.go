package window

import (
	"errors"
	"fmt"
	"iter"
	"math"
	"strings"
	"time"
)

// Config describes the windows, the watermark and the output mode of a Table.
type Config struct {
	Size  time.Duration // window length, > 0
	Slide time.Duration // distance between window starts; 0 means Size (tumbling); must be <= Size
	Start time.Duration // offset of window starts from the Unix epoch, 0 <= Start < Slide
	Delay time.Duration // watermark delay: how far behind the largest event time the watermark trails, >= 0
	Mode  Mode          // output mode
}

// EarliestTime and LatestTime bound the event times a Table accepts
// (about ±146 million years around 1970). Add refuses times outside them.
const (
	EarliestTime int64 = -(1 << 62)
	LatestTime   int64 = 1<<62 - 1
)

// MaxWindowsPerEvent bounds Size/Slide, the number of windows one event
// falls into; Validate rejects configurations above it.
const MaxWindowsPerEvent = 1 << 16

// spec is a validated Config in milliseconds.
type spec struct {
	size, slide, start, delay int64
	mode                      Mode
}

// Validate reports whether the configuration is usable. Its error is a
// *FieldError, or several joined with errors.Join, one for each field that
// is wrong; FieldErrors lists them.
func (c Config) Validate() error {
	_, err := c.spec()
	return err
}

func (c Config) spec() (spec, error) {
	var errs []error
	fail := func(field, reason string) { errs = append(errs, &FieldError{Field: field, Reason: reason, cfg: c}) }
	ms := func(field string, d time.Duration) int64 {
		if d%time.Millisecond != 0 {
			fail(field, "must be a whole number of milliseconds")
		}
		return int64(d / time.Millisecond)
	}
	s := spec{mode: c.Mode}
	slide, slideField := c.Slide, "Slide"
	if slide == 0 {
		slide, slideField = c.Size, "Size" // tumbling windows slide by their size
	}
	s.size = ms("Size", c.Size)
	s.slide = s.size
	if c.Slide != 0 {
		s.slide = ms("Slide", c.Slide)
	}
	s.start = ms("Start", c.Start)
	s.delay = ms("Delay", c.Delay)
	switch {
	case c.Size <= 0:
		fail("Size", "must be positive, for example 10m")
	case c.Slide < 0:
		fail("Slide", "must be positive, or 0 for tumbling windows")
	case c.Slide > c.Size:
		fail("Slide", "must not exceed {Size}, or events would fall in no window")
	case s.slide > 0 && (s.size+s.slide-1)/s.slide > MaxWindowsPerEvent:
		fail("Slide", fmt.Sprintf("puts each event in %d windows of {Size}, more than %d: make it larger",
			(s.size+s.slide-1)/s.slide, MaxWindowsPerEvent))
	case c.Start < 0 || c.Start >= slide:
		fail("Start", "must not be negative and must be less than {"+slideField+"}")
	}
	if c.Delay < 0 {
		fail("Delay", "must not be negative")
	}
	if c.Mode > Append {
		fail("Mode", "is not an output mode: use update, complete or append")
	}
	switch len(errs) {
	case 0:
		return s, nil
	case 1:
		return spec{}, errs[0]
	}
	return spec{}, errors.Join(errs...)
}

// A FieldError says which field of a Config is wrong and why.
type FieldError struct {
	// Field is the field that is wrong: Size, Slide, Start, Delay or Mode.
	Field string
	// Reason says what the field must be. It may name other fields in
	// braces, as in "must not exceed {Size}"; Error and Describe write
	// them with their values.
	Reason string
	cfg    Config
}

// Error describes the error in the Config's words, as in
// "window Slide 10m must not exceed Size 5m, or events would fall in no window".
func (e *FieldError) Error() string {
	return "window " + e.Describe(func(field string) string { return field })
}

// Describe writes the error naming each field, the wrong one and those its
// reason refers to, as name(field) followed by the field's value, so that a
// program can speak of its own settings: with name mapping Slide to
// "--slide" and Size to "--window", "--slide 10m must not exceed --window
// 5m, or events would fall in no window".
func (e *FieldError) Describe(name func(field string) string) string {
	var b strings.Builder
	b.WriteString(e.term(e.Field, name))
	b.WriteByte(' ')
	r := e.Reason
	for {
		i := strings.IndexByte(r, '{')
		j := strings.IndexByte(r, '}')
		if i < 0 || j < i {
			break
		}
		b.WriteString(r[:i])
		b.WriteString(e.term(r[i+1:j], name))
		r = r[j+1:]
	}
	b.WriteString(r)
	return b.String()
}

// term is a field's name and value.
func (e *FieldError) term(field string, name func(string) string) string {
	var v string
	switch field {
	case "Size":
		v = formatDuration(e.cfg.Size)
	case "Slide":
		v = formatDuration(e.cfg.Slide)
	case "Start":
		v = formatDuration(e.cfg.Start)
	case "Delay":
		v = formatDuration(e.cfg.Delay)
	case "Mode":
		v = e.cfg.Mode.String()
	}
	return name(field) + " " + v
}

// FieldErrors returns the FieldErrors in err, such as Validate's joined
// ones, also when err wraps them.
func FieldErrors(err error) []*FieldError {
	switch e := err.(type) {
	case *FieldError:
		return []*FieldError{e}
	case interface{ Unwrap() []error }:
		var out []*FieldError
		for _, u := range e.Unwrap() {
			out = append(out, FieldErrors(u)...)
		}
		return out
	case interface{ Unwrap() error }:
		return FieldErrors(e.Unwrap())
	}
	return nil
}

// formatDuration writes d as a person writes it: 10m rather than 10m0s.
func formatDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = s[:len(s)-2]
	}
	if strings.HasSuffix(s, "h0m") {
		s = s[:len(s)-2]
	}
	return s
}

// Windows yields, oldest first, the start and end (exclusive) of every
// window that holds an event at time ts: every [s, s+Size) with
// s = Start + k*Slide for an integer k and s <= ts < s+Size. It yields
// nothing if the Config is invalid or ts is outside [EarliestTime, LatestTime].
func (c Config) Windows(ts int64) iter.Seq2[int64, int64] {
	return func(yield func(int64, int64) bool) {
		s, err := c.spec()
		if err != nil || ts < EarliestTime || ts > LatestTime {
			return
		}
		last := s.lastStart(ts)
		for w := last - (s.count(ts, last)-1)*s.slide; w <= last; w += s.slide {
			if !yield(w, w+s.size) {
				return
			}
		}
	}
}

// lastStart is the start of the newest window holding ts.
func (s *spec) lastStart(ts int64) int64 {
	d := ts - s.start
	q := d / s.slide
	if d%s.slide < 0 {
		q--
	}
	return s.start + q*s.slide
}

// count is the number of windows holding ts whose starts are last,
// last-slide, ...: those whose end is still after ts.
func (s *spec) count(ts, last int64) int64 {
	return (last + s.size - ts + s.slide - 1) / s.slide
}

// watermarkFor is the watermark implied by the largest event time seen.
func (s *spec) watermarkFor(maxEvent int64) int64 {
	if maxEvent == math.MinInt64 {
		return math.MinInt64
	}
	return maxEvent - s.delay
}
