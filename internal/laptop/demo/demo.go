// Package demo tells the whole story in one process: it starts the
// embedded stack, registers the schemas, runs the producer and the enricher
// concurrently on the project's data (event times shifted to now and sped
// up), and prints the reader's table. With Serve it also serves the
// enricher's dashboard, and keeps it up until it is stopped.
package demo

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/salesstream/salesstream/internal/app"
	"github.com/salesstream/salesstream/internal/app/enricherapp"
	"github.com/salesstream/salesstream/internal/app/producerapp"
	"github.com/salesstream/salesstream/internal/app/readerapp"
	"github.com/salesstream/salesstream/internal/domain/sales"
	"github.com/salesstream/salesstream/internal/domain/schema"
	"github.com/salesstream/salesstream/internal/laptop/devstack"
	"github.com/salesstream/salesstream/internal/pipeline/audit"
	"github.com/salesstream/salesstream/internal/pipeline/enricher"
	"github.com/salesstream/salesstream/internal/pipeline/producer"
	"github.com/salesstream/salesstream/internal/pipeline/reader"
	"github.com/salesstream/salesstream/internal/pipeline/registrar"
	"github.com/salesstream/salesstream/internal/platform/kafkaconn"
	"github.com/salesstream/salesstream/internal/platform/ops"
	"github.com/salesstream/salesstream/pkg/registry"
)

// Config tunes the demo.
type Config struct {
	// Sales and Regions are the input files.
	Sales, Regions string
	// Duration is how long the replay of Sales takes: the original
	// spacing is sped up to fit.
	Duration time.Duration
	// Trigger is the enricher's trigger interval.
	Trigger time.Duration
	// Limit bounds the rows printed (0: all).
	Limit int
	// DataDir keeps the stack's data; empty keeps it in memory.
	DataDir string
	// Serve serves the enricher's dashboard on HTTPAddr (host:port; port
	// 0 picks a free one) and, once the story is told, keeps it and the
	// enricher up until ctx ends (Ctrl-C).
	Serve    bool
	HTTPAddr string
	Out      io.Writer
	Logger   *slog.Logger
}

