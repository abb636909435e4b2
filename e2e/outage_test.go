package e2e

import (
	"context"
	"errors"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/salesstream/salesstream/internal/domain/schema"
	"github.com/salesstream/salesstream/internal/laptop/registryserver"
	"github.com/salesstream/salesstream/pkg/registry"
)

// restartable is an embedded stack whose broker and registry can each be
// stopped and started again, on the same ports and with the same data.
type restartable struct {
	t                  *testing.T
	dir                string
	kafkaPort, regPort int
	cluster            *kfake.Cluster
	srv                *http.Server
	reg                *registryserver.Server
	served             chan error
}

func newRestartable(t *testing.T) *restartable {
	r := &restartable{t: t, dir: t.TempDir(), kafkaPort: freePort(t), regPort: freePort(t)}
	r.startKafka()
	r.startRegistry()
	t.Cleanup(func() {
		if r.srv != nil {
			r.stopRegistry()
		}
		if r.cluster != nil {
			r.cluster.Close()
		}
	})
	return r
}

func freePort(t *testing.T) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func (r *restartable) Brokers() []string   { return []string{"127.0.0.1:" + strconv.Itoa(r.kafkaPort)} }
func (r *restartable) RegistryURL() string { return "http://127.0.0.1:" + strconv.Itoa(r.regPort) }

func (r *restartable) startKafka() {
	c, err := kfake.NewCluster(kfake.Ports(r.kafkaPort), kfake.DataDir(filepath.Join(r.dir, "kafka")))
	if err != nil {
		r.t.Fatalf("start Kafka: %v", err)
	}
	r.cluster = c
}

func (r *restartable) stopKafka() {
	r.cluster.Close()
	r.cluster = nil
}

func (r *restartable) startRegistry() {
	j, err := registryserver.OpenFileJournal(filepath.Join(r.dir, "registry"))
	if err != nil {
		r.t.Fatal(err)
	}
	reg, err := registryserver.New(context.Background(), registryserver.WithJournal(j))
	if err != nil {
		r.t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(r.regPort))
	if err != nil {
		r.t.Fatal(err)
	}
	r.reg, r.srv, r.served = reg, &http.Server{Handler: reg.Handler()}, make(chan error, 1)
	go func() { r.served <- r.srv.Serve(ln) }()
}

func (r *restartable) stopRegistry() {
	r.srv.Close()
	if err := <-r.served; !errors.Is(err, http.ErrServerClosed) {
		r.t.Errorf("registry server: %v", err)
	}
	r.reg.Close()
	r.srv = nil
}

// waitFor polls cond every 50 ms until it holds, or fails the test after
// timeout with what.
func waitFor(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// briefAdmin returns an admin client of s's broker and a context of 5 s
// for a few queries; done closes both.
func briefAdmin(t *testing.T, s endpoints) (context.Context, *kadm.Client, func()) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	cl := newClient(t, s)
	return ctx, kadm.NewClient(cl), func() { cl.Close(); cancel() }
}

// salesProgress returns the sales topic's end offset and the enricher
// group's committed offset, summed over partitions.
func salesProgress(t *testing.T, s endpoints) (end, committed int64) {
	t.Helper()
	ctx, adm, done := briefAdmin(t, s)
	defer done()
	ends, err := adm.ListEndOffsets(ctx, schema.SalesTopic)
	if err != nil {
		return -1, -2
	}
	ends.Each(func(o kadm.ListedOffset) { end += o.Offset })
	offs, err := adm.FetchOffsets(ctx, "salesstream-enricher")
	if err != nil {
		return end, -1
	}
	offs.Each(func(o kadm.OffsetResponse) {
		if o.Topic == schema.SalesTopic && o.At > 0 {
			committed += o.At
		}
	})
	return end, committed
}

// repartitionDrained reports whether the enricher group has windowed
// everything on its repartition topic: on every partition, its committed
// offset has reached the last stable offset.
func repartitionDrained(t *testing.T, s endpoints) bool {
	t.Helper()
	ctx, adm, done := briefAdmin(t, s)
	defer done()
	const group, topic = "salesstream-enricher", "salesstream-enricher-repartition"
	ends, err := adm.ListCommittedOffsets(ctx, topic)
	if err != nil {
		return false
	}
	offs, err := adm.FetchOffsets(ctx, group)
	if err != nil {
		return false
	}
	drained := true
	ends.Each(func(o kadm.ListedOffset) {
		if o.Err != nil {
			drained = false
			return
		}
		c, ok := offs.Lookup(topic, o.Partition)
		if o.Offset > 0 && (!ok || c.Err != nil || c.At < o.Offset) {
			drained = false
		}
	})
	return drained
}

