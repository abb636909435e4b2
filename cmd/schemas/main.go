// Command schemas registers the pipeline's six Avro schemas in Apicurio
// Registry, idempotently: an unchanged schema makes no new version.
//
//	schemas [--registry-url URL] [--validity FULL] [--compatibility BACKWARD]
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/salesstream/salesstream/pkg/cli"
	"github.com/salesstream/salesstream/pkg/config"
	"github.com/salesstream/salesstream/pkg/registrar"
	"github.com/salesstream/salesstream/pkg/registryconn"
	"github.com/salesstream/salesstream/pkg/schema"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "schemas:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("schemas", flag.ContinueOnError)
	set := config.New(fs)
	var rc registryconn.Config
	rc.Register(set)
	var rules registrar.Rules
	set.String(&rules.Validity, "validity", "FULL", "VALIDITY rule of every artifact: FULL, SYNTAX_ONLY, NONE, or empty to leave it", config.Env("SCHEMAS_VALIDITY"))
	set.String(&rules.Compatibility, "compatibility", "BACKWARD", "COMPATIBILITY rule of every artifact: BACKWARD, FORWARD, FULL (and _TRANSITIVE), NONE, or empty to leave it", config.Env("SCHEMAS_COMPATIBILITY"))
	var logging cli.Logging
	logging.Register(set)
	if done, err := (cli.Env{Stdout: stdout}).Setup(ctx, set, args); done || err != nil {
		return err
	}
	log, err := logging.Logger(os.Stderr)
	if err != nil {
		return err
	}
	reg, err := rc.Connect(ctx, log)
	if err != nil {
		return err
	}
	results, err := registrar.Register(ctx, reg, schema.Artifacts(), rules)
	if perr := registrar.Print(stdout, results); perr != nil && err == nil {
		err = perr
	}
	return err
}
