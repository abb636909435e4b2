package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/salesstream/salesstream/internal/platform/config"
	"github.com/salesstream/salesstream/internal/platform/ops"
)

// Runtime is what a binary's job gets once its settings are resolved.
type Runtime struct {
	Log *slog.Logger
	// Ops serves --http-addr; the job registers its metrics and
	// readiness there.
	Ops            *ops.Server
	Stdout, Stderr io.Writer
	// Status is the status line of standard error when it is a
	// terminal (nil otherwise); log lines print above it.
	Status *StatusLine
}

// Job is a binary's work, run once its settings are resolved.
type Job func(ctx context.Context, rt Runtime) error

// Main runs the binary called name. declare declares the binary's own
// settings in a set and returns its job; Main adds the shared settings
// (--log-level, --log-format, --http-addr, and Setup's), parses the command
// line, resolves every setting, starts the metrics and health server, and
// runs the job with a context that SIGINT and SIGTERM cancel. A failure
// prints "name: error" on standard error and exits 1, or with the code of
// an ExitError.
func Main(name string, declare func(*config.Set) Job) {
	Exit(name, func(ctx context.Context, args []string, stdout, stderr io.Writer) error {
		return run(ctx, name, declare, args, stdout, stderr)
	})
}

// Exit runs the program called name with the process's arguments and
// standard streams and a context that SIGINT and SIGTERM cancel, then
// exits: 0, or 1 after printing "name: error" on standard error.
func Exit(name string, main func(ctx context.Context, args []string, stdout, stderr io.Writer) error) {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := main(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", name, err)
		code := 1
		var ee *ExitError
		if errors.As(err, &ee) {
			code = ee.Code
		}
		os.Exit(code)
	}
}

// ExitError is a job's failure that exits with Code instead of 1.
type ExitError struct {
	Code int
	Err  error
}

// Error returns the wrapped error's message.
func (e *ExitError) Error() string { return e.Err.Error() }

// Unwrap returns the wrapped error.
func (e *ExitError) Unwrap() error { return e.Err }

func run(ctx context.Context, name string, declare func(*config.Set) Job, args []string, stdout, stderr io.Writer) error {
	set := config.New(flag.NewFlagSet(name, flag.ContinueOnError))
	job := declare(set)
	var (
		logging Logging
		oc      ops.Config
	)
	logging.Register(set)
	oc.Register(set)
	if done, err := (Env{Stdout: stdout, Stderr: stderr}).Setup(ctx, set, args); done || err != nil {
		return err
	}
	var status *StatusLine
	logTo := stderr
	if isTerminal(stderr) {
		status = NewStatusLine(stderr)
		logTo = status
	}
	log, err := logging.Logger(logTo)
	if err != nil {
		return err
	}
	srv := ops.New()
	if err := srv.Start(ctx, oc.Addr, log); err != nil {
		return err
	}
	return job(ctx, Runtime{Log: log, Ops: srv, Stdout: stdout, Stderr: stderr, Status: status})
}

// isTerminal reports whether w is a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
