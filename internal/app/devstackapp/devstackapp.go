// Package devstackapp wires the devstack binary (cmd/devstack): its
// settings, from flags or the environment, and the embedded stack it keeps
// up until interrupted.
package devstackapp

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"

	"github.com/salesstream/salesstream/internal/laptop/devstack"
	"github.com/salesstream/salesstream/internal/platform/cli"
	"github.com/salesstream/salesstream/internal/platform/config"
)

// DefaultDataDir is where the devstack keeps its data unless told
// otherwise: remove it to start afresh.
const DefaultDataDir = ".devstack"

// Main runs the devstack binary until SIGINT or SIGTERM. A failure prints
// "devstack: error" on standard error and exits 1.
func Main() {
	cli.Exit("devstack", func(ctx context.Context, args []string, stdout, stderr io.Writer) error {
		return run(ctx, args, os.LookupEnv, stdout, stderr)
	})
}

// run resolves the settings from args and the environment, then runs the
// stack until ctx ends.
func run(ctx context.Context, args []string, lookupEnv func(string) (string, bool), stdout, stderr io.Writer) error {
	set := config.New(flag.NewFlagSet("devstack", flag.ContinueOnError))
	var cfg devstack.Config
	var verbose bool
	set.String(&cfg.KafkaAddr, "kafka-addr", devstack.DefaultKafkaAddr, "Kafka listener host:port", config.Env("DEVSTACK_KAFKA_ADDR"))
	set.String(&cfg.RegistryAddr, "registry-addr", devstack.DefaultRegistryAddr, "registry listener host:port", config.Env("DEVSTACK_REGISTRY_ADDR"))
	set.String(&cfg.DataDir, "data-dir", DefaultDataDir, "directory of the broker's log and the registry's journal (remove it to start afresh); empty keeps them in memory", config.Env("DEVSTACK_DATA_DIR"))
	set.Bool(&verbose, "v", false, "log registry requests and broker events", config.Env("DEVSTACK_VERBOSE"))
	if done, err := (cli.Env{Stdout: stdout, Stderr: stderr, LookupEnv: lookupEnv}).SetupLocal(ctx, set, args); done || err != nil {
		return err
	}
	level := slog.LevelWarn
	if verbose {
		level = slog.LevelDebug
	}
	cfg.Logger = slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	return serve(ctx, cfg, stdout)
}

// serve starts the stack, says where it listens, and stops it when ctx
// ends.
func serve(ctx context.Context, cfg devstack.Config, stdout io.Writer) error {
	s, err := devstack.Start(ctx, cfg)
	if err != nil {
		return err
	}
	where := cfg.DataDir
	if where == "" {
		where = "memory (lost on exit)"
	}
	fmt.Fprintf(stdout, "salesstream devstack is up; data in %s\n", where)
	fmt.Fprintf(stdout, "  Kafka brokers:  %s\n", s.Brokers()[0])
	fmt.Fprintf(stdout, "  Registry:       %s  (Apicurio v3: /apis/registry/v3, v2: /apis/registry/v2, Confluent: /apis/ccompat/v7)\n", s.RegistryURL())
	fmt.Fprintln(stdout, "Press Ctrl-C to stop.")
	<-ctx.Done()
	fmt.Fprintln(stdout, "stopping...")
	if err := s.Close(); err != nil {
		return fmt.Errorf("stop: %w", err)
	}
	return nil
}
