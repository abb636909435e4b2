package enricher

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"math"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/salesstream/salesstream/internal/domain/sales"
	"github.com/salesstream/salesstream/internal/platform/kafkatest"
	"github.com/salesstream/salesstream/internal/platform/topics"
	"github.com/salesstream/salesstream/pkg/window"
)

const (
	testState       = "state"
	testRepartition = "repartition"
)

// restoreFixture is an embedded cluster with a state topic and a
// repartition topic of three partitions each, and an enricher for them.
type restoreFixture struct {
	cluster *kfake.Cluster
	opts    []kgo.Opt
	e       *Enricher
}

func newRestoreFixture(t *testing.T, statePartitions int32) *restoreFixture {
	t.Helper()
	c := kafkatest.Cluster(t)
	f := &restoreFixture{cluster: c, opts: []kgo.Opt{kgo.SeedBrokers(c.ListenAddrs()...)}}
	cl := f.client(t)
	if err := topics.Ensure(testContext(t), cl,
		topics.Spec{Name: testState, Partitions: statePartitions, Compacted: true},
		topics.Spec{Name: testRepartition, Partitions: 3}); err != nil {
		t.Fatal(err)
	}
	cfg := DefaultConfig()
	cfg.StateTopic, cfg.RepartitionTopic = testState, testRepartition
	e, err := New(cfg, nil, nil, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	f.e = e
	return f
}

func (f *restoreFixture) client(t *testing.T, opts ...kgo.Opt) *kgo.Client {
	t.Helper()
	return kafkatest.Client(t, f.cluster.ListenAddrs(), opts...)
}

func testContext(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// write commits recs in one transaction.
func (f *restoreFixture) write(t *testing.T, recs ...*kgo.Record) {
	t.Helper()
	ctx := testContext(t)
	tx := f.client(t, kgo.TransactionalID("writer"), kgo.RecordPartitioner(kgo.ManualPartitioner()))
	if err := tx.BeginTransaction(); err != nil {
		t.Fatal(err)
	}
	if err := tx.ProduceSync(ctx, recs...).FirstErr(); err != nil {
		t.Fatal(err)
	}
	if err := tx.EndTransaction(ctx, kgo.TryCommit); err != nil {
		t.Fatal(err)
	}
}

// windowRecord and metaRecord are changelog records of partition p.
func windowRecord(p int32, region string, start int64, agg *window.Sum) *kgo.Record {
	r := &kgo.Record{Topic: testState, Partition: p, Key: windowKey(region, start)}
	if agg != nil {
		r.Value = windowValue(*agg)
	}
	return r
}

// metaRecord is the meta record of partition p of partitions, for the
// enricher's window settings.
func (f *restoreFixture) metaRecord(p, partitions int32, watermark, maxEvent int64) *kgo.Record {
	w := f.e.cfg.Window
	m := meta{partition: p, partitions: partitions, watermark: watermark, maxEvent: maxEvent,
		size: w.Size.Milliseconds(), slide: w.Slide.Milliseconds(), start: w.Start.Milliseconds(), mode: w.Mode}
	return &kgo.Record{Topic: testState, Partition: p, Key: []byte(metaKey), Value: metaValue(m)}
}

const (
	t0     = int64(1_672_617_600_000) // 2023-01-02T00:00:00Z, a multiple of 5 minutes
	minute = int64(60_000)
)

func TestRestore(t *testing.T) {
	f := newRestoreFixture(t, 3)
	f.write(t,
		windowRecord(1, "Europe", t0, &window.Sum{Total: 1199, Count: 1}),
		windowRecord(1, "Europe", t0+5*minute, &window.Sum{Total: 500, Count: 2}),
		windowRecord(1, "Asia", t0, &window.Sum{Total: 7, Count: 1}),
		windowRecord(1, "Asia", t0, nil), // dropped since
		f.metaRecord(1, 3, t0-10*minute+7*minute, t0+7*minute),
		windowRecord(2, "Africa", t0, &window.Sum{Total: 1, Count: 1}),
		f.metaRecord(2, 3, t0, t0+10*minute),
	)
	tasks, err := f.e.restore(testContext(t), f.opts, []int32{0, 1}, 3)
	if err != nil {
		t.Fatal(err)
	}
	if len(tasks) != 2 {
		t.Fatalf("restored %d tables, want 2", len(tasks))
	}
	if tk := tasks[0]; tk.partition != 0 || tk.t.Len() != 0 || tk.t.Watermark() != math.MinInt64 {
		t.Errorf("partition 0 restored %d windows, watermark %d; want an empty table", tk.t.Len(), tk.t.Watermark())
	}
	tk := tasks[1]
	got := tk.t.Snapshot()
	want := window.State[string, window.Sum]{Watermark: t0 - 3*minute, MaxEventTime: t0 + 7*minute, Rows: []window.Row[string, window.Sum]{
		{Key: "Europe", Start: t0, End: t0 + 10*minute, Agg: window.Sum{Total: 1199, Count: 1}},
		{Key: "Europe", Start: t0 + 5*minute, End: t0 + 15*minute, Agg: window.Sum{Total: 500, Count: 2}},
	}}
	if got.Watermark != want.Watermark || got.MaxEventTime != want.MaxEventTime || len(got.Rows) != len(want.Rows) {
		t.Fatalf("partition 1 restored %+v, want %+v", got, want)
	}
	for i := range want.Rows {
		if got.Rows[i] != want.Rows[i] {
			t.Errorf("row %d = %+v, want %+v", i, got.Rows[i], want.Rows[i])
		}
	}
	// The rollback point is the restored state.
	tk.t.Add("Europe", t0+6*minute, 100)
	tk.t.Add("Asia", t0+6*minute, 100)
	tk.t.TriggerAt(t0+30*minute, nil)
	if err := tk.t.Rollback(); err != nil {
		t.Fatal(err)
	}
	if back := tk.t.Snapshot(); !slices.Equal(back.Rows, got.Rows) || back.Watermark != want.Watermark {
		t.Errorf("rolled back to %+v, want the restored state %+v", back, got)
	}
}

// TestRestoreQueryWatermark checks that a partition's sales-partition
// marks, and a watermark the query advanced past the partition's own
// events, come back exactly.
func TestRestoreQueryWatermark(t *testing.T) {
	f := newRestoreFixture(t, 3)
	quiet := f.metaRecord(2, 3, t0+10*minute, t0+7*minute) // its own last event long before
	m, _ := parseMeta(quiet.Value)
	m.eventTime = t0 + 20*minute
	quiet.Value = metaValue(m)
	f.write(t,
		windowRecord(2, "Europe", t0+5*minute, &window.Sum{Total: 9, Count: 1}),
		quiet,
		&kgo.Record{Topic: testState, Partition: 2, Key: marksKey(0), Value: marksValue(sourceMark{maxEvent: t0 + 20*minute})},
		&kgo.Record{Topic: testState, Partition: 2, Key: marksKey(1), Value: marksValue(sourceMark{maxEvent: t0 + 60*minute})},
		&kgo.Record{Topic: testState, Partition: 2, Key: marksKey(0), Value: marksValue(sourceMark{maxEvent: t0 + 30*minute, idle: true})},
	)
	tasks, err := f.e.restore(testContext(t), f.opts, []int32{2}, 3)
	if err != nil {
		t.Fatal(err)
	}
	tk := tasks[2]
	if tk.t.Watermark() != t0+10*minute || tk.t.EventTime() != t0+20*minute {
		t.Errorf("watermark %d, event time %d; want the query's %d and %d", tk.t.Watermark(), tk.t.EventTime(), t0+10*minute, t0+20*minute)
	}
	want := map[int32]sourceMark{0: {maxEvent: t0 + 30*minute, idle: true}, 1: {maxEvent: t0 + 60*minute}}
	if len(tk.marks.cur) != 2 || tk.marks.cur[0] != want[0] || tk.marks.cur[1] != want[1] || len(tk.marks.good) != 2 {
		t.Errorf("marks %v (good %v), want %v", tk.marks.cur, tk.marks.good, want)
	}
	if got := tk.marks.eventTime(MinPolicy, 2); got != t0+60*minute {
		t.Errorf("min policy over the restored marks: %d, want %d (partition 0 idle)", got, t0+60*minute)
	}
}

// TestRestoreRefuses checks the changelogs that restore must not load,
// and that its errors say what to do.
func TestRestoreRefuses(t *testing.T) {
	sum := &window.Sum{Total: 1, Count: 1}
	tests := []struct {
		name string
		recs func(f *restoreFixture) []*kgo.Record
		want []string
	}{
		{"the first layout", func(f *restoreFixture) []*kgo.Record {
			return []*kgo.Record{windowRecord(0, "Europe", t0, sum), {Topic: testState, Partition: 0, Key: []byte{'m'}, Value: make([]byte, 41)}}
		}, []string{"older enricher", "--state-topic", "--group"}},
		{"windows without meta", func(f *restoreFixture) []*kgo.Record {
			return []*kgo.Record{windowRecord(0, "Europe", t0, sum)}
		}, []string{"no meta record"}},
		{"the meta of another partition", func(f *restoreFixture) []*kgo.Record {
			r := f.metaRecord(2, 3, t0, t0)
			r.Partition = 0
			return []*kgo.Record{r}
		}, []string{"partition 2 of 3", "--state-topic"}},
		{"another partition count", func(f *restoreFixture) []*kgo.Record {
			return []*kgo.Record{f.metaRecord(0, 6, t0, t0)}
		}, []string{"partition 0 of 6", "--state-topic"}},
		{"other window settings", func(f *restoreFixture) []*kgo.Record {
			r := f.metaRecord(0, 3, t0, t0)
			m, _ := parseMeta(r.Value)
			m.slide = 2 * minute
			r.Value = metaValue(m)
			return []*kgo.Record{r}
		}, []string{"sliding 2m0s", "restore the old settings"}},
		{"the per-partition watermark layout", func(f *restoreFixture) []*kgo.Record {
			v := metaValue(meta{partition: 0, partitions: 3, size: 600000, slide: 300000})
			v = append([]byte{perPartitionLayout}, v[1:50]...) // layout 2: 50 bytes
			return []*kgo.Record{windowRecord(0, "Europe", t0, sum), {Topic: testState, Partition: 0, Key: []byte(metaKey), Value: v}}
		}, []string{"one watermark per repartition partition", "--group", "--state-topic"}},
		{"a malformed watermark record", func(f *restoreFixture) []*kgo.Record {
			return []*kgo.Record{f.metaRecord(0, 3, t0, t0), {Topic: testState, Partition: 0, Key: marksKey(1), Value: []byte{1}}}
		}, []string{"watermark record of sales partition 1"}},
		{"a malformed window key", func(f *restoreFixture) []*kgo.Record {
			return []*kgo.Record{{Topic: testState, Partition: 0, Key: []byte("w?"), Value: windowValue(*sum)}}
		}, []string{"malformed window key"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newRestoreFixture(t, 3)
			f.write(t, tt.recs(f)...)
			_, err := f.e.restore(testContext(t), f.opts, []int32{0}, 3)
			var fatal *fatalError
			if !errors.As(err, &fatal) {
				t.Fatalf("restore error = %v, want an error a restart cannot mend", err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
		})
	}
}

// TestRestoreWaitsForOpenTransaction: a transaction that wrote to the
// changelog partition before the restore began, and commits while the
// restore waits, is part of the restored state.
func TestRestoreWaitsForOpenTransaction(t *testing.T) {
	f := newRestoreFixture(t, 3)
	f.write(t, windowRecord(0, "Europe", t0, &window.Sum{Total: 100, Count: 1}), f.metaRecord(0, 3, t0-10*minute, t0))
	ctx := testContext(t)
	tx := f.client(t, kgo.TransactionalID("previous-owner"), kgo.RecordPartitioner(kgo.ManualPartitioner()))
	if err := tx.BeginTransaction(); err != nil {
		t.Fatal(err)
	}
	if err := tx.ProduceSync(ctx, windowRecord(0, "Europe", t0, &window.Sum{Total: 300, Count: 2}), f.metaRecord(0, 3, t0-9*minute, t0+minute)).FirstErr(); err != nil {
		t.Fatal(err)
	}
	// Watch the restore ask for the last stable offsets of the state
	// topic (read_committed, latest): it asks again only while the
	// partition is not stable, so a second request means it waits.
	var (
		mu      sync.Mutex
		last    kmsg.Request
		asked   int
		waiting = make(chan struct{})
	)
	f.cluster.Fault(kfake.Fault{Keys: []kmsg.Key{kmsg.ListOffsets}, Topic: testState, Count: -1, When: func(r kmsg.Request) bool {
		mu.Lock()
		defer mu.Unlock()
		req := r.(*kmsg.ListOffsetsRequest)
		if r == last || req.IsolationLevel != 1 || len(req.Topics) == 0 || len(req.Topics[0].Partitions) == 0 || req.Topics[0].Partitions[0].Timestamp != -1 {
			return false
		}
		last = r
		if asked++; asked == 2 {
			close(waiting)
		}
		return false
	}})
	type result struct {
		tasks map[int32]*task
		err   error
	}
	done := make(chan result, 1)
	go func() {
		tasks, err := f.e.restore(ctx, f.opts, []int32{0}, 3)
		done <- result{tasks, err}
	}()
	select {
	case <-waiting:
	case r := <-done:
		t.Fatalf("restore returned while a transaction on its partition was open: %+v", r)
	case <-ctx.Done():
		t.Fatal("the restore did not ask for the last stable offsets twice")
	}
	select {
	case r := <-done:
		t.Fatalf("restore returned while a transaction on its partition was open: %+v", r)
	default:
	}
	if err := tx.EndTransaction(ctx, kgo.TryCommit); err != nil {
		t.Fatal(err)
	}
	r := <-done
	if r.err != nil {
		t.Fatal(r.err)
	}
	st := r.tasks[0].t.Snapshot()
	if len(st.Rows) != 1 || st.Rows[0].Agg != (window.Sum{Total: 300, Count: 2}) || st.MaxEventTime != t0+minute {
		t.Fatalf("restored %+v, want the committed transaction's window (300, 2) and max event time %d", st, t0+minute)
	}
}

func TestReadLayout(t *testing.T) {
	tests := []struct {
		name  string
		state int32
		err   string
	}{
		{"same partition count", 3, ""},
		{"a state topic of the first layout", 1, "has 1 partitions but the repartition topic repartition has 3"},
		{"more state partitions", 6, "has 6 partitions"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newRestoreFixture(t, tt.state)
			if err := topics.Ensure(testContext(t), f.client(t), topics.Spec{Name: f.e.cfg.SalesTopic, Partitions: 2}); err != nil {
				t.Fatal(err)
			}
			sales, n, err := f.e.readLayout(testContext(t), f.opts)
			if tt.err == "" {
				if err != nil || n != 3 || sales != 2 {
					t.Fatalf("readLayout = %d, %d, %v; want 2 sales and 3 repartition partitions", sales, n, err)
				}
				return
			}
			var fatal *fatalError
			if !errors.As(err, &fatal) || !strings.Contains(err.Error(), tt.err) || !strings.Contains(err.Error(), "--state-topic") {
				t.Fatalf("readLayout error = %v, want a fatal error saying %q and what to do", err, tt.err)
			}
		})
	}
}

// TestEnsureTopics: the repartition and state topics get the sales
// topic's partition count, or --partitions when the sales topic is new.
func TestEnsureTopics(t *testing.T) {
	tests := []struct {
		name     string
		existing int32 // partitions of an existing sales topic; 0 for none
		want     int32
	}{
		{"new sales topic", 0, 4},
		{"existing sales topic", 1, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cl := kafkatest.Client(t, kafkatest.Cluster(t).ListenAddrs())
			ctx := testContext(t)
			cfg := DefaultConfig()
			if tt.existing > 0 {
				if err := topics.Ensure(ctx, cl, topics.Spec{Name: cfg.SalesTopic, Partitions: tt.existing}); err != nil {
					t.Fatal(err)
				}
			}
			e, err := New(cfg, nil, nil, nil, nil)
			if err != nil {
				t.Fatal(err)
			}
			if err := topics.EnsureAlong(ctx, cl, topics.Spec{Name: cfg.SalesTopic, Partitions: 4}, e.Topics); err != nil {
				t.Fatal(err)
			}
			n, err := topics.Partitions(ctx, cl, cfg.SalesTopic, e.cfg.RepartitionTopic, cfg.StateTopic)
			if err != nil {
				t.Fatal(err)
			}
			for topic, got := range n {
				if got != tt.want {
					t.Errorf("%s has %d partitions, want %d", topic, got, tt.want)
				}
			}
			if e.cfg.RepartitionTopic != "salesstream-enricher-repartition" {
				t.Errorf("repartition topic %q, want the group's name + -repartition", e.cfg.RepartitionTopic)
			}
		})
	}
}

// TestRestoreWarnsOfChangedRegions: a state whose last settings record
// was written with another regions table is restored with a warning that
// names its partitions and both files; one whose last record has the same
// table, or that has none, is restored quietly.
func TestRestoreWarnsOfChangedRegions(t *testing.T) {
	europe, emea := map[string]string{"France": "Europe"}, map[string]string{"France": "EMEA"}
	for _, tc := range []struct {
		name  string
		built []map[string]string // the regions of the settings records, in order
		now   map[string]string
		warn  bool
	}{
		{"same regions", []map[string]string{europe}, europe, false},
		{"other regions", []map[string]string{europe}, emea, true},
		{"other regions, then the same: the last record counts", []map[string]string{emea, europe}, europe, false},
		{"the same, then other regions", []map[string]string{europe, emea}, europe, true},
		{"no settings record", nil, europe, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newRestoreFixture(t, 3)
			var logged bytes.Buffer
			cfg := f.e.cfg
			cfg.RegionsSource = "now.csv"
			cfg.Logger = slog.New(slog.NewTextHandler(&logged, nil))
			e, err := New(cfg, sales.NewRegions(tc.now), nil, nil, nil)
			if err != nil {
				t.Fatal(err)
			}
			recs := []*kgo.Record{windowRecord(1, "Europe", t0, &window.Sum{Total: 5, Count: 1}), f.metaRecord(1, 3, t0-10*minute, t0)}
			for _, built := range tc.built {
				cfg.RegionsSource = "built.csv"
				old, err := New(cfg, sales.NewRegions(built), nil, nil, nil)
				if err != nil {
					t.Fatal(err)
				}
				tk, err := old.newTask(1)
				if err != nil {
					t.Fatal(err)
				}
				recs = append(recs, old.settingsRecord(tk))
			}
			f.write(t, recs...)
			if _, err := e.restore(testContext(t), f.opts, []int32{0, 1}, 3); err != nil {
				t.Fatal(err)
			}
			out := logged.String()
			if got := strings.Contains(out, "the regions file differs"); got != tc.warn {
				t.Fatalf("warned %v, want %v:\n%s", got, tc.warn, out)
			}
			if tc.warn && (!strings.Contains(out, "state_partitions=[1]") || !strings.Contains(out, "built_with=built.csv") || !strings.Contains(out, "regions=now.csv")) {
				t.Errorf("the warning does not name the partition and both files:\n%s", out)
			}
		})
	}
}
