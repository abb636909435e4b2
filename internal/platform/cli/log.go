package cli

import (
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/salesstream/salesstream/internal/platform/config"
)

// Logging is the binaries' log settings.
type Logging struct {
	Level  string
	Format string
}

// Register declares --log-level and --log-format in set, checked with the
// other settings (so --print-config refuses what a run would).
func (l *Logging) Register(set *config.Set) {
	set.String(&l.Level, "log-level", "info", "debug, info, warn or error", config.Env("LOG_LEVEL"))
	set.String(&l.Format, "log-format", "text", "text or json", config.Env("LOG_FORMAT"))
	set.Check(func() error {
		_, err := l.Logger(io.Discard)
		return err
	})
}

// Logger returns a logger writing to w as configured.
func (l Logging) Logger(w io.Writer) (*slog.Logger, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(l.Level)); err != nil {
		return nil, fmt.Errorf("--log-level %q: want debug, info, warn or error", l.Level)
	}
	opts := &slog.HandlerOptions{Level: level}
	switch strings.ToLower(l.Format) {
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("--log-format %q: want text or json", l.Format)
}
