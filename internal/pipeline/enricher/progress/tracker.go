package progress

import (
	"context"
	"encoding/json"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// IdleEvery is the longest a quiet stream goes without a log line.
const IdleEvery = time.Minute

// Tracker keeps the last batches' progress and the brokers' state. It is
// safe for concurrent use.
type Tracker struct {
	log *slog.Logger
	now func() time.Time

	mu       sync.Mutex
	ring     []Progress // the last cap(ring) batches, oldest first once full
	next     int        // where the next batch goes once the ring is full
	total    int64      // batches recorded
	latest   map[partitionKey]Source
	lastAt   time.Time // end of the last batch
	idleLog  time.Time // last idle line
	down     time.Time // brokers unreachable since; zero while they answer
	downErr  string
	settings []any
	onBatch  []func(*Progress)
}

type partitionKey struct {
	topic     string
	partition int32
}

// NewTracker returns a tracker of the last capacity batches (at least
// one) that logs to log.
func NewTracker(capacity int, log *slog.Logger) *Tracker {
	if capacity < 1 {
		capacity = 1
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Tracker{log: log, now: time.Now, ring: make([]Progress, 0, capacity), latest: map[partitionKey]Source{}}
}

// OnBatch has fn called with every batch recorded, after it is stored.
// Call it before the stream starts.
func (t *Tracker) OnBatch(fn func(*Progress)) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.onBatch = append(t.onBatch, fn)
}

// SetSettings keeps the query's settings (slog key-value pairs) to serve
// with the progress.
func (t *Tracker) SetSettings(kv ...any) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.settings = slices.Clone(kv)
}

// Record stores p, logs it as one line (with the extra slog attributes
// after it), and calls the OnBatch functions.
func (t *Tracker) Record(p Progress, extra ...any) {
	t.mu.Lock()
	if len(t.ring) < cap(t.ring) {
		t.ring = append(t.ring, p)
	} else {
		t.ring[t.next] = p
		t.next = (t.next + 1) % len(t.ring)
	}
	t.total++
	for _, s := range p.Sources {
		t.latest[partitionKey{s.Topic, s.Partition}] = s
	}
	t.lastAt = t.now()
	fns := t.onBatch
	t.mu.Unlock()
	t.log.Info("micro-batch committed", append([]any{"progress", &p}, extra...)...)
	for _, fn := range fns {
		fn(&p)
	}
}

// Recent returns the last batches, oldest first.
func (t *Tracker) Recent() []Progress {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make([]Progress, 0, len(t.ring))
	out = append(out, t.ring[t.next:]...)
	return append(out, t.ring[:t.next]...)
}

// Partitions returns, per source partition read so far, what the last
// batch that read it saw: its committed end and its lag.
func (t *Tracker) Partitions() []Source {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make([]Source, 0, len(t.latest))
	for _, s := range t.latest {
		out = append(out, s)
	}
	slices.SortFunc(out, func(a, b Source) int {
		if a.Topic != b.Topic {
			if a.Topic < b.Topic {
				return -1
			}
			return 1
		}
		return int(a.Partition - b.Partition)
	})
	return out
}

// Broker is whether the brokers answer.
type Broker struct {
	Up bool `json:"up"`
	// DownSince is when they stopped answering; Error the last failure.
	DownSince time.Time `json:"downSince,omitzero"`
	Error     string    `json:"error,omitempty"`
}

// Broker returns the brokers' state as the stream's clients last saw it.
func (t *Tracker) Broker() Broker {
	t.mu.Lock()
	defer t.mu.Unlock()
	return Broker{Up: t.down.IsZero(), DownSince: t.down, Error: t.downErr}
}

// brokerDown records a failed connection; brokerUp a successful exchange.
func (t *Tracker) brokerDown(err error) {
	t.mu.Lock()
	first := t.down.IsZero()
	if first {
		t.down = t.now()
	}
	t.downErr = err.Error()
	t.mu.Unlock()
	if first {
		t.log.Warn("brokers unreachable", "err", err)
	}
}

func (t *Tracker) brokerUp() {
	t.mu.Lock()
	was := t.down
	t.down, t.downErr = time.Time{}, ""
	t.mu.Unlock()
	if !was.IsZero() {
		t.log.Info("brokers reachable again", "down_for", t.now().Sub(was).Round(time.Millisecond).String())
	}
}

// Hooks returns the kgo hooks that tell the tracker whether the brokers
// answer: give them to the stream's clients with kgo.WithHooks.
func (t *Tracker) Hooks() kgo.Hook { return brokerHooks{t} }

type brokerHooks struct{ t *Tracker }

// OnBrokerConnect implements kgo.HookBrokerConnect.
func (h brokerHooks) OnBrokerConnect(_ kgo.BrokerMetadata, _ time.Duration, _ net.Conn, err error) {
	if err != nil {
		h.t.brokerDown(err)
		return
	}
	h.t.brokerUp()
}

// OnBrokerRead implements kgo.HookBrokerRead.
func (h brokerHooks) OnBrokerRead(_ kgo.BrokerMetadata, _ int16, _ int, _, _ time.Duration, err error) {
	if err == nil {
		h.t.mu.Lock()
		down := !h.t.down.IsZero()
		h.t.mu.Unlock()
		if down {
			h.t.brokerUp()
		}
	}
}

// Idle logs a line at most once every IdleEvery while no batch commits,
// until ctx ends, so a quiet stream still says it is alive, where it is
// and whether the brokers answer.
func (t *Tracker) Idle(ctx context.Context) {
	tick := time.NewTicker(IdleEvery / 4)
	defer tick.Stop()
	started := t.now()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			t.idleLine(started)
		}
	}
}

// idleLine logs the idle line if nothing was logged for IdleEvery.
func (t *Tracker) idleLine(started time.Time) {
	now := t.now()
	t.mu.Lock()
	last := started
	for _, c := range []time.Time{t.lastAt, t.idleLog} {
		if c.After(last) {
			last = c
		}
	}
	if now.Sub(last) < IdleEvery {
		t.mu.Unlock()
		return
	}
	t.idleLog = now
	batches, lastAt, down := t.total, t.lastAt, t.down
	var lag int64
	for _, s := range t.latest {
		lag += s.Lag
	}
	t.mu.Unlock()
	t.log.Info("idle: no micro-batch committed", "batches", batches, "last_batch", rfc3339(lastAt),
		"lag", lag, "brokers_up", down.IsZero(), "brokers_down_since", rfc3339(down))
}

// Handler serves the progress as JSON: the brokers' state, the settings,
// the last batch and the recent ones (?n= limits them), oldest first, and
// the latest offsets and lag of every partition read.
func (t *Tracker) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		recent := t.Recent()
		if n, err := strconv.Atoi(r.URL.Query().Get("n")); err == nil && n >= 0 && n < len(recent) {
			recent = recent[len(recent)-n:]
		}
		t.mu.Lock()
		settings := map[string]any{}
		for i := 0; i+1 < len(t.settings); i += 2 {
			if k, ok := t.settings[i].(string); ok {
				settings[k] = t.settings[i+1]
			}
		}
		t.mu.Unlock()
		body := struct {
			Broker         Broker         `json:"broker"`
			Settings       map[string]any `json:"settings"`
			LastProgress   *Progress      `json:"lastProgress"`
			RecentProgress []Progress     `json:"recentProgress"`
			Partitions     []Source       `json:"partitions"`
		}{Broker: t.Broker(), Settings: settings, RecentProgress: recent, Partitions: t.Partitions()}
		if len(recent) > 0 {
			body.LastProgress = &recent[len(recent)-1]
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		enc.Encode(body)
	})
}
