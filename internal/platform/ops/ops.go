// Package ops serves a binary's operational endpoints: Prometheus metrics
// at /metrics, liveness at /healthz and readiness at /readyz. A binary
// registers its metrics in the server's own registry (no global state),
// adds pages of its own with Handle (the enricher's dashboard and
// progress), marks itself ready when it is, and the server stops with its
// context.
package ops

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/salesstream/salesstream/internal/platform/config"
)

// Config says where the endpoints listen.
type Config struct {
	// Addr is host:port; empty serves nothing.
	Addr string
}

// Register declares --http-addr in s.
func (c *Config) Register(s *config.Set) {
	s.String(&c.Addr, "http-addr", "", "serve /metrics (Prometheus), /healthz and /readyz on this host:port, such as :9464 (empty: off); the enricher adds its dashboard at / and /progress",
		config.Env("HTTP_ADDR"))
}

// Server serves the endpoints.
type Server struct {
	reg   *prometheus.Registry
	mux   *http.ServeMux
	ready atomic.Pointer[func() bool]
	addr  string
}

// New returns a server with a registry holding the Go runtime and process
// collectors.
func New() *Server {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	s := &Server{reg: reg, mux: http.NewServeMux()}
	s.mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg}))
	s.mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Write([]byte("ok\n"))
	})
	s.mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, _ *http.Request) {
		if fn := s.ready.Load(); fn == nil || !(*fn)() {
			http.Error(w, "not ready", http.StatusServiceUnavailable)
			return
		}
		w.Write([]byte("ready\n"))
	})
	return s
}

// Handle serves pattern (a net/http.ServeMux pattern) with h beside the
// endpoints; it may be called while the server runs.
func (s *Server) Handle(pattern string, h http.Handler) { s.mux.Handle(pattern, h) }

// Registry is where the binary registers its metrics.
func (s *Server) Registry() *prometheus.Registry { return s.reg }

// SetReady sets what /readyz asks: it answers 200 while ready returns
// true, 503 otherwise and before SetReady is called.
func (s *Server) SetReady(ready func() bool) { s.ready.Store(&ready) }

// Handler returns the endpoints' handler.
func (s *Server) Handler() http.Handler { return s.mux }

// Start listens on addr and serves until ctx ends. An empty addr does
// nothing. It returns once listening, so a busy port fails at once.
func (s *Server) Start(ctx context.Context, addr string, log *slog.Logger) error {
	if addr == "" {
		return nil
	}
	ln, err := net.Listen("tcp", addr)
	if errors.Is(err, syscall.EADDRINUSE) {
		return fmt.Errorf("--http-addr %s is already in use: stop what listens there or choose another host:port", addr)
	}
	if err != nil {
		return fmt.Errorf("--http-addr %s: cannot listen: %w", addr, err)
	}
	s.addr = ln.Addr().String()
	srv := &http.Server{Handler: s.Handler(), ReadHeaderTimeout: 5 * time.Second}
	go func() {
		<-ctx.Done()
		shut, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		srv.Shutdown(shut)
	}()
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) && log != nil {
			log.Error("metrics and health server stopped", "err", err)
		}
	}()
	if log != nil {
		log.Info("serving metrics and health", "addr", s.addr)
	}
	return nil
}

// Addr returns the address Start listens on.
func (s *Server) Addr() string { return s.addr }

// Register registers collectors in the server's registry.
func (s *Server) Register(cs ...prometheus.Collector) { s.reg.MustRegister(cs...) }

// CounterFunc registers a counter whose value fn returns.
func (s *Server) CounterFunc(name, help string, fn func() float64) {
	s.reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name, Help: help}, fn))
}

// GaugeFunc registers a gauge whose value fn returns.
func (s *Server) GaugeFunc(name, help string, fn func() float64) {
	s.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help}, fn))
}
