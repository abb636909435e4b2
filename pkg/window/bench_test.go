package window

import (
	"math/rand/v2"
	"runtime"
	"testing"
	"time"
)

var regions = []string{"Africa", "Asia", "Caribbean", "Central America", "Europe",
	"Middle East", "North America", "Oceania", "South America", "Unassigned"}

// benchStream is a repeating pattern of events: a key index and how far
// behind the stream's clock the event is (0, or 30 minutes for the 1% that
// are late).
type benchEvent struct {
	key  int
	back int64
}

func benchStream(n int) []benchEvent {
	r := rand.New(rand.NewPCG(7, 7))
	evs := make([]benchEvent, n)
	for i := range evs {
		evs[i].key = r.IntN(len(regions))
		if r.IntN(100) == 0 {
			evs[i].back = 30 * 60_000
		}
	}
	return evs
}

var referenceConfig = Config{Size: 10 * time.Minute, Slide: 5 * time.Minute, Delay: 10 * time.Minute}

const (
	benchStep    = 100 // ms of event time between events
	benchTrigger = 10_000
)

// BenchmarkReferenceShape is the enricher's reference workload: 10-minute
// windows sliding every 5 minutes, a 10-minute watermark, 10 regions, events
// in order but 1% late, a trigger every 10,000 events. One op is one event.
func BenchmarkReferenceShape(b *testing.B) {
	for _, mode := range []Mode{Update, Append} {
		b.Run(mode.String(), func(b *testing.B) {
			cfg := referenceConfig
			cfg.Mode = mode
			tab, err := New[string](cfg, AddSum)
			if err != nil {
				b.Fatal(err)
			}
			evs := benchStream(1 << 16)
			mask := len(evs) - 1
			var emitted int
			emit := func(Row[string, Sum]) { emitted++ }
			ts := time.Date(2021, 5, 10, 0, 0, 0, 0, time.UTC).UnixMilli()
			b.ReportAllocs()
			b.ResetTimer()
			for i := range b.N {
				e := evs[i&mask]
				tab.Add(regions[e.key], ts-e.back, 1)
				ts += benchStep
				if i%benchTrigger == benchTrigger-1 {
					tab.Trigger(emit)
				}
			}
			b.StopTimer()
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
			if b.N > 10*benchTrigger && emitted == 0 {
				b.Fatal("no rows emitted")
			}
		})
	}
}

// BenchmarkLongStream pushes 100 million events (about 115 days of event
// time) through a table per op and reports the rows held and the live heap
// after the first million events and at the end: both stay flat. Run it
// with -benchtime=1x.
func BenchmarkLongStream(b *testing.B) {
	const events = 100_000_000
	b.Run("regions", func(b *testing.B) {
		longStream(b, events, func(tab *Table[string, int64, Sum], i int, e benchEvent, ts int64) {
			tab.Add(regions[e.key], ts, 1)
		}, mustBench[string])
	})
	// Customer-like keys: 1,000 live at a time, replaced every hour of event
	// time, so keys come and go.
	b.Run("churning-keys", func(b *testing.B) {
		longStream(b, events, func(tab *Table[int64, int64, Sum], i int, e benchEvent, ts int64) {
			tab.Add(ts/3_600_000*1000+int64(i%1000), ts, 1)
		}, mustBench[int64])
	})
}

func mustBench[K comparable](b *testing.B) *Table[K, int64, Sum] {
	cfg := referenceConfig
	cfg.Mode = Update
	tab, err := New[K](cfg, AddSum)
	if err != nil {
		b.Fatal(err)
	}
	return tab
}

func longStream[K comparable](b *testing.B, events int, add func(*Table[K, int64, Sum], int, benchEvent, int64), mk func(*testing.B) *Table[K, int64, Sum]) {
	evs := benchStream(1 << 16)
	mask := len(evs) - 1
	heap := func() float64 {
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return float64(m.HeapAlloc)
	}
	var lenStart, lenEnd, heapStart, heapEnd float64
	for range b.N {
		tab := mk(b)
		ts := int64(0)
		for i := range events {
			e := evs[i&mask]
			add(tab, i, e, ts-e.back)
			ts += benchStep
			if i%benchTrigger == benchTrigger-1 {
				tab.Trigger(nil)
			}
			if i == 1_000_000 {
				b.StopTimer()
				lenStart, heapStart = float64(tab.Len()), heap()
				b.StartTimer()
			}
		}
		b.StopTimer()
		lenEnd, heapEnd = float64(tab.Len()), heap()
		runtime.KeepAlive(tab)
		b.StartTimer()
	}
	b.ReportMetric(lenStart, "len_start")
	b.ReportMetric(lenEnd, "len_end")
	b.ReportMetric(heapStart, "heap_start_B")
	b.ReportMetric(heapEnd, "heap_end_B")
	b.ReportMetric(float64(events)*float64(b.N)/b.Elapsed().Seconds(), "events/s")
}
