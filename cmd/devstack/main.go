// Command devstack runs the embedded stack: a Kafka broker and an
// Apicurio-compatible registry in one process, keeping their data under
// --data-dir so that a restart loses nothing. Ctrl-C stops it cleanly.
//
//	devstack [--kafka-addr 127.0.0.1:9092] [--registry-addr 127.0.0.1:8080] [--data-dir .devstack]
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/salesstream/salesstream/internal/laptop/devstack"
)

func main() {
	kafkaAddr := flag.String("kafka-addr", devstack.DefaultKafkaAddr, "Kafka listener host:port")
	registryAddr := flag.String("registry-addr", devstack.DefaultRegistryAddr, "registry listener host:port")
	dataDir := flag.String("data-dir", ".devstack", "directory of the broker's log and the registry's journal; empty keeps them in memory")
	verbose := flag.Bool("v", false, "log registry requests and broker events")
	flag.Parse()

	level := slog.LevelWarn
	if *verbose {
		level = slog.LevelDebug
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	s, err := devstack.Start(ctx, devstack.Config{KafkaAddr: *kafkaAddr, RegistryAddr: *registryAddr, DataDir: *dataDir, Logger: log})
	if err != nil {
		fmt.Fprintln(os.Stderr, "devstack:", err)
		os.Exit(1)
	}
	where := *dataDir
	if where == "" {
		where = "memory (lost on exit)"
	}
	fmt.Printf("salesstream devstack is up; data in %s\n", where)
	fmt.Printf("  Kafka brokers:  %s\n", s.Brokers()[0])
	fmt.Printf("  Registry:       %s  (Apicurio v3: /apis/registry/v3, v2: /apis/registry/v2, Confluent: /apis/ccompat/v7)\n", s.RegistryURL())
	fmt.Println("Press Ctrl-C to stop.")
	<-ctx.Done()
	fmt.Println("stopping...")
	if err := s.Close(); err != nil {
		fmt.Fprintln(os.Stderr, "devstack: stop:", err)
		os.Exit(1)
	}
}
