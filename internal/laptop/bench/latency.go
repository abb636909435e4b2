package bench

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/salesstream/salesstream/internal/app"
	"github.com/salesstream/salesstream/internal/domain/datagen"
	"github.com/salesstream/salesstream/internal/domain/schema"
)

// Latency is the time from a sale's send to the moment a read_committed
// consumer of the summary topic sees a row that counts it.
type Latency struct {
	Rate     int // sales per second sent
	Sent     int
	Seen     int // sales whose row was seen before the run ended
	P50, P99 time.Duration
}

// windowKey is a summary row's key.
type windowKey struct {
	region string
	start  int64
}

// runLatency runs a streaming enricher with --trigger 100ms and sends
// sales at rate per second for d, with event time now. A sale is
// visible when a row of its newest window (10-minute windows sliding
// every 5) counts it: rows carry counts, so the row with orders k of a
// window shows that window's first k sales sent. (Sales of one window
// that reach the enricher out of order across partitions make this an
// approximation of a few milliseconds.)
func runLatency(ctx context.Context, bin, dir string, rate int, d time.Duration) (Latency, error) {
	l := Latency{Rate: rate}
	e, err := newEnv(ctx, bin, dir)
	if err != nil {
		return l, err
	}
	defer e.close()
	const group = "bench-latency"
	c, err := e.start(ctx, "enricher", append(e.groupArgs(group), "--trigger", "100ms")...)
	if err != nil {
		return l, err
	}
	defer c.stop()
	cl, err := e.client()
	if err != nil {
		return l, err
	}
	defer cl.Close()
	// Warm up: old sales, so their windows are not the measured ones,
	// until the enricher has committed them.
	if _, err := e.bareProduce(ctx, schema.SalesTopic, 1000, refSales(7)); err != nil {
		return l, err
	}
	adm := kadm.NewClient(cl)
	if err := waitFor(ctx, c, "the warm-up", func() (bool, error) {
		n, err := committed(ctx, adm, group, schema.SalesTopic)
		return n >= 1000, err
	}); err != nil {
		return l, err
	}

	rd, err := e.client(kgo.ConsumeTopics(schema.SummaryTopic), kgo.ConsumeResetOffset(kgo.NewOffset().AtEnd()),
		kgo.FetchIsolationLevel(kgo.ReadCommitted()), kgo.FetchMaxWait(20*time.Millisecond))
	if err != nil {
		return l, err
	}
	defer rd.Close()
	var (
		mu    sync.Mutex
		sends = map[windowKey][]time.Time{}
		seen  = map[windowKey]int{}
		lat   []time.Duration
	)
	readCtx, stopRead := context.WithCancel(ctx)
	defer stopRead()
	readDone := make(chan error, 1)
	go func() {
		var v schema.SummaryValue
		for {
			fs := rd.PollFetches(readCtx)
			at := time.Now()
			if readCtx.Err() != nil {
				readDone <- nil
				return
			}
			for it := fs.RecordIter(); !it.Done(); {
				r := it.Next()
				if err := e.Serde.Decode(readCtx, r.Value, nil, false, &v); err != nil {
					readDone <- err
					return
				}
				k := windowKey{v.Region, v.WindowStart}
				mu.Lock()
				s := sends[k]
				for i := seen[k]; i < min(int(v.Orders), len(s)); i++ {
					lat = append(lat, at.Sub(s[i]))
				}
				seen[k] = max(seen[k], min(int(v.Orders), len(s)))
				mu.Unlock()
			}
		}
	}()

	keyEnc, valEnc, err := app.Encoders(ctx, e.Serde, schema.SalesTopic)
	if err != nil {
		return l, err
	}
	pr, err := e.client(kgo.RequiredAcks(kgo.AllISRAcks()), kgo.ProducerLinger(time.Millisecond),
		kgo.RecordPartitioner(kgo.StickyKeyPartitioner(nil)))
	if err != nil {
		return l, err
	}
	defer pr.Close()
	regions := datagen.Regions()
	gen := refSales(11)
	slide := (5 * time.Minute).Milliseconds()
	start := time.Now()
	var amt []byte
	for tick := time.NewTicker(time.Millisecond); time.Since(start) < d; <-tick.C {
		due := int(time.Since(start).Seconds()*float64(rate)) - l.Sent
		for range due {
			s := gen.Next()
			now := time.Now()
			s.PaymentDate = now.UTC()
			key, err := keyEnc.Append(nil, &schema.SaleKey{CustomerID: s.CustomerID})
			if err != nil {
				return l, err
			}
			v := schema.NewSaleValue(s, amt)
			amt = v.Amount
			val, err := valEnc.Append(nil, &v)
			if err != nil {
				return l, err
			}
			region, ok := regions[s.Country]
			if !ok {
				region = "Unassigned"
			}
			k := windowKey{region, now.UnixMilli() / slide * slide}
			mu.Lock()
			sends[k] = append(sends[k], now)
			mu.Unlock()
			pr.Produce(ctx, &kgo.Record{Topic: schema.SalesTopic, Key: key, Value: val}, nil)
			l.Sent++
		}
	}
	if err := pr.Flush(ctx); err != nil {
		return l, err
	}
	// Give the last sales a few triggers to show.
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		mu.Lock()
		n := len(lat)
		mu.Unlock()
		if n >= l.Sent {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	stopRead()
	if err := <-readDone; err != nil {
		return l, fmt.Errorf("read summaries: %w", err)
	}
	mu.Lock()
	defer mu.Unlock()
	l.Seen = len(lat)
	if len(lat) == 0 {
		return l, fmt.Errorf("no sale became visible in the summary topic:\n%s", c.out.String())
	}
	slices.Sort(lat)
	l.P50, l.P99 = lat[len(lat)/2], lat[len(lat)*99/100]
	return l, nil
}
