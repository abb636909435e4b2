package cli

import (
	"strings"
	"testing"
)

// TestStatusLine: a log line written while a status shows clears it,
// takes a line of its own, and the status is drawn again after it.
func TestStatusLine(t *testing.T) {
	tests := []struct {
		name string
		run  func(s *StatusLine)
		want string
	}{
		{"no status: pass through", func(s *StatusLine) { s.Write([]byte("log\n")) }, "log\n"},
		{"log under a status", func(s *StatusLine) {
			s.Set("sent 1 of 2")
			s.Write([]byte("level=WARN msg=x\n"))
			s.Set("sent 2 of 2")
			s.Done()
			s.Write([]byte("after\n"))
		}, clear + "sent 1 of 2" + clear + "level=WARN msg=x\n" + "sent 1 of 2" + clear + "sent 2 of 2\nafter\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b strings.Builder
			s := NewStatusLine(&b)
			tt.run(s)
			if b.String() != tt.want {
				t.Errorf("wrote %q, want %q", b.String(), tt.want)
			}
		})
	}
}
