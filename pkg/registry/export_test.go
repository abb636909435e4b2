package registry

import "time"

// WithClock replaces the clock of token expiry, for tests.
func WithClock(now func() time.Time) Option { return func(o *options) { o.now = now } }
