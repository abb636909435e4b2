// Package reader batch-reads the summary topic as a table.
//
// Read consumes the compacted summary topic read_committed from its start
// to its end as of the call, keeps the latest row per (region, window) key
// (a tombstone deletes it), and returns the rows ordered by window start
// descending, then sales descending, then region. Write prints them as a
// console table, JSON lines or CSV.
package reader

import (
	"cmp"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/salesstream/salesstream/internal/domain/money"
	"github.com/salesstream/salesstream/internal/domain/schema"
	"github.com/salesstream/salesstream/internal/platform/textenum"
	"github.com/salesstream/salesstream/internal/platform/topics"
)

// Row is one (region, window) summary.
type Row struct {
	Region      string
	WindowStart time.Time
	WindowEnd   time.Time
	Sales       money.Cents
	Orders      int64
}

// Decoder decodes a framed Avro message into v.
type Decoder interface {
	Decode(ctx context.Context, msg []byte, headerID func(key string) ([]byte, bool), isKey bool, v any) error
}

// Result is what Read found.
type Result struct {
	Rows []Row
	// Records counts the records read, Undecodable those that could not
	// be decoded (they are skipped and reported in Errors, at most 20).
	Records     int
	Undecodable int
	Errors      []error
}

// Read reads topic from its start to its current end with a client of its
// own, made with connOpts.
func Read(ctx context.Context, connOpts []kgo.Opt, dec Decoder, topic string) (Result, error) {
	cl, err := newConsumer(connOpts, topic)
	if err != nil {
		return Result{}, err
	}
	defer cl.Close()
	return readTable(ctx, cl, dec, topic)
}

