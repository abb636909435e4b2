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
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/salesstream/salesstream/internal/laptop/demo"
)

func main() {
	var (
		cfg     demo.Config
		verbose bool
	)
	demo.Flags(&cfg, &verbose).Parse(os.Args[1:])
	level := slog.LevelWarn
	if verbose {
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
