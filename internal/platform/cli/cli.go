// Package cli is the common start of every salesstream binary. Setup
// declares the settings all binaries share (--ssm-prefix, the AWS settings
// of package awsx, --print-config), parses the command line, resolves each
// setting from its flag, environment variable, SSM parameter or default,
// and prints the resolved configuration when asked. A binary declares its
// own settings in a config.Set, then calls Setup once:
//
//	if done, err := cli.Setup(ctx, set, os.Args[1:]); done || err != nil {
//		return err
//	}
package cli

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"

	"github.com/salesstream/salesstream/internal/platform/awsx"
	"github.com/salesstream/salesstream/internal/platform/config"
)

// Env is what Setup uses besides the command line. The zero value is the
// process's own: standard output, the environment, slog.Default().
type Env struct {
	// Stdout receives the --print-config output.
	Stdout io.Writer
	// Stderr receives the usage that -h asks for.
	Stderr io.Writer
	// LookupEnv reads environment variables.
	LookupEnv func(string) (string, bool)
	// Logger receives Setup's log lines.
	Logger *slog.Logger
}

// Setup is Env{}.Setup.
func Setup(ctx context.Context, set *config.Set, args []string) (done bool, err error) {
	return Env{}.Setup(ctx, set, args)
}

// Setup declares the shared settings in set, parses args, and resolves
// every setting of set: from flags, then the environment, then, when
// --ssm-prefix is given, SSM Parameter Store under that prefix (read with
// the AWS settings, themselves resolved from flags and environment first),
// then defaults; then it runs the checks of set (config.Set.Check), so that
// settings a run would refuse are refused, --print-config too. It returns
// done when the binary should exit successfully without running:
// --print-config printed the configuration, or -h printed the usage.
func (e Env) Setup(ctx context.Context, set *config.Set, args []string) (done bool, err error) {
	aws := awsx.Settings(set)
	var prefix string
	set.String(&prefix, "ssm-prefix", "", "read unset settings from SSM Parameter Store under this path, such as /kafka_spark_demo",
		config.Env("SSM_PREFIX"))
	return e.setup(ctx, set, args, func(ctx context.Context, lookup func(string) (string, bool), log *slog.Logger) error {
		if prefix == "" {
			return nil
		}
		cfg, err := aws.Load(ctx)
		if err != nil {
			return fmt.Errorf("--ssm-prefix %s: %w", prefix, err)
		}
		store, err := awsx.NewSSMStore(cfg, prefix)
		if err != nil {
			return err
		}
		store.Logger = log
		return set.Resolve(ctx, lookup, store)
	})
}

// SetupLocal is Setup for a program that reads no parameter store, such
// as the devstack: settings come from flags, the environment and defaults,
// with --print-config and the same errors.
func (e Env) SetupLocal(ctx context.Context, set *config.Set, args []string) (done bool, err error) {
	return e.setup(ctx, set, args, nil)
}

// setup declares --print-config, parses args, resolves set from the
// environment, then with store (if not nil), checks the settings and
// prints them when asked.
func (e Env) setup(ctx context.Context, set *config.Set, args []string,
	store func(context.Context, func(string) (string, bool), *slog.Logger) error) (done bool, err error) {
	stdout, stderr, lookup, log := e.Stdout, e.Stderr, e.LookupEnv, e.Logger
	if stdout == nil {
		stdout = os.Stdout
	}
	if stderr == nil {
		stderr = os.Stderr
	}
	if lookup == nil {
		lookup = os.LookupEnv
	}
	if log == nil {
		log = slog.Default()
	}
	var print bool
	set.Bool(&print, "print-config", false, "print the resolved configuration (secrets masked) and where each value came from, then exit")

	if done, err := parse(set.FlagSet(), args, stderr); done || err != nil {
		return done, err
	}
	if err := set.Resolve(ctx, lookup, nil); err != nil {
		return false, err
	}
	if store != nil {
		if err := store(ctx, lookup, log); err != nil {
			return false, err
		}
	}
	log.Debug("configuration resolved", "settings", set)
	if err := set.Validate(); err != nil {
		return false, err
	}
	if print {
		if err := set.Print(stdout); err != nil {
			return false, fmt.Errorf("print the configuration: %w", err)
		}
		return true, nil
	}
	return false, nil
}
