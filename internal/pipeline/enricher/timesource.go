package enricher

import "github.com/salesstream/salesstream/internal/platform/textenum"

// timeSourceNames is TimeSource's table of names, read by
// ParseTimeSource and String.
func timeSourceNames() textenum.Names[TimeSource] {
	return textenum.Names[TimeSource]{What: "time source", Type: "TimeSource", List: []string{"payment_date", "record"},
		Aliases: map[string]TimeSource{"event": PaymentDate, "record_timestamp": RecordTimestamp}}
}

// ParseTimeSource reads "payment_date" (or "event") or "record" (or
// "record_timestamp").
func ParseTimeSource(s string) (TimeSource, error) { return timeSourceNames().Parse(s) }

// String returns the time source's flag value: payment_date or record.
func (t TimeSource) String() string { return timeSourceNames().String(t) }

// MarshalText returns the time source's flag value.
func (t TimeSource) MarshalText() ([]byte, error) { return []byte(t.String()), nil }

// UnmarshalText sets the time source from text as ParseTimeSource reads
// it, or to PaymentDate with ParseTimeSource's error.
func (t *TimeSource) UnmarshalText(b []byte) (err error) {
	*t, err = ParseTimeSource(string(b))
	return err
}
