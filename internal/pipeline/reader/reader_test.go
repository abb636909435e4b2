package reader

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/salesstream/salesstream/internal/domain/money"
	"github.com/salesstream/salesstream/internal/platform/textenum/textenumtest"
)

var (
	w0 = time.Date(2021, 5, 10, 13, 0, 0, 0, time.UTC)
	w1 = w0.Add(5 * time.Minute)
	w2 = w0.Add(10 * time.Minute)
)

func row(region string, start time.Time, sales money.Cents, orders int64) Row {
	return Row{Region: region, WindowStart: start, WindowEnd: start.Add(10 * time.Minute), Sales: sales, Orders: orders}
}

func TestSort(t *testing.T) {
	tests := []struct {
		name string
		in   []Row
		want []string // region@start-minute, in order
	}{
		{"empty", nil, nil},
		{"window start descending", []Row{row("A", w0, 1, 1), row("A", w2, 1, 1), row("A", w1, 1, 1)},
			[]string{"A@10", "A@5", "A@0"}},
		{"then sales descending", []Row{row("A", w1, 100, 1), row("B", w1, 300, 1), row("C", w1, -5, 1), row("D", w1, 200, 1)},
			[]string{"B@5", "D@5", "A@5", "C@5"}},
		{"then region ascending", []Row{row("b", w1, 100, 1), row("B", w1, 100, 1), row("a", w1, 100, 1), row("", w1, 100, 1)},
			[]string{"@5", "B@5", "a@5", "b@5"}},
		{"all keys", []Row{
			row("Europe", w0, 500, 2), row("Asia", w2, 100, 1), row("Africa", w2, 100, 3), row("Europe", w2, 900, 4), row("Asia", w0, 500, 1),
		}, []string{"Europe@10", "Africa@10", "Asia@10", "Asia@0", "Europe@0"}},
		{"orders do not order", []Row{row("B", w0, 100, 1), row("A", w0, 100, 9)}, []string{"A@0", "B@0"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rows := append([]Row(nil), tt.in...)
			Sort(rows)
			var got []string
			for _, r := range rows {
				got = append(got, r.Region+"@"+strconv.Itoa(int(r.WindowStart.Sub(w0).Minutes())))
			}
			if strings.Join(got, " ") != strings.Join(tt.want, " ") {
				t.Fatalf("Sort gave %v, want %v", got, tt.want)
			}
		})
	}
}

func TestParseFormat(t *testing.T) {
	textenumtest.Check(t, "ParseFormat", ParseFormat, "table, json or csv", []textenumtest.Case[Format]{
		{In: "table", Want: Table},
		{In: "json", Want: JSON},
		{In: "csv", Want: CSV},
		{In: "", Err: true},
		{In: "JSON", Err: true},
		{In: "yaml", Err: true},
	})
}

var sample = []Row{
	row("Europe", w2, 123456, 42),
	row("Asia", w2, 5, 1),
	row("Latin America, \"South\"", w1, -250, 2),
	row("Africa", w0, 0, 0),
}

func TestWriteTable(t *testing.T) {
	tests := []struct {
		name   string
		limit  int
		shown  int
		footer string
	}{
		{"all", 0, 4, ""},
		{"limit below", 2, 2, "(2 of 4 rows; --limit 0 shows all)"},
		{"limit 1", 1, 1, "(1 of 4 rows; --limit 0 shows all)"},
		{"limit equal", 4, 4, ""},
		{"limit above", 100, 4, ""},
		{"negative limit shows all", -1, 4, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := Write(&b, sample, Table, tt.limit); err != nil {
				t.Fatal(err)
			}
			lines := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
			wantLines := 1 + tt.shown
			if tt.footer != "" {
				wantLines++
			}
			if len(lines) != wantLines {
				t.Fatalf("%d lines, want %d:\n%s", len(lines), wantLines, b.String())
			}
			if got := strings.Join(strings.Fields(lines[0]), " "); got != "WINDOW START (UTC) WINDOW END (UTC) REGION SALES ORDERS" {
				t.Fatalf("header %q", lines[0])
			}
			wantRows := []string{
				"2021-05-10 13:10 2021-05-10 13:20 Europe 1234.56 42",
				"2021-05-10 13:10 2021-05-10 13:20 Asia 0.05 1",
				"2021-05-10 13:05 2021-05-10 13:15 Latin America, \"South\" -2.50 2",
				"2021-05-10 13:00 2021-05-10 13:10 Africa 0.00 0",
			}
			width := len(lines[0])
			for i := range tt.shown {
				line := lines[1+i]
				if got := strings.Join(strings.Fields(line), " "); got != wantRows[i] {
					t.Errorf("row %d = %q, want %q", i, got, wantRows[i])
				}
				// Right-aligned columns: every line of the table is as wide.
				if len(line) != width {
					t.Errorf("row %d is %d wide, the header %d:\n%s", i, len(line), width, b.String())
				}
			}
			if tt.footer != "" && lines[len(lines)-1] != tt.footer {
				t.Errorf("last line %q, want %q", lines[len(lines)-1], tt.footer)
			}
		})
	}
}

