// Package addrtest gives tests loopback TCP addresses: one nothing listens
// on, to see how a client fails to connect, and one held busy, to see how
// a server fails to listen. The connection packages' tests, the devstack's
// and the registry client's import it.
package addrtest

import (
	"net"
	"testing"
)

// Free returns a loopback address ("127.0.0.1:port") that nothing listens
// on: a listener took the port and let it go.
func Free(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen on a loopback port: %v", err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

// Busy returns a loopback address held by a listener until t ends.
func Busy(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen on a loopback port: %v", err)
	}
	t.Cleanup(func() { l.Close() })
	return l.Addr().String()
}
