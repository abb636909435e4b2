// Package devstack runs the embedded stack in one process: a Kafka broker
// (franz-go's kfake) and the project's Apicurio-compatible registry, both
// on loopback. The registry journals its changes to a topic of the broker,
// so, given a data directory, both persist across restarts. StartPipeline
// starts one with the pipeline's schemas registered, for the benchmark
// harness and the stages' tests.
package devstack

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/salesstream/salesstream/internal/laptop/registryserver"
)

// Defaults of the embedded stack's addresses.
const (
	DefaultKafkaAddr    = "127.0.0.1:9092"
	DefaultRegistryAddr = "127.0.0.1:8080"
)

// Config says where the stack listens and keeps its data.
type Config struct {
	// KafkaAddr and RegistryAddr are host:port; port 0 picks a free one.
	KafkaAddr    string
	RegistryAddr string
	// DataDir keeps the broker's log and the registry's journal; empty
	// keeps everything in memory.
	DataDir string
	Logger  *slog.Logger
}

// Stack is a running embedded stack.
type Stack struct {
	cluster  *kfake.Cluster
	registry *registryserver.Server
	http     *http.Server
	regAddr  string
	served   chan error

	closeOnce sync.Once
	closeErr  error
}

// Start starts the broker and the registry. Close stops them.
func Start(ctx context.Context, cfg Config) (*Stack, error) {
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	kafkaAddr := cmp.Or(cfg.KafkaAddr, DefaultKafkaAddr)
	_, portText, err := net.SplitHostPort(kafkaAddr)
	if err != nil {
		return nil, fmt.Errorf("kafka address %q: %w", kafkaAddr, err)
	}
	port, err := strconv.Atoi(portText)
	if err != nil {
		return nil, fmt.Errorf("kafka address %q: bad port", kafkaAddr)
	}
	opts := []kfake.Opt{
		kfake.Ports(port),
		kfake.ListenFn(func(network, _ string) (net.Listener, error) {
			l, err := net.Listen(network, kafkaAddr)
			if err != nil {
				return nil, fmt.Errorf("listen on %s: %w (is another devstack or Kafka running? pick another --kafka-addr)", kafkaAddr, err)
			}
			return l, nil
		}),
		kfake.ClusterID("salesstream-devstack"),
		kfake.DefaultNumPartitions(3),
		// Compact every minute, not every hour, so the compacted summary
		// and state topics stay small on a laptop.
		kfake.BrokerConfigs(map[string]string{"log.cleaner.backoff.ms": "60000"}),
	}
	if cfg.DataDir != "" {
		if err := os.MkdirAll(cfg.DataDir, 0o755); err != nil {
			return nil, fmt.Errorf("create data directory: %w", err)
		}
		opts = append(opts, kfake.DataDir(filepath.Join(cfg.DataDir, "kafka")))
	}
	cluster, err := kfake.NewCluster(opts...)
	if err != nil {
		return nil, fmt.Errorf("start embedded Kafka on %s: %w", kafkaAddr, err)
	}
	s := &Stack{cluster: cluster, served: make(chan error, 1)}
	// The registry keeps its journal on the broker, as Apicurio's kafkasql
	// storage does: it persists with the broker's data.
	journal, err := registryserver.NewKafkaJournal(ctx, []kgo.Opt{kgo.SeedBrokers(cluster.ListenAddrs()...)}, registryserver.DefaultKafkaJournalTopic)
	if err != nil {
		s.Close()
		return nil, fmt.Errorf("open the registry journal: %w", err)
	}
	if s.registry, err = registryserver.New(ctx, registryserver.WithLogger(log), registryserver.WithJournal(journal)); err != nil {
		journal.Close()
		s.Close()
		return nil, fmt.Errorf("start embedded registry: %w", err)
	}
	regAddr := cmp.Or(cfg.RegistryAddr, DefaultRegistryAddr)
	ln, err := net.Listen("tcp", regAddr)
	if err != nil {
		s.Close()
		return nil, fmt.Errorf("listen on %s: %w (is another devstack or registry running? pick another --registry-addr)", regAddr, err)
	}
	s.regAddr = ln.Addr().String()
	s.http = &http.Server{Handler: s.registry.Handler(), ReadHeaderTimeout: 10 * time.Second}
	go func() { s.served <- s.http.Serve(ln) }()
	return s, nil
}

// Brokers returns the broker addresses.
func (s *Stack) Brokers() []string { return s.cluster.ListenAddrs() }

// RegistryURL returns the registry's base URL, such as http://127.0.0.1:8080.
func (s *Stack) RegistryURL() string { return "http://" + s.regAddr }

// Cluster returns the embedded broker, for tests that steer it.
func (s *Stack) Cluster() *kfake.Cluster { return s.cluster }

// Close stops the registry and the broker, flushing their data. Calls
// after the first return its result.
func (s *Stack) Close() error {
	s.closeOnce.Do(func() { s.closeErr = s.close() })
	return s.closeErr
}

func (s *Stack) close() error {
	var errs []error
	if s.http != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		errs = append(errs, s.http.Shutdown(ctx))
		cancel()
		if err := <-s.served; !errors.Is(err, http.ErrServerClosed) {
			errs = append(errs, err)
		}
	}
	if s.registry != nil {
		errs = append(errs, s.registry.Close())
	}
	s.cluster.Close()
	return errors.Join(errs...)
}