func TestWriteTableEmpty(t *testing.T) {
	var b bytes.Buffer
	if err := Write(&b, nil, Table, 10); err != nil {
		t.Fatal(err)
	}
	if b.String() != NoRowsYet+"\n" {
		t.Fatalf("empty table printed %q, want %q", b.String(), NoRowsYet)
	}
	if !strings.Contains(NoRowsYet, "cmd/producer") || !strings.Contains(NoRowsYet, "cmd/enricher") {
		t.Errorf("%q does not say how to produce rows", NoRowsYet)
	}
}

// TestWriteJSONAmpersand: JSON keeps & < > as they are, not \u0026.
func TestWriteJSONAmpersand(t *testing.T) {
	var b bytes.Buffer
	if err := Write(&b, []Row{row("Parks & <Rec>", w0, 1, 1)}, JSON, 0); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), `"region":"Parks & <Rec>"`) {
		t.Errorf("JSON escaped the region: %s", b.String())
	}
}

func TestWriteJSON(t *testing.T) {
	var b bytes.Buffer
	// The limit applies to the table only.
	if err := Write(&b, sample, JSON, 1); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
	if len(lines) != len(sample) {
		t.Fatalf("%d lines, want %d:\n%s", len(lines), len(sample), b.String())
	}
	want := []map[string]any{
		{"region": "Europe", "window_start": "2021-05-10T13:10:00Z", "window_end": "2021-05-10T13:20:00Z", "sales": "1234.56", "orders": 42.0},
		{"region": "Asia", "window_start": "2021-05-10T13:10:00Z", "window_end": "2021-05-10T13:20:00Z", "sales": "0.05", "orders": 1.0},
		{"region": "Latin America, \"South\"", "window_start": "2021-05-10T13:05:00Z", "window_end": "2021-05-10T13:15:00Z", "sales": "-2.50", "orders": 2.0},
		{"region": "Africa", "window_start": "2021-05-10T13:00:00Z", "window_end": "2021-05-10T13:10:00Z", "sales": "0.00", "orders": 0.0},
	}
	for i, line := range lines {
		var got map[string]any
		if err := json.Unmarshal([]byte(line), &got); err != nil {
			t.Fatalf("line %d %q: %v", i, line, err)
		}
		if len(got) != len(want[i]) {
			t.Errorf("line %d has fields %v, want %v", i, got, want[i])
		}
		for k, v := range want[i] {
			if got[k] != v {
				t.Errorf("line %d: %s = %#v, want %#v", i, k, got[k], v)
			}
		}
		for _, k := range []string{"window_start", "window_end"} {
			if _, err := time.Parse(time.RFC3339, got[k].(string)); err != nil {
				t.Errorf("line %d: %s is not RFC 3339: %v", i, k, err)
			}
		}
	}
}

func TestWriteCSV(t *testing.T) {
	tests := []struct {
		name string
		rows []Row
		want [][]string
	}{
		{"empty", nil, [][]string{{"region", "window_start", "window_end", "sales", "orders"}}},
		{"rows", sample, [][]string{
			{"region", "window_start", "window_end", "sales", "orders"},
			{"Europe", "2021-05-10T13:10:00Z", "2021-05-10T13:20:00Z", "1234.56", "42"},
			{"Asia", "2021-05-10T13:10:00Z", "2021-05-10T13:20:00Z", "0.05", "1"},
			{"Latin America, \"South\"", "2021-05-10T13:05:00Z", "2021-05-10T13:15:00Z", "-2.50", "2"},
			{"Africa", "2021-05-10T13:00:00Z", "2021-05-10T13:10:00Z", "0.00", "0"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := Write(&b, tt.rows, CSV, 1); err != nil {
				t.Fatal(err)
			}
			got, err := csv.NewReader(&b).ReadAll()
			if err != nil {
				t.Fatalf("output is not CSV: %v", err)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("%d records, want %d: %q", len(got), len(tt.want), got)
			}
			for i := range tt.want {
				if strings.Join(got[i], "\x00") != strings.Join(tt.want[i], "\x00") {
					t.Errorf("record %d = %q, want %q", i, got[i], tt.want[i])
				}
			}
		})
	}
}

// failWriter fails every write.
type failWriter struct{}

var errDiskFull = errors.New("disk full")

func (failWriter) Write([]byte) (int, error) { return 0, errDiskFull }

func TestWriteErrors(t *testing.T) {
	for _, f := range []Format{Table, JSON, CSV} {
		err := Write(failWriter{}, sample, f, 0)
		if !errors.Is(err, errDiskFull) {
			t.Errorf("Write in format %d to a failing writer = %v, want %v", f, err, errDiskFull)
		}
	}
}
