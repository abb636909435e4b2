package bench

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"

	"github.com/salesstream/salesstream/internal/domain/money"
	"github.com/salesstream/salesstream/internal/domain/sales"
	"github.com/salesstream/salesstream/internal/domain/schema"
)

// Scale is the time instances enrichers in one group, streaming with
// --trigger 100ms, took to work off a backlog, and their peak RSS.
type Scale struct {
	Instances int
	Sales     int64
	Took      time.Duration
	RSS       []int64
}

func runScale(ctx context.Context, bin, dir string, instances int, n int64) (Scale, error) {
	s := Scale{Instances: instances, Sales: n}
	e, err := newEnv(ctx, bin, dir)
	if err != nil {
		return s, err
	}
	defer e.close()
	if _, err := e.bareProduce(ctx, schema.SalesTopic, int(n), refSales(42)); err != nil {
		return s, err
	}
	s.RSS, s.Took, err = e.enrichGroup(ctx, "bench-scale", instances, n, n, "--trigger", "100ms")
	return s, err
}

// Windows is what the enricher's state costs with Rows open (region,
// window) rows: the peak RSS of the --once run that built them, and the
// time from the start of a streaming enricher in the same group until it
// has restored the tables of all three repartition partitions from the
// changelog, with its peak RSS by then.
type Windows struct {
	Rows                  int
	Build                 time.Duration
	BuildRSS              int64
	Restart               time.Duration
	RestartRSS            int64
	Regions, SalesWritten int
	// Written counts the offsets the build wrote to the summary and
	// state topics (rows, changelog records and commit markers): in
	// update mode a row is written again in every micro-batch that
	// changes it.
	Written int64
}

// manyRegions makes sales over regions countries, each its own region,
// one per region and 5-minute slot over slots slots: each region then has
// slots+1 open 10-minute windows sliding every 5 minutes.
type manyRegions struct {
	regions, slots, i int
	rng               *rand.Rand
	base              time.Time
}

func (m *manyRegions) Next() sales.Sale {
	r, slot := m.i%m.regions, m.i/m.regions%m.slots
	m.i++
	return sales.Sale{PaymentID: int32(m.i), CustomerID: int32(m.rng.IntN(600)), Amount: money.Cents(100 + m.rng.IntN(900)),
		PaymentDate: m.base.Add(time.Duration(slot)*5*time.Minute + time.Minute), Country: fmt.Sprintf("C%06d", r)}
}

func runWindows(ctx context.Context, bin, dir string, rows int) (Windows, error) {
	const slots = 9
	w := Windows{Rows: rows, Regions: rows / (slots + 1)}
	w.SalesWritten = w.Regions * slots
	e, err := newEnv(ctx, bin, dir)
	if err != nil {
		return w, err
	}
	defer e.close()
	e.regions = filepath.Join(dir, fmt.Sprintf("regions-%d.csv", w.Regions))
	f, err := os.Create(e.regions)
	if err != nil {
		return w, err
	}
	fmt.Fprintln(f, `"country","region"`)
	for i := range w.Regions {
		fmt.Fprintf(f, "C%06d,R%06d\n", i, i)
	}
	if err := f.Close(); err != nil {
		return w, err
	}
	src := &manyRegions{regions: w.Regions, slots: slots, rng: rand.New(rand.NewPCG(3, 4)), base: time.Date(2023, 1, 2, 0, 0, 0, 0, time.UTC)}
	if _, err := e.bareProduce(ctx, schema.SalesTopic, w.SalesWritten, src); err != nil {
		return w, err
	}
	// A watermark far behind keeps every window open.
	if w.Build, w.BuildRSS, err = e.enrichOnce(ctx, "bench-windows", int64(w.SalesWritten), "--watermark", "100000h"); err != nil {
		return w, err
	}
	if w.Written, err = e.written(ctx, schema.SummaryTopic, "bench-windows-state"); err != nil {
		return w, err
	}
	c, err := e.start(ctx, "enricher", append(e.groupArgs("bench-windows"), "--watermark", "100000h", "--trigger", "100ms", "--log-level", "info")...)
	if err != nil {
		return w, err
	}
	defer c.cmd.Process.Kill()
	err = waitFor(ctx, c, "restoring its state", func() (bool, error) {
		return strings.Count(c.out.String(), "window state restored") >= 3, nil
	})
	w.Restart = time.Since(c.start)
	if err != nil {
		return w, err
	}
	w.RestartRSS = c.hwm.Load()
	if _, err := c.stop(); err != nil {
		return w, err
	}
	return w, nil
}

// written sums the end offsets of topics.
func (e *env) written(ctx context.Context, topics ...string) (int64, error) {
	cl, err := e.client()
	if err != nil {
		return 0, err
	}
	defer cl.Close()
	adm := kadm.NewClient(cl)
	var n int64
	for _, t := range topics {
		m, err := ends(ctx, adm, t)
		if err != nil {
			return 0, err
		}
		n += m
	}
	return n, nil
}
