package enricher

import "strconv"

// String returns the time source's flag value: payment_date or record.
func (t TimeSource) String() string {
	switch t {
	case PaymentDate:
		return "payment_date"
	case RecordTimestamp:
		return "record"
	}
	return "TimeSource(" + strconv.Itoa(int(t)) + ")"
}

// MarshalText returns the time source's flag value.
func (t TimeSource) MarshalText() ([]byte, error) { return []byte(t.String()), nil }

// UnmarshalText sets the time source from text, as ParseTimeSource reads it.
func (t *TimeSource) UnmarshalText(b []byte) error {
	v, err := ParseTimeSource(string(b))
	if err == nil {
		*t = v
	}
	return err
}
