// Command bench runs the project's benchmarks and an end-to-end pipeline
// run, and writes the figures to BENCHMARKS.md.
//
//	go run ./cmd/bench [-events 200000] [-out BENCHMARKS.md]
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"

	"github.com/salesstream/salesstream/internal/laptop/bench"
)

func main() {
	cfg := bench.Config{Command: "go run ./cmd/bench"}
	flag.StringVar(&cfg.Out, "out", "BENCHMARKS.md", "report file")
	flag.IntVar(&cfg.Events, "events", 200_000, "sales in the end-to-end run")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := bench.Run(ctx, cfg, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
	fmt.Println("wrote", cfg.Out)
}
