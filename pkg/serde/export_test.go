package serde

import "time"

// WithClock replaces the clock of the negative cache, for tests.
func WithClock(now func() time.Time) Option { return func(o *options) { o.now = now } }

// Cached returns how many schema ids s holds, found or remembered as
// failed, for tests.
func (s *Serde) Cached() int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return len(s.cache)
}
