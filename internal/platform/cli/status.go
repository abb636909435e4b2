package cli

import (
	"io"
	"sync"
)

// StatusLine is a terminal's last line kept for a progress report: the
// binary's log lines go through it, so a log line clears the status line,
// prints on a line of its own, and the status line is drawn again below
// it. Without a status set, writes pass through unchanged.
type StatusLine struct {
	mu     sync.Mutex
	w      io.Writer
	status string
}

// NewStatusLine returns a StatusLine writing to w, a terminal.
func NewStatusLine(w io.Writer) *StatusLine { return &StatusLine{w: w} }

// clear erases the current line and returns the cursor to its start.
const clear = "\r\033[K"

// Write writes p, a log line, above the status line.
func (s *StatusLine) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.status == "" {
		return s.w.Write(p)
	}
	if _, err := io.WriteString(s.w, clear); err != nil {
		return 0, err
	}
	n, err := s.w.Write(p)
	if err != nil {
		return n, err
	}
	_, err = io.WriteString(s.w, s.status)
	return n, err
}

// Set draws line as the status line, in place of the previous one.
func (s *StatusLine) Set(line string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.status = line
	io.WriteString(s.w, clear+line)
}

// Done ends the status line, leaving it on screen, so that later output
// starts on a line of its own.
func (s *StatusLine) Done() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.status != "" {
		io.WriteString(s.w, "\n")
	}
	s.status = ""
}
