package enricher

import "github.com/salesstream/salesstream/pkg/serde"

// retryable reports whether a decode error is an outage to wait out rather
// than a defect of the message.
func retryable(err error) bool { return serde.IsRetryable(err) }
