package registryserver

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
)

// Journal persists the registry's events. Append must make the event durable
// before it returns: the server answers the request only afterwards. Replay
// calls fn with every event in the order appended and stops at fn's first
// error.
type Journal interface {
	Append(ctx context.Context, e Event) error
	Replay(ctx context.Context, fn func(Event) error) error
	Close() error
}

// journalFile is the name of the file a FileJournal keeps in its directory.
const journalFile = "registry-journal.jsonl"

// FileJournal is a [Journal] kept as one JSON line per event in a file of
// its directory, synced to disk on every append. A last line torn by a crash
// (incomplete or unreadable) is cut off and logged on replay; an unreadable
// line before the last is an error, never skipped.
type FileJournal struct {
	mu     sync.Mutex
	f      *os.File
	path   string
	logger *slog.Logger
}

// OpenFileJournal opens (creating if needed) the journal kept in dir.
func OpenFileJournal(dir string) (*FileJournal, error) {
	return OpenFileJournalWithLogger(dir, slog.Default())
}

// OpenFileJournalWithLogger is [OpenFileJournal] with the logger that reports
// a repaired torn line.
func OpenFileJournalWithLogger(dir string, logger *slog.Logger) (*FileJournal, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("open registry journal: create directory %s: %w", dir, err)
	}
	path := filepath.Join(dir, journalFile)
	_, statErr := os.Stat(path)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_APPEND, 0o640)
	if err != nil {
		return nil, fmt.Errorf("open registry journal %s: %w", path, err)
	}
	if errors.Is(statErr, os.ErrNotExist) {
		// Make the new file's directory entry durable too.
		if err := syncDir(dir); err != nil {
			_ = f.Close()
			return nil, fmt.Errorf("open registry journal %s: %w", path, err)
		}
	}
	if logger == nil {
		logger = slog.Default()
	}
	return &FileJournal{f: f, path: path, logger: logger}, nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("sync directory %s: %w", dir, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sync directory %s: %w", dir, err)
	}
	return nil
}

// Append writes e as one line and syncs the file.
func (j *FileJournal) Append(ctx context.Context, e Event) error {
	line, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("append %s to registry journal: encode: %w", e.Kind, err)
	}
	line = append(line, '\n')
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.f == nil {
		return fmt.Errorf("append %s to registry journal %s: journal is closed", e.Kind, j.path)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("append %s to registry journal: %w", e.Kind, err)
	}
	if _, err := j.f.Write(line); err != nil {
		return fmt.Errorf("append %s to registry journal %s: %w", e.Kind, j.path, err)
	}
	if err := j.f.Sync(); err != nil {
		return fmt.Errorf("append %s to registry journal %s: sync: %w", e.Kind, j.path, err)
	}
	return nil
}

// Replay reads every event from the start of the file. A torn last line is
// truncated away (and logged) so later appends start on a clean line.
func (j *FileJournal) Replay(ctx context.Context, fn func(Event) error) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.f == nil {
		return fmt.Errorf("replay registry journal %s: journal is closed", j.path)
	}
	if _, err := j.f.Seek(0, io.SeekStart); err != nil {
		return fmt.Errorf("replay registry journal %s: %w", j.path, err)
	}
	r := bufio.NewReader(j.f)
	var (
		good int64 // offset just past the last event read whole
		n    int
	)
	for {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("replay registry journal %s: %w", j.path, err)
		}
		line, readErr := r.ReadBytes('\n')
		if len(line) == 0 && errors.Is(readErr, io.EOF) {
			return nil
		}
		if readErr != nil && !errors.Is(readErr, io.EOF) {
			return fmt.Errorf("replay registry journal %s: %w", j.path, readErr)
		}
		complete := readErr == nil // ends with '\n'
		var e Event
		decodeErr := json.Unmarshal(bytes.TrimSpace(line), &e)
		if decodeErr == nil && e.Kind == "" {
			decodeErr = errors.New("event has no kind")
		}
		if complete && decodeErr == nil {
			n++
			good += int64(len(line))
			if err := fn(e); err != nil {
				return fmt.Errorf("replay registry journal %s: event %d (%s): %w", j.path, n, e.Kind, err)
			}
			continue
		}
		// An incomplete or unreadable line: tolerated only as the last one,
		// where an append interrupted by a crash leaves it.
		last, err := j.atEnd(r)
		if err != nil {
			return fmt.Errorf("replay registry journal %s: %w", j.path, err)
		}
		if !last {
			return fmt.Errorf("replay registry journal %s: event %d at byte %d is unreadable (%v); the file is damaged: restore it from a backup or move it away to start empty", j.path, n+1, good, decodeErr)
		}
		j.logger.Warn("registry journal: cutting off a torn last line (an append interrupted by a crash)",
			"path", j.path, "offset", good, "bytes", len(line))
		if err := j.f.Truncate(good); err != nil {
			return fmt.Errorf("replay registry journal %s: truncate torn line: %w", j.path, err)
		}
		if err := j.f.Sync(); err != nil {
			return fmt.Errorf("replay registry journal %s: sync after truncate: %w", j.path, err)
		}
		return nil
	}
}

// atEnd reports whether nothing but whitespace follows in r.
func (j *FileJournal) atEnd(r *bufio.Reader) (bool, error) {
	rest, err := io.ReadAll(r)
	if err != nil {
		return false, err
	}
	return len(bytes.TrimSpace(rest)) == 0, nil
}

// Close closes the file; later appends fail.
func (j *FileJournal) Close() error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.f == nil {
		return nil
	}
	err := j.f.Close()
	j.f = nil
	if err != nil {
		return fmt.Errorf("close registry journal %s: %w", j.path, err)
	}
	return nil
}
