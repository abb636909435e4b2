package window

import (
	"fmt"
	"strings"
)

// Mode is an output mode: which rows a Trigger emits.
type Mode uint8

const (
	// Update emits, at each trigger, the rows whose aggregate took a value
	// since the previous trigger.
	Update Mode = iota
	// Complete emits every row at each trigger that had input, and never
	// drops state or input.
	Complete
	// Append emits each row once, at the trigger whose watermark closes its
	// window, and never again.
	Append
)

// ParseMode reads "update", "complete" or "append" (any case, surrounding
// space ignored).
func ParseMode(s string) (Mode, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "update":
		return Update, nil
	case "complete":
		return Complete, nil
	case "append":
		return Append, nil
	}
	return 0, fmt.Errorf("unknown output mode %q: use update, complete or append", s)
}

// String returns the mode's name as ParseMode reads it.
func (m Mode) String() string {
	switch m {
	case Update:
		return "update"
	case Complete:
		return "complete"
	case Append:
		return "append"
	}
	return fmt.Sprintf("Mode(%d)", uint8(m))
}

// MarshalText returns the mode's name, so a Mode works with flag.TextVar
// and encoding/json.
func (m Mode) MarshalText() ([]byte, error) {
	if m > Append {
		return nil, fmt.Errorf("marshal output mode: %d is not a mode", uint8(m))
	}
	return []byte(m.String()), nil
}

// UnmarshalText sets the mode from its name, as ParseMode reads it.
func (m *Mode) UnmarshalText(b []byte) error {
	v, err := ParseMode(string(b))
	if err != nil {
		return err
	}
	*m = v
	return nil
}
