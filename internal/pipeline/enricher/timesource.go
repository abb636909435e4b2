package enricher

import "strconv"

// String returns the time source's flag value: payment_date or record.
func (t TimeSource) String() string {
	if t == PaymentDate || t == RecordTimestamp {
		return [...]string{"payment_date", "record"}[t]
	}
	return "TimeSource(" + strconv.Itoa(int(t)) + ")"
}

// MarshalText returns the time source's flag value.
func (t TimeSource) MarshalText() ([]byte, error) { return []byte(t.String()), nil }

// UnmarshalText sets the time source from text as ParseTimeSource reads
// it, or to PaymentDate with ParseTimeSource's error.
func (t *TimeSource) UnmarshalText(b []byte) (err error) {
	*t, err = ParseTimeSource(string(b))
	return err
}
