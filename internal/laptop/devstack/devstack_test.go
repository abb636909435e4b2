package devstack

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/salesstream/salesstream/internal/platform/addrtest"
	"github.com/salesstream/salesstream/internal/platform/kafkatest"
	"github.com/salesstream/salesstream/pkg/registry"
)

var quiet = slog.New(slog.DiscardHandler)

const (
	artifactID = "devstack-test-value"
	content    = `{"type":"record","name":"R","fields":[{"name":"a","type":"string"}]}`
	topic      = "devstack-test"
	group      = "devstack-test-group"
)

func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func start(t *testing.T, cfg Config) *Stack {
	t.Helper()
	cfg.Logger = quiet
	s, err := Start(testContext(t), cfg)
	if err != nil {
		t.Fatalf("Start(%+v): %v", cfg, err)
	}
	return s
}

func client(t *testing.T, s *Stack, opts ...kgo.Opt) *kgo.Client {
	t.Helper()
	return kafkatest.Client(t, s.Brokers(), opts...)
}

func registryClient(t *testing.T, s *Stack) *registry.Client {
	t.Helper()
	c, err := registry.New(s.RegistryURL(), registry.WithLogger(quiet))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// fill registers an artifact, produces a record and commits a group offset.
func fill(t *testing.T, s *Stack) registry.VersionMeta {
	t.Helper()
	ctx := testContext(t)
	meta, outcome, err := registryClient(t, s).Register(ctx, artifactID, "AVRO", content)
	if err != nil || outcome != registry.Created {
		t.Fatalf("register: %v, %v", outcome, err)
	}
	cl := client(t, s)
	adm := kadm.NewClient(cl)
	if _, err := adm.CreateTopic(ctx, 2, -1, nil, topic); err != nil {
		t.Fatal(err)
	}
	rec := &kgo.Record{Topic: topic, Key: []byte("k"), Value: []byte("kept"), Headers: []kgo.RecordHeader{{Key: "h", Value: []byte("v")}}}
	if err := cl.ProduceSync(ctx, rec).FirstErr(); err != nil {
		t.Fatal(err)
	}
	var offs kadm.Offsets
	offs.Add(kadm.Offset{Topic: topic, Partition: rec.Partition, At: 1, LeaderEpoch: -1})
	resp, err := adm.CommitOffsets(ctx, group, offs)
	if err == nil {
		err = resp.Error()
	}
	if err != nil {
		t.Fatalf("commit offsets: %v", err)
	}
	return meta
}

// hostPort returns the address of a running stack's broker and registry.
func hostPorts(t *testing.T, s *Stack) (kafka, reg string) {
	t.Helper()
	if len(s.Brokers()) != 1 {
		t.Fatalf("brokers %v, want one", s.Brokers())
	}
	return s.Brokers()[0], strings.TrimPrefix(s.RegistryURL(), "http://")
}

func TestRestartKeepsData(t *testing.T) {
	dir := t.TempDir()
	s := start(t, Config{KafkaAddr: "127.0.0.1:0", RegistryAddr: "127.0.0.1:0", DataDir: dir})
	kafkaAddr, regAddr := hostPorts(t, s)
	for _, a := range []string{kafkaAddr, regAddr} {
		if strings.HasSuffix(a, ":0") {
			t.Fatalf("address %s: port 0 was not replaced by the port picked", a)
		}
	}
	meta := fill(t, s)
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}

	s = start(t, Config{KafkaAddr: kafkaAddr, RegistryAddr: regAddr, DataDir: dir})
	defer s.Close()
	if k, r := hostPorts(t, s); k != kafkaAddr || r != regAddr {
		t.Fatalf("restarted on %s and %s, want %s and %s", k, r, kafkaAddr, regAddr)
	}
	ctx := testContext(t)

	reg := registryClient(t, s)
	got, err := reg.Content(ctx, artifactID, "latest")
	if err != nil || got != content {
		t.Fatalf("artifact after restart: %q, %v; want the registered content", got, err)
	}
	latest, err := reg.Latest(ctx, artifactID)
	if err != nil || latest.GlobalID != meta.GlobalID || latest.ContentID != meta.ContentID || latest.Version != meta.Version {
		t.Fatalf("latest version after restart %+v (%v), want %+v", latest, err, meta)
	}
	// Ids go on from where they were, not from 1 again.
	m2, outcome, err := reg.Register(ctx, artifactID+"-2", "AVRO", strings.Replace(content, `"a"`, `"b"`, 1))
	if err != nil || outcome != registry.Created || m2.GlobalID <= meta.GlobalID || m2.ContentID <= meta.ContentID {
		t.Fatalf("register after restart: %+v, %v, %v; want new ids above %d / %d", m2, outcome, err, meta.GlobalID, meta.ContentID)
	}

	cl := client(t, s, kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	adm := kadm.NewClient(cl)
	tds, err := adm.ListTopics(ctx, topic)
	if err != nil || len(tds[topic].Partitions) != 2 {
		t.Fatalf("topic after restart: %+v, %v; want 2 partitions", tds[topic], err)
	}
	var recs []*kgo.Record
	for len(recs) == 0 {
		fs := cl.PollFetches(ctx)
		if ctx.Err() != nil {
			t.Fatalf("the record was not read back: %v", ctx.Err())
		}
		for _, fe := range fs.Errors() {
			t.Fatal(fe.Err)
		}
		recs = append(recs, fs.Records()...)
	}
	r := recs[0]
	if len(recs) != 1 || string(r.Key) != "k" || string(r.Value) != "kept" || len(r.Headers) != 1 || string(r.Headers[0].Value) != "v" || r.Offset != 0 {
		t.Fatalf("read back %d records, first %s=%s at %d with headers %v", len(recs), r.Key, r.Value, r.Offset, r.Headers)
	}
	offs, err := adm.FetchOffsets(ctx, group)
	if err != nil {
		t.Fatal(err)
	}
	if o, ok := offs.Lookup(topic, r.Partition); !ok || o.At != 1 {
		t.Fatalf("committed offset of %s after restart: %+v (found %v), want 1", group, o, ok)
	}
}

func TestInMemoryForgets(t *testing.T) {
	s := start(t, Config{KafkaAddr: "127.0.0.1:0", RegistryAddr: "127.0.0.1:0"})
	kafkaAddr, regAddr := hostPorts(t, s)
	fill(t, s)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = start(t, Config{KafkaAddr: kafkaAddr, RegistryAddr: regAddr})
	defer s.Close()
	ctx := testContext(t)
	if _, err := registryClient(t, s).Content(ctx, artifactID, "latest"); !errors.Is(err, registry.ErrNotFound) {
		t.Fatalf("artifact after an in-memory restart: err %v, want not found", err)
	}
	tds, err := kadm.NewClient(client(t, s)).ListTopics(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if tds.Has(topic) {
		t.Fatalf("topic %s survived an in-memory restart", topic)
	}
}

func TestRegistryServes(t *testing.T) {
	s := start(t, Config{KafkaAddr: "127.0.0.1:0", RegistryAddr: "127.0.0.1:0"})
	defer s.Close()
	if !strings.HasPrefix(s.RegistryURL(), "http://127.0.0.1:") {
		t.Fatalf("RegistryURL() = %q", s.RegistryURL())
	}
	req, err := http.NewRequestWithContext(testContext(t), http.MethodGet, s.RegistryURL()+"/health/ready", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("/health/ready: %s", resp.Status)
	}
	if s.Cluster() == nil || len(s.Cluster().ListenAddrs()) != 1 {
		t.Fatal("Cluster() does not give the running broker")
	}
	// The broker creates topics with 3 partitions by default.
	ctx := testContext(t)
	adm := kadm.NewClient(client(t, s))
	if _, err := adm.CreateTopic(ctx, -1, -1, nil, "defaults"); err != nil {
		t.Fatal(err)
	}
	tds, err := adm.ListTopics(ctx, "defaults")
	if err != nil || len(tds["defaults"].Partitions) != 3 {
		t.Fatalf("topic created with default partitions: %+v, %v; want 3", tds["defaults"], err)
	}
}

func TestStartErrors(t *testing.T) {
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	busy := addrtest.Busy(t)
	tests := []struct {
		name string
		cfg  Config
		want string
	}{
		{"kafka port busy", Config{KafkaAddr: busy, RegistryAddr: "127.0.0.1:0"}, "pick another --kafka-addr"},
		{"registry port busy", Config{KafkaAddr: "127.0.0.1:0", RegistryAddr: busy}, "pick another --registry-addr"},
		{"kafka address without port", Config{KafkaAddr: "localhost", RegistryAddr: "127.0.0.1:0"}, `kafka address "localhost"`},
		{"kafka port not a number", Config{KafkaAddr: "127.0.0.1:kafka", RegistryAddr: "127.0.0.1:0"}, "bad port"},
		{"data directory is a file", Config{KafkaAddr: "127.0.0.1:0", RegistryAddr: "127.0.0.1:0", DataDir: file}, "create data directory"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.cfg.Logger = quiet
			s, err := Start(testContext(t), tt.cfg)
			if err == nil {
				s.Close()
				t.Fatalf("Start(%+v) succeeded", tt.cfg)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Start error %q, want it to contain %q", err, tt.want)
			}
		})
	}
}

// TestFailedStartReleases checks that a Start that fails on the registry
// port lets go of the broker's port and the data directory.
func TestFailedStartReleases(t *testing.T) {
	dir := t.TempDir()
	kafkaAddr := addrtest.Free(t)
	if s, err := Start(testContext(t), Config{KafkaAddr: kafkaAddr, RegistryAddr: addrtest.Busy(t), DataDir: dir, Logger: quiet}); err == nil {
		s.Close()
		t.Fatal("Start on a busy registry port succeeded")
	}
	s := start(t, Config{KafkaAddr: kafkaAddr, RegistryAddr: "127.0.0.1:0", DataDir: dir})
	defer s.Close()
	fill(t, s)
}

// TestCloseTwice checks that a second Close returns instead of blocking,
// as a deferred Close after an explicit one (or a test cleanup) needs.
func TestCloseTwice(t *testing.T) {
	s := start(t, Config{KafkaAddr: "127.0.0.1:0", RegistryAddr: "127.0.0.1:0"})
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- s.Close() }()
	select {
	case <-done:
	case <-testContext(t).Done():
		t.Fatal("the second Close did not return")
	}
}
