package serde

import "time"

// WithClock replaces the clock of the negative cache, for tests.
func WithClock(now func() time.Time) Option { return func(o *options) { o.now = now } }
