package producer

import (
	"syscall"
	"testing"
	"time"
)

// threadCPU returns the CPU time the calling thread has used: unlike
// ns/op, the time other processes of a shared machine take does not count
// in it (nor that of the runtime's other threads, the collector's among
// them). The caller locks its goroutine to its thread.
func threadCPU(b *testing.B) (time.Duration, bool) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_THREAD, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), true
}
