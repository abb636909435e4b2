package kafkaconn

import (
	"log/slog"
	"strings"
	"testing"

	"github.com/twmb/franz-go/pkg/kgo"
)

// TestKgoLoggerReadable: franz-go's maps log as fields, not Go map dumps.
func TestKgoLoggerReadable(t *testing.T) {
	var b strings.Builder
	k := kgoLogger{slog.New(slog.NewTextHandler(&b, &slog.HandlerOptions{Level: slog.LevelDebug}))}
	k.Log(kgo.LogLevelWarn, "assigned", "with", map[string][]int32{"b": {1}, "a": {0, 2}}, "group", "g")
	out := b.String()
	if strings.Contains(out, "map[") || !strings.Contains(out, "with.a=\"[0 2]\"") && !strings.Contains(out, "with.a=[0 2]") {
		t.Errorf("logged %q", out)
	}
	if !strings.Contains(out, "group=g") {
		t.Errorf("logged %q", out)
	}
}