// newConsumer returns a read_committed client of topic from its start.
func newConsumer(connOpts []kgo.Opt, topic string) (*kgo.Client, error) {
	cl, err := kgo.NewClient(append(slices.Clone(connOpts),
		kgo.ConsumeTopics(topic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.FetchIsolationLevel(kgo.ReadCommitted()),
		kgo.KeepControlRecords(),
	)...)
	if err != nil {
		return nil, fmt.Errorf("create reader of %s: %w", topic, err)
	}
	return cl, nil
}

// readTable consumes topic with cl up to its current end and returns the
// latest row of every key.
func readTable(ctx context.Context, cl *kgo.Client, dec Decoder, topic string) (Result, error) {
	ends, err := tableEnds(ctx, cl, topic)
	if err != nil {
		return Result{}, err
	}
	latest := map[rowKey]Row{}
	var res Result
	err = ends.Consume(ctx, cl, func(r *kgo.Record) error {
		res.apply(ctx, dec, r, latest)
		return nil
	})
	if err != nil {
		return Result{}, err
	}
	res.Rows = make([]Row, 0, len(latest))
	for _, r := range latest {
		res.Rows = append(res.Rows, r)
	}
	Sort(res.Rows)
	return res, nil
}

// tableEnds lists the current ends of topic, to read it to.
func tableEnds(ctx context.Context, cl *kgo.Client, topic string) (*topics.Ends, error) {
	ends, err := topics.ListEnds(ctx, cl, nil, topic)
	if errors.Is(err, topics.ErrNoTopic) {
		return nil, fmt.Errorf("%w: the enricher creates the summary topic and writes it: run it first (go run ./cmd/enricher), or check --summary-topic", err)
	}
	return ends, err
}

// rowKey identifies a summary row.
type rowKey struct {
	region string
	start  int64
}

// apply decodes record r into latest (a tombstone deletes its row),
// counting it in res.
func (res *Result) apply(ctx context.Context, dec Decoder, r *kgo.Record, latest map[rowKey]Row) {
	res.Records++
	row, deleted, err := decodeRow(ctx, dec, r)
	if err != nil {
		res.undecodable(err)
		return
	}
	k := rowKey{row.Region, row.WindowStart.UnixMilli()}
	if deleted {
		delete(latest, k)
		return
	}
	latest[k] = row
}

// decodeRow decodes the summary record r: its row, or, for a tombstone,
// the row's region and window start with deleted set.
func decodeRow(ctx context.Context, dec Decoder, r *kgo.Record) (row Row, deleted bool, err error) {
	var k schema.SummaryKey
	if err := dec.Decode(ctx, r.Key, headers(r), true, &k); err != nil {
		return Row{}, false, fmt.Errorf("%s[%d]@%d key: %w", r.Topic, r.Partition, r.Offset, err)
	}
	if r.Value == nil {
		return Row{Region: k.Region, WindowStart: time.UnixMilli(k.WindowStart).UTC()}, true, nil
	}
	var v schema.SummaryValue
	if err := dec.Decode(ctx, r.Value, headers(r), false, &v); err != nil {
		return Row{}, false, fmt.Errorf("%s[%d]@%d value: %w", r.Topic, r.Partition, r.Offset, err)
	}
	sales, err := schema.Decimal(v.Sales)
	if err != nil {
		return Row{}, false, fmt.Errorf("%s[%d]@%d sales: %w", r.Topic, r.Partition, r.Offset, err)
	}
	return Row{
		Region:      v.Region,
		WindowStart: time.UnixMilli(v.WindowStart).UTC(),
		WindowEnd:   time.UnixMilli(v.WindowEnd).UTC(),
		Sales:       sales,
		Orders:      v.Orders,
	}, false, nil
}

func (r *Result) undecodable(err error) {
	r.Undecodable++
	if len(r.Errors) < 20 {
		r.Errors = append(r.Errors, err)
	}
}

func headers(r *kgo.Record) func(string) ([]byte, bool) {
	return func(k string) ([]byte, bool) {
		for _, h := range r.Headers {
			if h.Key == k {
				return h.Value, true
			}
		}
		return nil, false
	}
}

// Sort orders rows by window start descending, then sales descending, then
// region ascending.
func Sort(rows []Row) {
	slices.SortFunc(rows, func(a, b Row) int {
		if c := b.WindowStart.Compare(a.WindowStart); c != 0 {
			return c
		}
		if c := cmp.Compare(b.Sales, a.Sales); c != 0 {
			return c
		}
		return cmp.Compare(a.Region, b.Region)
	})
}

// Format is an output format.
type Format int

// The output formats.
const (
	Table Format = iota
	JSON
	CSV
)

// formatNames is Format's table of names, read by ParseFormat and String.
func formatNames() textenum.Names[Format] {
	return textenum.Names[Format]{What: "format", Type: "Format", List: []string{"table", "json", "csv"}}
}

// ParseFormat reads "table", "json" or "csv".
func ParseFormat(s string) (Format, error) { return formatNames().Parse(s) }

// String returns the format's flag value: table, json or csv.
func (f Format) String() string { return formatNames().String(f) }

// MarshalText returns the format's flag value.
func (f Format) MarshalText() ([]byte, error) { return []byte(f.String()), nil }

// UnmarshalText sets the format from text as ParseFormat reads it, or to
// Table with ParseFormat's error.
func (f *Format) UnmarshalText(b []byte) (err error) { *f, err = ParseFormat(string(b)); return err }

// jsonRow is a row in JSON: times in RFC 3339 UTC, sales a decimal string.
type jsonRow struct {
	Region      string `json:"region"`
	WindowStart string `json:"window_start"`
	WindowEnd   string `json:"window_end"`
	Sales       string `json:"sales"`
	Orders      int64  `json:"orders"`
}

// NoRowsYet says that the summary table is empty and how to fill it.
const NoRowsYet = "no summary rows yet: the enricher writes them at each trigger (--trigger, 2m by default) once sales arrive; " +
	"send sales with go run ./cmd/producer (add --event-time original --delay 0 for the whole file at once) and keep go run ./cmd/enricher running, or run it with --once"

// Write prints rows in format f: at most limit rows (0: all) for Table,
// or NoRowsYet if there are none; all rows for JSON (one object a line,
// nothing if none) and CSV (with a header). Times are UTC, and the
// table's header says so.
func Write(w io.Writer, rows []Row, f Format, limit int) error {
	return write(w, rows, f, limit, true)
}

func write(w io.Writer, rows []Row, f Format, limit int, csvHeader bool) error {
	switch f {
	case JSON:
		enc := json.NewEncoder(w)
		enc.SetEscapeHTML(false) // a region such as "Parks & Rec" stays readable
		for _, r := range rows {
			if err := enc.Encode(jsonRow{r.Region, r.WindowStart.UTC().Format(time.RFC3339), r.WindowEnd.UTC().Format(time.RFC3339), r.Sales.String(), r.Orders}); err != nil {
				return fmt.Errorf("write JSON: %w", err)
			}
		}
		return nil
	case CSV:
		cw := csv.NewWriter(w)
		if csvHeader {
			cw.Write([]string{"region", "window_start", "window_end", "sales", "orders"})
		}
		for _, r := range rows {
			cw.Write([]string{r.Region, r.WindowStart.UTC().Format(time.RFC3339), r.WindowEnd.UTC().Format(time.RFC3339), r.Sales.String(), strconv.FormatInt(r.Orders, 10)})
		}
		cw.Flush()
		if err := cw.Error(); err != nil {
			return fmt.Errorf("write CSV: %w", err)
		}
		return nil
	}
	if len(rows) == 0 {
		if _, err := fmt.Fprintln(w, NoRowsYet); err != nil {
			return fmt.Errorf("write table: %w", err)
		}
		return nil
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "WINDOW START (UTC)\tWINDOW END (UTC)\tREGION\tSALES\tORDERS\t")
	shown := rows
	if limit > 0 && len(shown) > limit {
		shown = shown[:limit]
	}
	for _, r := range shown {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t\n", r.WindowStart.UTC().Format("2006-01-02 15:04"), r.WindowEnd.UTC().Format("2006-01-02 15:04"), r.Region, r.Sales, r.Orders)
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("write table: %w", err)
	}
	if len(shown) < len(rows) {
		fmt.Fprintf(w, "(%d of %d rows; --limit 0 shows all)\n", len(shown), len(rows))
	}
	return nil
}
