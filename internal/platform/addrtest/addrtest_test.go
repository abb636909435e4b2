package addrtest

import (
	"net"
	"testing"
	"time"
)

func TestFreeRefusesConnections(t *testing.T) {
	addr := Free(t)
	if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		c.Close()
		t.Fatalf("dial %s connected, want nothing listening", addr)
	}
}

func TestBusyCannotBeListenedOn(t *testing.T) {
	addr := Busy(t)
	if l, err := net.Listen("tcp", addr); err == nil {
		l.Close()
		t.Fatalf("listen on %s succeeded, want it held", addr)
	}
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		t.Fatalf("dial the busy address %s: %v", addr, err)
	}
	c.Close()
}
