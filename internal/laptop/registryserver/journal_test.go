package registryserver

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func appendEvents(t *testing.T, j Journal, kinds ...string) {
	t.Helper()
	for _, g := range kinds {
		if err := j.Append(context.Background(), Event{Kind: EventGroupCreated, Time: time.Unix(0, 0).UTC(), GroupID: g}); err != nil {
			t.Fatalf("append: %v", err)
		}
	}
}

func replayGroups(t *testing.T, j Journal) ([]string, error) {
	t.Helper()
	var got []string
	err := j.Replay(context.Background(), func(e Event) error {
		got = append(got, e.GroupID)
		return nil
	})
	return got, err
}

func TestFileJournalRoundTrip(t *testing.T) {
	dir := t.TempDir()
	j, err := OpenFileJournal(dir)
	if err != nil {
		t.Fatal(err)
	}
	appendEvents(t, j, "a", "b", "c")
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	if err := j.Append(context.Background(), Event{Kind: EventGroupCreated, GroupID: "late"}); err == nil {
		t.Fatal("append after close succeeded")
	}
	j, err = OpenFileJournal(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	got, err := replayGroups(t, j)
	if err != nil || strings.Join(got, ",") != "a,b,c" {
		t.Fatalf("replay = %v, %v; want a,b,c", got, err)
	}
}

// TestFileJournalTornLastLine checks crash tolerance: an incomplete or
// unreadable last line is cut off, the events before it replay, and later
// appends follow on a clean line.
func TestFileJournalTornLastLine(t *testing.T) {
	tests := []struct {
		name string
		tail string
	}{
		{"half an event", `{"kind":"GroupCreated","groupId":"tor`},
		{"garbage with newline", "\x00\x00\x00\n"},
		{"event without kind", `{"groupId":"x"}` + "\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			j, err := OpenFileJournal(dir)
			if err != nil {
				t.Fatal(err)
			}
			appendEvents(t, j, "a", "b")
			j.Close()
			path := filepath.Join(dir, journalFile)
			f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := f.WriteString(tt.tail); err != nil {
				t.Fatal(err)
			}
			f.Close()

			j, err = OpenFileJournalWithLogger(dir, quietLogger())
			if err != nil {
				t.Fatal(err)
			}
			got, err := replayGroups(t, j)
			if err != nil || strings.Join(got, ",") != "a,b" {
				t.Fatalf("replay = %v, %v; want a,b", got, err)
			}
			appendEvents(t, j, "c")
			j.Close()
			j, err = OpenFileJournal(dir)
			if err != nil {
				t.Fatal(err)
			}
			defer j.Close()
			got, err = replayGroups(t, j)
			if err != nil || strings.Join(got, ",") != "a,b,c" {
				t.Fatalf("replay after repair = %v, %v; want a,b,c", got, err)
			}
		})
	}
}

func TestFileJournalDamagedMiddleLineIsAnError(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, journalFile)
	content := `{"kind":"GroupCreated","groupId":"a"}` + "\nnot json\n" + `{"kind":"GroupCreated","groupId":"b"}` + "\n"
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	j, err := OpenFileJournal(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	if _, err := replayGroups(t, j); err == nil || !strings.Contains(err.Error(), "damaged") {
		t.Fatalf("replay of a damaged journal: err = %v, want a 'damaged' error", err)
	}
	// Nothing was cut off.
	if b, _ := os.ReadFile(path); string(b) != content {
		t.Fatalf("the damaged journal was changed")
	}
}

func TestFileJournalReplayStopsAtCallbackError(t *testing.T) {
	j, err := OpenFileJournal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	appendEvents(t, j, "a", "b")
	stop := errors.New("stop")
	n := 0
	err = j.Replay(context.Background(), func(Event) error { n++; return stop })
	if !errors.Is(err, stop) || n != 1 {
		t.Fatalf("replay returned %v after %d events; want the callback's error after 1", err, n)
	}
}
