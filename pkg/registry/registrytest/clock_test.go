package registrytest

import (
	"testing"
	"time"
)

func TestClock(t *testing.T) {
	t0 := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	c := NewClock(t0)
	if got := c.Now(); !got.Equal(t0) {
		t.Fatalf("Now() = %v, want %v", got, t0)
	}
	c.Advance(90 * time.Second)
	c.Advance(time.Hour)
	if got, want := c.Now(), t0.Add(time.Hour+90*time.Second); !got.Equal(want) {
		t.Fatalf("Now() after advancing = %v, want %v", got, want)
	}
}
