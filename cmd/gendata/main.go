// Command gendata writes the project's data files, data/sales.csv and
// data/regions.csv, from the deterministic generator in internal/domain/datagen.
//
//	go run ./cmd/gendata            # rewrites data/ identically
//	go run ./cmd/gendata -rows 100000 -out /tmp/big.csv
package main

import (
	"flag"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/salesstream/salesstream/internal/domain/datagen"
)

func main() {
	dir := flag.String("dir", "data", "directory of sales.csv and regions.csv")
	out := flag.String("out", "", "write the sales CSV here instead of <dir>/sales.csv, and no regions file")
	rows := flag.Int("rows", 1800, "number of sales rows")
	seed := flag.Uint64("seed", 2022, "random seed")
	start := flag.String("start", "2022-05-02T00:00:00Z", "event time of the first sale is at or after this (RFC 3339)")
	gap := flag.Duration("gap", 144*time.Second, "mean time between sales")
	flag.Parse()
	if err := run(*dir, *out, *rows, *seed, *start, *gap); err != nil {
		slog.Error("gendata failed", "err", err)
		os.Exit(1)
	}
}

func run(dir, out string, rows int, seed uint64, start string, gap time.Duration) error {
	t0, err := time.Parse(time.RFC3339, start)
	if err != nil {
		return fmt.Errorf("--start: %w", err)
	}
	salesPath := out
	if salesPath == "" {
		salesPath = filepath.Join(dir, "sales.csv")
		if err := writeFile(filepath.Join(dir, "regions.csv"), func(f *os.File) error { return datagen.WriteRegions(f) }); err != nil {
			return err
		}
	}
	g := datagen.New(seed, t0, gap)
	if err := writeFile(salesPath, func(f *os.File) error { return datagen.WriteSales(f, g, rows) }); err != nil {
		return err
	}
	fmt.Printf("wrote %d sales to %s\n", rows, salesPath)
	return nil
}

func writeFile(path string, fill func(*os.File) error) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("create %s: %w", filepath.Dir(path), err)
	}
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("create %s: %w", path, err)
	}
	if err := fill(f); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	return f.Close()
}
