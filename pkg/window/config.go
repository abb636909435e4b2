package window

import (
	"errors"
	"fmt"
	"iter"
	"math"
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

// Validate reports whether the configuration is usable; its errors name the
// field that is wrong and why.
func (c Config) Validate() error {
	_, err := c.spec()
	return err
}

func (c Config) spec() (spec, error) {
	var errs []error
	ms := func(field string, d time.Duration) int64 {
		if d%time.Millisecond != 0 {
			errs = append(errs, fmt.Errorf("window %s %v: must be a whole number of milliseconds", field, d))
		}
		return int64(d / time.Millisecond)
	}
	s := spec{mode: c.Mode}
	slide := c.Slide
	if slide == 0 {
		slide = c.Size
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
		errs = append(errs, fmt.Errorf("window Size %v: must be > 0, for example 10m", c.Size))
	case c.Slide < 0:
		errs = append(errs, fmt.Errorf("window Slide %v: must be > 0, or 0 for tumbling windows", c.Slide))
	case c.Slide > c.Size:
		errs = append(errs, fmt.Errorf("window Slide %v: must not exceed Size %v, or events would fall in no window", c.Slide, c.Size))
	case s.slide > 0 && (s.size+s.slide-1)/s.slide > MaxWindowsPerEvent:
		errs = append(errs, fmt.Errorf("window Slide %v: Size %v / Slide puts each event in %d windows, more than %d; use a larger Slide",
			slide, c.Size, (s.size+s.slide-1)/s.slide, MaxWindowsPerEvent))
	case c.Start < 0 || c.Start >= slide:
		errs = append(errs, fmt.Errorf("window Start %v: must be >= 0 and less than Slide %v", c.Start, slide))
	}
	if c.Delay < 0 {
		errs = append(errs, fmt.Errorf("window Delay %v: must be >= 0", c.Delay))
	}
	if c.Mode > Append {
		errs = append(errs, fmt.Errorf("window Mode %v: use Update, Complete or Append", c.Mode))
	}
	if len(errs) > 0 {
		return spec{}, errors.Join(errs...)
	}
	return s, nil
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
