// Command bench runs the project's benchmarks and measures the binaries
// against bare franz-go clients on the embedded stack, and writes the
// figures to BENCHMARKS.md.
//
//	go run ./cmd/bench [-long] [-out BENCHMARKS.md] [-only ceiling,memory,...]
//
// With -only it measures the named sections alone and prints their report
// instead of rewriting the file.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"

	"github.com/salesstream/salesstream/internal/laptop/bench"
)

func main() {
	cfg := bench.Config{Command: "go run ./cmd/bench"}
	flag.StringVar(&cfg.Out, "out", "BENCHMARKS.md", "report file")
	flag.BoolVar(&cfg.Long, "long", false, "add the 10M-sale backlog (takes much longer)")
	only := flag.String("only", "", "measure only these comma-separated sections ("+strings.Join(bench.Sections, ", ")+") and print the report instead of writing it")
	flag.Parse()
	var err error
	if cfg.Only, err = bench.ParseSections(*only); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(2)
	}
	cfg.Stdout = os.Stdout
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err = bench.Run(ctx, cfg, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
	if len(cfg.Only) == 0 {
		fmt.Println("wrote", cfg.Out)
	}
}