// concatCSV writes the rows of the given sales CSVs, under one header, to
// a new file, for the batch aggregation of several producer runs.
func concatCSV(t *testing.T, paths ...string) string {
	t.Helper()
	var b strings.Builder
	for i, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		text := string(data)
		if i > 0 {
			_, text, _ = strings.Cut(text, "\n")
		}
		b.WriteString(text)
	}
	out := filepath.Join(t.TempDir(), "all.csv")
	if err := os.WriteFile(out, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestRegistryOutage takes the registry down while the enricher meets a
// schema id it has not seen: the enricher waits, retries with backoff, and
// carries on when the registry is back; nothing is lost or dead-lettered.
func TestRegistryOutage(t *testing.T) {
	s := newRestartable(t)
	mustRun(t, s, "schemas")
	dir := t.TempDir()
	first, second := filepath.Join(dir, "a.csv"), filepath.Join(dir, "b.csv")
	writeSales(t, first, 2000, time.Second)
	writeSalesSeeded(t, second, 3000, time.Second, 99, time.Date(2023, 1, 3, 0, 0, 0, 0, time.UTC))

	enr, enrOut := startBin(t, s, "enricher", "--trigger", "200ms", "--partitions", "1", "--regions", "../data/regions.csv")
	mustRun(t, s, "producer", "--input", first, "--event-time", "original", "--delay", "0", "--partitions", "1")
	waitFor(t, time.Minute, "the enricher to commit the first run", func() bool {
		end, committed := salesProgress(t, s)
		return end == 2000 && committed == 2000
	})

	// A compatible new version of the sales schema, which the running
	// enricher has never looked up.
	reg, err := registry.New(s.RegistryURL())
	if err != nil {
		t.Fatal(err)
	}
	v1, err := schema.Content(schema.ValueArtifact(schema.SalesTopic))
	if err != nil {
		t.Fatal(err)
	}
	v2 := strings.Replace(v1, "\n  ]\n}", `,
    {"name": "channel", "type": ["null", "string"], "default": null}
  ]
}`, 1)
	if v2 == v1 {
		t.Fatal("could not derive a second schema version")
	}
	if _, outcome, err := reg.Register(context.Background(), schema.ValueArtifact(schema.SalesTopic), "AVRO", v2); err != nil || outcome != registry.NewVersion {
		t.Fatalf("register v2: %v %v", outcome, err)
	}

	// Freeze the enricher while sales of the new version arrive and the
	// registry goes down, so that its first look-up of the new id meets
	// the outage.
	if err := enr.Process.Signal(syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	prod, prodOut := startBin(t, s, "producer", "--input", second, "--event-time", "original", "--rate", "1000")
	prodDone := watchExit(prod)
	waitFor(t, 30*time.Second, "the second producer to send", func() bool {
		end, _ := salesProgress(t, s)
		return end > 2100
	})
	s.stopRegistry()
	if err := enr.Process.Signal(syscall.SIGCONT); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 30*time.Second, "the enricher to notice the outage", func() bool {
		return strings.Contains(enrOut.String(), "schema registry unavailable; retrying")
	})
	_, before := salesProgress(t, s)
	s.startRegistry()

	if err := <-prodDone; err != nil {
		t.Fatalf("producer: %v\n%s", err, prodOut)
	}
	waitFor(t, time.Minute, "the enricher to commit and window everything", func() bool {
		end, committed := salesProgress(t, s)
		return end == 5000 && committed == 5000 && repartitionDrained(t, s)
	})
	if before >= 5000 {
		t.Errorf("the enricher had committed everything (%d) before the registry came back", before)
	}
	enr.Process.Signal(syscall.SIGTERM)
	assertSummary(t, s, concatCSV(t, first, second), "../data/regions.csv")
	assertNoDeadLetters(t, s)
	if t.Failed() {
		t.Logf("enricher output:\n%s", enrOut)
	}
}

// TestBrokerRestart stops the broker while the producer and the enricher
// run, and starts it again on the same port with its data: both wait,
// reconnect and carry on; nothing is lost or doubled.
func TestBrokerRestart(t *testing.T) {
	s := newRestartable(t)
	mustRun(t, s, "schemas")
	salesPath := salesFile(t, 6000, time.Second)

	enr, enrOut := startBin(t, s, "enricher", "--trigger", "200ms", "--partitions", "1", "--regions", "../data/regions.csv")
	prod, prodOut := startBin(t, s, "producer", "--input", salesPath, "--event-time", "original", "--rate", "1500", "--partitions", "1")
	prodDone := watchExit(prod)
	waitFor(t, 30*time.Second, "the enricher to commit some sales", func() bool {
		_, committed := salesProgress(t, s)
		return committed > 1000
	})
	s.stopKafka()
	waitFor(t, 30*time.Second, "the producer to notice the broker is gone", func() bool {
		return strings.Contains(prodOut.String(), "connection refused")
	})
	s.startKafka()

	awaitExit(t, prodDone, time.Minute, "producer", prodOut)
	if !strings.Contains(prodOut.String(), "sent 6000 sales") {
		t.Fatalf("producer did not send every sale:\n%s", prodOut)
	}
	waitFor(t, time.Minute, "the enricher to commit and window everything", func() bool {
		end, committed := salesProgress(t, s)
		return end == 6000 && committed == 6000 && repartitionDrained(t, s)
	})
	enr.Process.Signal(syscall.SIGTERM)
	assertSummary(t, s, salesPath, "../data/regions.csv")
	assertNoDeadLetters(t, s)
	if t.Failed() {
		t.Logf("enricher output:\n%s", enrOut)
	}
}

// assertNoDeadLetters checks that the dead-letter topic is empty or absent.
func assertNoDeadLetters(t *testing.T, s endpoints) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	n := 0
	for _, r := range readAll(ctx, t, s, schema.DeadLetterTopic, kgo.ReadCommitted()) {
		if !r.Attrs.IsControl() {
			n++
			if n <= 3 {
				t.Errorf("dead letter: %v", headerMap(r))
			}
		}
	}
	if n > 0 {
		t.Errorf("%d dead letters, want none", n)
	}
}
