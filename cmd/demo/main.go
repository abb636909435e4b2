// Command demo runs the whole pipeline in one process and one command: it
// starts the embedded stack, registers the schemas, replays data/sales.csv
// (event times shifted to now, sped up to take about --duration) while the
// enricher aggregates it, and prints the summary table; with --serve it
// serves the enricher's live dashboard and keeps it up until Ctrl-C.
//
//	go run ./cmd/demo [--serve [--http-addr 127.0.0.1:8088]]
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/salesstream/salesstream/internal/app"
	"github.com/salesstream/salesstream/internal/laptop/demo"
)

func main() {
	var cfg demo.Config
	flag.StringVar(&cfg.Sales, "input", app.DefaultSalesCSV, "sales CSV to replay")
	flag.StringVar(&cfg.Regions, "regions", app.DefaultRegionsCSV, "regions CSV")
	flag.DurationVar(&cfg.Duration, "duration", 20*time.Second, "how long the replay takes")
	flag.DurationVar(&cfg.Trigger, "trigger", time.Second, "the enricher's trigger interval")
	flag.IntVar(&cfg.Limit, "limit", 40, "rows of the table printed (0: all)")
	flag.BoolVar(&cfg.Serve, "serve", false, "serve the enricher's live dashboard, print its address, and keep it up until Ctrl-C")
	flag.StringVar(&cfg.HTTPAddr, "http-addr", "127.0.0.1:0", "with --serve: host:port of the dashboard (port 0 picks a free one)")
	verbose := flag.Bool("v", false, "log what the jobs do")
	flag.Parse()
	level := slog.LevelWarn
	if *verbose {
		level = slog.LevelInfo
	}
	cfg.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	cfg.Out = os.Stdout
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := demo.Run(ctx, cfg); err != nil {
		fmt.Fprintln(os.Stderr, "demo:", err)
		os.Exit(1)
	}
}
