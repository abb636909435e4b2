package reader

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// Change is one summary record read while following: a row as written,
// or, with Deleted, the removal of the row of its region and window.
type Change struct {
	Row     Row
	Deleted bool
}

// Follower receives what Follow reads.
type Follower struct {
	// Table receives the table as it stood when Follow started: the
	// latest row of every (region, window), sorted.
	Table func(Result) error
	// Committed receives the records of each poll after that, in offset
	// order per partition: the rows of transactions as they commit.
	Committed func([]Change) error
	// Error, if set, receives errors Follow goes on after: a fetch that
	// failed (the client retries it), a record that does not decode.
	Error func(error)
	// Stream sends the records up to the end as of the start to
	// Committed too, as they are read, instead of gathering the table:
	// Table then receives the counts and errors alone (no Rows) once
	// they are read. A follower that keeps a bounded part of the table
	// (the latest windows, say) then takes memory that does not grow
	// with the topic.
	Stream bool
}

// The wait after a poll that failed and read nothing starts at
// followRetryMin and doubles, up to followRetryMax, until a poll succeeds.
const (
	followRetryMin = 100 * time.Millisecond
	followRetryMax = 5 * time.Second
)

// Follow reads topic read_committed from its start with a client of its
// own, made with connOpts: first up to its current end, which it hands to
// f.Table, then every record as it is committed, to f.Committed, until ctx
// ends (nil is then returned) or f fails. Records of aborted transactions
// never reach f.
func Follow(ctx context.Context, connOpts []kgo.Opt, dec Decoder, topic string, f Follower) error {
	cl, res, err := initialTable(ctx, connOpts, dec, topic, f)
	if err != nil || cl == nil {
		return err
	}
	defer cl.Close()
	for _, e := range res.Errors {
		f.report(e)
	}
	if err := f.Table(res); err != nil {
		return err
	}
	var wait time.Duration // after a poll that failed and read nothing
	for {
		fs := cl.PollFetches(ctx)
		if ctx.Err() != nil {
			return nil
		}
		failed := false
		fs.EachError(func(t string, p int32, err error) {
			if !errors.Is(err, context.Canceled) {
				failed = true
				f.report(fmt.Errorf("read %s[%d]: %w", t, p, err))
			}
		})
		if failed && fs.NumRecords() == 0 {
			// A lasting error (an ACL taken away, say) comes back from
			// every poll at once: space the polls out, and the reports.
			wait = min(max(2*wait, followRetryMin), followRetryMax)
			select {
			case <-ctx.Done():
				return nil
			case <-time.After(wait):
			}
			continue
		}
		wait = 0
		var changes []Change
		for it := fs.RecordIter(); !it.Done(); {
			r := it.Next()
			if r.Attrs.IsControl() {
				continue
			}
			row, deleted, err := decodeRow(ctx, dec, r)
			if err != nil {
				f.report(err)
				continue
			}
			changes = append(changes, Change{Row: row, Deleted: deleted})
		}
		if len(changes) == 0 {
			continue
		}
		if err := f.Committed(changes); err != nil {
			return err
		}
	}
}

// initialTable reads topic to its current end, trying again every second
// until ctx ends, and returns the client positioned there with the table
// (with f.Stream, the counts alone: the records went to f.Committed, and
// a try after a failed one hands them over again from the start).
// Each try reads from the start with a new client: the one of a failed
// try has consumed part of the topic, which a re-read with it would leave
// out of the table. It returns a nil client, and no error, if ctx ends.
func initialTable(ctx context.Context, connOpts []kgo.Opt, dec Decoder, topic string, f Follower) (*kgo.Client, Result, error) {
	for {
		cl, err := newConsumer(connOpts, topic)
		if err != nil {
			return nil, Result{}, err
		}
		var res Result
		if f.Stream {
			var failed error
			res, failed, err = streamTable(ctx, cl, dec, topic, f.Committed)
			if failed != nil {
				cl.Close()
				return nil, Result{}, failed
			}
		} else {
			res, err = readTable(ctx, cl, dec, topic)
		}
		if err == nil && ctx.Err() == nil {
			return cl, res, nil
		}
		cl.Close()
		if ctx.Err() != nil {
			return nil, Result{}, nil
		}
		f.report(fmt.Errorf("read %s to its end (retrying): %w", topic, err))
		select {
		case <-ctx.Done():
			return nil, Result{}, nil
		case <-time.After(time.Second):
		}
	}
}

func (f Follower) report(err error) {
	if f.Error != nil {
		f.Error(err)
	}
}

// Filter selects rows: of one region (empty: all), of windows starting at
// or after Since and before Until (zero: unbounded).
type Filter struct {
	Region       string
	Since, Until time.Time
}

// Keep reports whether r passes the filter.
func (f Filter) Keep(r Row) bool {
	if f.Region != "" && r.Region != f.Region {
		return false
	}
	if !f.Since.IsZero() && r.WindowStart.Before(f.Since) {
		return false
	}
	return f.Until.IsZero() || r.WindowStart.Before(f.Until)
}

// Rows returns the rows of rows that pass the filter.
func (f Filter) Rows(rows []Row) []Row {
	out := rows[:0:0]
	for _, r := range rows {
		if f.Keep(r) {
			out = append(out, r)
		}
	}
	return out
}

// ParseTime reads a --since or --until value: RFC 3339, or a date and
// time in UTC as "2006-01-02 15:04" or "2006-01-02T15:04", or a date
// (midnight UTC).
func ParseTime(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	for _, layout := range []string{time.RFC3339, "2006-01-02 15:04", "2006-01-02T15:04", "2006-01-02 15:04:05", "2006-01-02T15:04:05", "2006-01-02"} {
		if t, err := time.ParseInLocation(layout, s, time.UTC); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("time %q: want RFC 3339 (2024-03-01T12:00:00Z), or a UTC date and time (2024-03-01 12:00), or a date (2024-03-01)", s)
}

// Printer prints what Follow reads, as a console sink does: the table as
// it stood, then each poll's committed rows as they arrive, filtered.
type Printer struct {
	W      io.Writer
	Format Format
	// Limit bounds the rows of the first table (0: all).
	Limit  int
	Filter Filter
	// Now stamps each block of the table format; nil means time.Now.
	Now func() time.Time
}

// Table prints the table as it stood.
func (p *Printer) Table(res Result) error {
	return write(p.W, p.Filter.Rows(res.Rows), p.Format, p.Limit, true)
}

// Committed prints the rows of one poll that pass the filter; the table
// format heads them with the time they were read, in UTC.
func (p *Printer) Committed(changes []Change) error {
	var rows []Row
	for _, c := range changes {
		if !c.Deleted && p.Filter.Keep(c.Row) {
			rows = append(rows, c.Row)
		}
	}
	if len(rows) == 0 {
		return nil
	}
	if p.Format == Table {
		now := time.Now
		if p.Now != nil {
			now = p.Now
		}
		fmt.Fprintf(p.W, "\n-- %d rows committed, read at %s UTC --\n", len(rows), now().UTC().Format("2006-01-02 15:04:05"))
	}
	return write(p.W, rows, p.Format, 0, false)
}
