package progress

import (
	"bytes"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

func TestRingKeepsTheLastBatches(t *testing.T) {
	for _, tt := range []struct {
		capacity, batches int
		wantFirst         int64
	}{
		{3, 0, 0}, {3, 2, 1}, {3, 3, 1}, {3, 4, 2}, {3, 10, 8}, {1, 5, 5}, {0, 2, 2},
	} {
		tr := NewTracker(tt.capacity, nil)
		for i := 1; i <= tt.batches; i++ {
			tr.Record(Progress{BatchID: int64(i)})
		}
		got := tr.Recent()
		want := min(max(tt.capacity, 1), tt.batches)
		if len(got) != want {
			t.Fatalf("capacity %d, %d batches: kept %d, want %d", tt.capacity, tt.batches, len(got), want)
		}
		for i, p := range got {
			if p.BatchID != tt.wantFirst+int64(i) {
				t.Errorf("capacity %d, %d batches: batch %d is %d, want %d", tt.capacity, tt.batches, i, p.BatchID, tt.wantFirst+int64(i))
			}
		}
	}
}

func TestLogLineIsStructured(t *testing.T) {
	var buf bytes.Buffer
	tr := NewTracker(2, slog.New(slog.NewTextHandler(&buf, nil)))
	tr.Record(Progress{BatchID: 7, Timestamp: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), NumInputRows: 12,
		Sources: []Source{{Topic: "sales", Partition: 2, StartOffset: 5, EndOffset: 17, Lag: 3}}})
	line := buf.String()
	for _, want := range []string{"progress.batch=7", "progress.trigger=2026-01-02T03:04:05Z", "progress.input_rows=12",
		"progress.sources.sales/2.start=5", "progress.sources.sales/2.lag=3", "progress.event_time.watermark=none"} {
		if !strings.Contains(line, want) {
			t.Errorf("log line lacks %q:\n%s", want, line)
		}
	}
	if strings.Count(line, "\n") != 1 || strings.Contains(line, "{") {
		t.Errorf("want one line of attributes, no struct dump:\n%s", line)
	}
}

func TestIdleLineAtMostOnceAMinute(t *testing.T) {
	var buf bytes.Buffer
	tr := NewTracker(2, slog.New(slog.NewTextHandler(&buf, nil)))
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	tr.now = func() time.Time { return now }
	start := now
	for _, step := range []struct {
		advance time.Duration
		batch   bool
		want    int
	}{
		{30 * time.Second, false, 0},
		{31 * time.Second, false, 1}, // a minute without a batch
		{30 * time.Second, false, 1},
		{31 * time.Second, false, 2},
		{10 * time.Second, true, 2}, // a batch resets the clock
		{55 * time.Second, false, 2},
		{6 * time.Second, false, 3},
	} {
		now = now.Add(step.advance)
		if step.batch {
			tr.Record(Progress{BatchID: 1})
		}
		tr.idleLine(start)
		if got := strings.Count(buf.String(), "idle: no micro-batch committed"); got != step.want {
			t.Fatalf("at %v: %d idle lines, want %d", now.Sub(start), got, step.want)
		}
	}
}

func TestBrokerStateAndHandler(t *testing.T) {
	tr := NewTracker(5, nil)
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	tr.now = func() time.Time { return now }
	h := tr.Hooks().(brokerHooks)
	tr.SetSettings("window", "10m0s", "group", "g")
	tr.Record(Progress{BatchID: 1, Sources: []Source{{Topic: "s", Partition: 1, Lag: 4}}})
	tr.Record(Progress{BatchID: 2, Sources: []Source{{Topic: "s", Partition: 0, Lag: 0}}})
	h.OnBrokerConnect(brokerMeta(), 0, nil, errors.New("connection refused"))
	now = now.Add(time.Minute)
	h.OnBrokerConnect(brokerMeta(), 0, nil, errors.New("connection refused again"))

	body := serve(t, tr, "/progress")
	if body.Broker.Up || !body.Broker.DownSince.Equal(now.Add(-time.Minute)) || body.Broker.Error != "connection refused again" {
		t.Errorf("broker %+v: want down since the first failure, with the last error", body.Broker)
	}
	if body.Settings["window"] != "10m0s" || body.Settings["group"] != "g" {
		t.Errorf("settings %v", body.Settings)
	}
	if len(body.RecentProgress) != 2 || body.LastProgress == nil || body.LastProgress.BatchID != 2 {
		t.Errorf("recent %+v, last %+v", body.RecentProgress, body.LastProgress)
	}
	if len(body.Partitions) != 2 || body.Partitions[0].Partition != 0 || body.Partitions[1].Lag != 4 {
		t.Errorf("partitions %+v: want both, sorted, each as its last batch saw it", body.Partitions)
	}
	if one := serve(t, tr, "/progress?n=1"); len(one.RecentProgress) != 1 || one.RecentProgress[0].BatchID != 2 {
		t.Errorf("?n=1 served %+v", one.RecentProgress)
	}
	h.OnBrokerRead(brokerMeta(), 0, 10, 0, 0, nil)
	if b := tr.Broker(); !b.Up || !b.DownSince.IsZero() {
		t.Errorf("after a good read: %+v", b)
	}
}

type served struct {
	Broker         Broker         `json:"broker"`
	Settings       map[string]any `json:"settings"`
	LastProgress   *Progress      `json:"lastProgress"`
	RecentProgress []Progress     `json:"recentProgress"`
	Partitions     []Source       `json:"partitions"`
}

func serve(t *testing.T, tr *Tracker, url string) served {
	t.Helper()
	rec := httptest.NewRecorder()
	tr.Handler().ServeHTTP(rec, httptest.NewRequest("GET", url, nil))
	var s served
	if err := json.Unmarshal(rec.Body.Bytes(), &s); err != nil {
		t.Fatalf("%s: %v\n%s", url, err, rec.Body)
	}
	return s
}

func brokerMeta() kgo.BrokerMetadata {
	return kgo.BrokerMetadata{NodeID: 1, Host: "127.0.0.1", Port: 9092}
}