// Run runs the demo.
func Run(ctx context.Context, cfg Config) error {
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	out := cfg.Out
	span, rows, err := spanOf(cfg.Sales)
	if err != nil {
		return err
	}
	speedup := 1.0
	if cfg.Duration > 0 && span > cfg.Duration {
		speedup = float64(span) / float64(cfg.Duration)
	}

	p, err := devstack.StartPipeline(ctx, devstack.Config{KafkaAddr: "127.0.0.1:0", RegistryAddr: "127.0.0.1:0", DataDir: cfg.DataDir, Logger: log},
		registrar.DefaultRules(), registry.WithLogger(log))
	if err != nil {
		return err
	}
	stack, reg := p.Stack, p.Registry
	defer stack.Close()
	fmt.Fprintf(out, "embedded stack: Kafka %v, registry %s\n\n", stack.Brokers(), stack.RegistryURL())
	registrar.Print(out, p.Registered)
	clients := app.Clients{
		Kafka:    kafkaconn.Config{Brokers: stack.Brokers(), ClientID: "salesstream-demo", Logger: log},
		Registry: reg,
		Logger:   log,
	}

	ecfg := enricher.DefaultConfig()
	ecfg.Trigger = cfg.Trigger
	// The replay runs the event clock thousands of times faster than the
	// wall clock, so the 10m watermark delay is a few milliseconds of
	// wall time: a micro-batch that reads one partition further than
	// another makes the other's next sales late, as Spark would. Keep
	// them, so that the audit accounts for each.
	ecfg.LateTopic = schema.LateTopic
	var srv *ops.Server
	if cfg.Serve {
		srv = ops.New()
		if err := srv.Start(ctx, cfg.HTTPAddr, nil); err != nil {
			return err
		}
		fmt.Fprintf(out, "\ndashboard: http://%s/ (progress at /progress, metrics at /metrics; the registry's pages at %s/ui)\n", srv.Addr(), stack.RegistryURL())
	}
	started := make(chan *enricher.Enricher, 1)
	ectx, stopEnricher := context.WithCancel(ctx)
	defer stopEnricher()
	edone := make(chan error, 1)
	go func() {
		_, err := enricherapp.Job{Clients: clients, Regions: cfg.Regions, Enricher: ecfg, Ops: srv,
			Started: func(e *enricher.Enricher) { started <- e }}.Run(ectx)
		edone <- err
	}()
	var e *enricher.Enricher
	select {
	case e = <-started:
	case err := <-edone:
		return fmt.Errorf("enricher: %w", err)
	case <-ctx.Done():
		return ctx.Err()
	}

	fmt.Fprint(out, header(rows, span, cfg.Duration, speedup, cfg.Trigger))
	pcfg := producer.Config{EventTime: producer.Shifted, Speedup: speedup}
	quarter := int64(0)
	pcfg.Progress = func(st producer.Stats) {
		if q := 4 * st.Sent / int64(max(rows, 1)); q > quarter && q < 4 {
			quarter = q
			fmt.Fprintf(out, "  sent %d of %d sales; enricher committed %d\n", st.Sent, rows, e.Stats().Consumed)
		}
	}
	st, err := producerapp.Job{Clients: clients, Input: cfg.Sales, Producer: pcfg}.Run(ctx)
	if err != nil {
		return fmt.Errorf("producer: %w", err)
	}
	fmt.Fprintf(out, "producer: sent %d sales, %d bad rows, in %v\n", st.Sent, st.Bad, st.Elapsed.Round(time.Millisecond))

	// Wait until the enricher has committed every sale and windowed every
	// sale it forwarded (stage 2 reads them one trigger later), then stop it.
	deadline := time.NewTimer(time.Minute + 3*cfg.Trigger)
	defer deadline.Stop()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		es := e.Stats()
		if es.Consumed >= st.Sent && es.Windowed >= es.Repartitioned {
			break
		}
		select {
		case <-tick.C:
		case err := <-edone:
			return fmt.Errorf("enricher stopped: %w", err)
		case <-deadline.C:
			return fmt.Errorf("enricher committed %d of %d sales within the deadline", es.Consumed, st.Sent)
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	if !cfg.Serve {
		stopEnricher()
		if err := <-edone; err != nil && !errors.Is(err, context.Canceled) {
			return fmt.Errorf("enricher: %w", err)
		}
	}
	es := e.Stats()
	fmt.Fprintf(out, "enricher: %d sales in %d micro-batches, %d late, %d dead-lettered, %d summary rows written\n",
		es.Consumed, es.Batches, es.Late, es.Dead, es.Rows)
	if es.Late > 0 {
		fmt.Fprintf(out, "  (late: at %.0fx the 10m watermark delay is %v of wall time, so a partition read a little behind the others makes late sales; they are kept on %s)\n",
			speedup, (10 * time.Minute / time.Duration(max(speedup, 1))).Round(time.Microsecond), schema.LateTopic)
	}

	res, err := readerapp.Job{Clients: clients, Topic: schema.SummaryTopic}.Run(ctx)
	if err != nil {
		return fmt.Errorf("reader: %w", err)
	}
	fmt.Fprintf(out, "  (update mode writes a window's row again at each micro-batch that changes it; the compacted topic keeps the latest: %d distinct (region, window) rows)\n\n", len(res.Rows))
	fmt.Fprintf(out, "%s: %d (region, window) rows, latest windows first\n", schema.SummaryTopic, len(res.Rows))
	if err := reader.Write(out, res.Rows, reader.Table, cfg.Limit); err != nil {
		return err
	}
	auditErr := auditSummary(ctx, out, clients, cfg.Regions, ecfg)
	if !cfg.Serve {
		return auditErr
	}
	if auditErr != nil {
		// Keep the dashboard up and say what the audit found: a user
		// looks at the dashboard most when the audit disagrees. The
		// demo still fails with it when stopped.
		fmt.Fprintln(out, auditErr)
	}
	return errors.Join(auditErr, serveUntilDone(ctx, out, srv.Addr(), stopEnricher, edone))
}

// serveUntilDone keeps the dashboard and the enricher up until ctx ends,
// then stops the enricher.
func serveUntilDone(ctx context.Context, out io.Writer, addr string, stop func(), done <-chan error) error {
	fmt.Fprintf(out, "\nthe dashboard stays up at http://%s/ with the enricher running; Ctrl-C to stop\n", addr)
	select {
	case <-ctx.Done():
	case err := <-done:
		return fmt.Errorf("enricher stopped: %w", err)
	}
	stop()
	if err := <-done; err != nil && !errors.Is(err, context.Canceled) {
		return fmt.Errorf("enricher: %w", err)
	}
	return nil
}

// auditSummary checks the summary table against the input, as reader
// --audit does, and prints the verdict line.
func auditSummary(ctx context.Context, out io.Writer, clients app.Clients, regions string, ecfg enricher.Config) error {
	v, err := readerapp.AuditJob{Clients: clients, Regions: regions, Audit: audit.Config{
		Group: ecfg.Group, StateTopic: ecfg.StateTopic, SummaryTopic: ecfg.SummaryTopic,
	}}.Run(ctx)
	if err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	fmt.Fprintf(out, "\n%s\n", v.Line())
	if !v.OK() {
		var b strings.Builder
		v.Write(&b)
		return fmt.Errorf("the summary table is not what the input makes it:\n%s", b.String())
	}
	return nil
}

// header tells what the replay does: how many sales, what re-based means
// (the first sale happens now and the others follow at their original
// spacing, so the windows of a file spanning days run days ahead of now),
// and the enricher's settings.
func header(rows int, span, duration time.Duration, speedup float64, trigger time.Duration) string {
	return fmt.Sprintf("\nreplaying %d sales in about %v, %.0fx faster than they happened; enricher: 10m windows sliding 5m, watermark 10m, trigger %v\n"+
		"event times are re-based to now: the first sale happens now and the others follow at their original spacing; "+
		"the data spans %v, so its last windows are %v (%s) ahead of now\n",
		rows, duration, speedup, trigger, span.Round(time.Minute), span.Round(time.Minute), days(span))
}

func days(d time.Duration) string {
	return fmt.Sprintf("%.1f days", d.Hours()/24)
}

// Flags declares the demo's flags in a flag set named demo, so that -h
// prints "Usage of demo".
func Flags(cfg *Config, verbose *bool) *flag.FlagSet {
	fs := flag.NewFlagSet("demo", flag.ExitOnError)
	fs.StringVar(&cfg.Sales, "input", app.DefaultSalesCSV, "sales CSV to replay")
	fs.StringVar(&cfg.Regions, "regions", app.DefaultRegionsCSV, "regions CSV")
	fs.DurationVar(&cfg.Duration, "duration", 20*time.Second, "how long the replay takes")
	fs.DurationVar(&cfg.Trigger, "trigger", time.Second, "the enricher's trigger interval")
	fs.IntVar(&cfg.Limit, "limit", 40, "rows of the table printed (0: all)")
	fs.BoolVar(&cfg.Serve, "serve", false, "serve the enricher's live dashboard, print its address, and keep it up until Ctrl-C")
	fs.StringVar(&cfg.HTTPAddr, "http-addr", "127.0.0.1:0", "with --serve: host:port of the dashboard (port 0 picks a free one)")
	fs.BoolVar(verbose, "v", false, "log what the jobs do")
	return fs
}

// spanOf returns the time between the first and last sale of a CSV, and
// its number of rows.
func spanOf(path string) (time.Duration, int, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, 0, fmt.Errorf("open %s: %w", path, err)
	}
	defer f.Close()
	csvSchema, err := schema.Parse(schema.SalesCSV)
	if err != nil {
		return 0, 0, err
	}
	header, err := schema.FieldNames(csvSchema)
	if err != nil {
		return 0, 0, err
	}
	r, err := sales.NewReader(f, header)
	if err != nil {
		return 0, 0, fmt.Errorf("%s: %w", path, err)
	}
	var first, last time.Time
	n := 0
	for {
		s, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			continue
		}
		if n == 0 {
			first = s.PaymentDate
		}
		last = s.PaymentDate
		n++
	}
	return last.Sub(first), n, nil
}
