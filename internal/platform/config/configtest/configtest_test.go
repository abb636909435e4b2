package configtest

import (
	"errors"
	"runtime"
	"testing"

	"github.com/salesstream/salesstream/internal/platform/config"
)

// TestValidate: the check passes on accepted settings and on refused ones
// whose error says what was wanted, and fails the test otherwise.
func TestValidate(t *testing.T) {
	declare := func(s *config.Set) *int {
		var n int
		s.Int(&n, "n", 1, "a count")
		s.Check(func() error {
			if n < 1 {
				return errors.New("--n must be at least 1")
			}
			return nil
		})
		return &n
	}
	for _, tc := range []struct {
		name   string
		args   []string
		want   string
		failed bool
	}{
		{"accepted", nil, "", false},
		{"refused as wanted", []string{"--n", "0"}, "at least 1", false},
		{"refused, not wanted", []string{"--n", "0"}, "", true},
		{"accepted, refusal wanted", []string{"--n", "2"}, "at least 1", true},
		{"refused otherwise", []string{"--n", "0"}, "at most", true},
		{"bad flag", []string{"--m"}, "", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ft := &fakeT{TB: t}
			done := make(chan struct{})
			go func() { // Fatal ends the goroutine it is called on
				defer close(done)
				Validate(ft, "t", declare, tc.args, tc.want)
			}()
			<-done
			if ft.failed != tc.failed {
				t.Errorf("failed %v, want %v", ft.failed, tc.failed)
			}
		})
	}
}

// fakeT records a failure instead of failing the test.
type fakeT struct {
	testing.TB
	failed bool
}

func (f *fakeT) Helper()               {}
func (f *fakeT) Fatal(...any)          { f.failed = true; runtime.Goexit() }
func (f *fakeT) Fatalf(string, ...any) { f.failed = true; runtime.Goexit() }
