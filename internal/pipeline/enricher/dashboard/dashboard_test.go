package dashboard

import (
	"encoding/json"
	"encoding/xml"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/salesstream/salesstream/internal/domain/money"
	"github.com/salesstream/salesstream/internal/pipeline/enricher/progress"
	"github.com/salesstream/salesstream/internal/pipeline/reader"
)

var t0 = time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC)

func row(region string, window int, cents int64) reader.Row {
	start := t0.Add(time.Duration(window) * 5 * time.Minute)
	return reader.Row{Region: region, WindowStart: start, WindowEnd: start.Add(10 * time.Minute), Sales: money.Cents(cents), Orders: 1}
}

func TestSalesKeepsTheLatestWindows(t *testing.T) {
	s := NewSales(2)
	if v := s.View(); v.Loaded || len(v.Rows) != 0 {
		t.Fatalf("before the table: %+v", v)
	}
	s.Table(reader.Result{Rows: []reader.Row{row("Europe", 0, 100), row("Asia", 1, 200), row("Europe", 1, 300)}})
	s.Committed([]reader.Change{{Row: row("Asia", 2, 400)}, {Row: row("Europe", 1, 350)}})
	s.Committed([]reader.Change{{Row: row("Africa", 0, 999)}}) // older than both windows kept
	s.Committed([]reader.Change{{Row: row("Asia", 1, 0), Deleted: true}})
	v := s.View()
	if !v.Loaded || v.Version != 4 {
		t.Errorf("loaded %v, version %d", v.Loaded, v.Version)
	}
	want := []RowView{
		{Region: "Asia", WindowStart: t0.Add(10 * time.Minute), WindowEnd: t0.Add(20 * time.Minute), Sales: "4.00", Orders: 1},
		{Region: "Europe", WindowStart: t0.Add(5 * time.Minute), WindowEnd: t0.Add(15 * time.Minute), Sales: "3.50", Orders: 1},
	}
	if len(v.Rows) != len(want) {
		t.Fatalf("rows %+v, want %+v", v.Rows, want)
	}
	for i := range want {
		if v.Rows[i] != want[i] {
			t.Errorf("row %d: %+v, want %+v", i, v.Rows[i], want[i])
		}
	}
	if len(v.Windows) != 2 || !v.Windows[0].Equal(t0.Add(10*time.Minute)) || strings.Join(v.Regions, ",") != "Asia,Europe" {
		t.Errorf("windows %v, regions %v", v.Windows, v.Regions)
	}
}

func TestSalesBoundsRegionsPerWindow(t *testing.T) {
	s := NewSales(1)
	var cs []reader.Change
	for i := range maxRegions + 10 {
		cs = append(cs, reader.Change{Row: row("r"+string(rune('A'+i%26))+strings.Repeat("x", i/26), 0, 1)})
	}
	s.Committed(cs)
	if n := len(s.View().Rows); n != maxRegions || s.dropped != 10 {
		t.Errorf("kept %d rows, dropped %d; want %d and 10", n, s.dropped, maxRegions)
	}
}

func tracker(batches int) *progress.Tracker {
	tr := progress.NewTracker(10, nil)
	for i := 1; i <= batches; i++ {
		tr.Record(progress.Progress{BatchID: int64(i), Timestamp: t0, NumInputRows: int64(10 * i), InputRowsPerSecond: float64(i),
			ProcessedRowsPerSecond: float64(2 * i), DurationMs: progress.Durations{Total: 100, Process: 20, Commit: 30},
			EventTime: progress.EventTime{Watermark: t0.Add(time.Duration(i) * time.Minute), Max: t0.Add(time.Duration(i+10) * time.Minute)},
			State:     progress.State{NumRowsTotal: int64(i), NumLateEvents: 1}, Sink: progress.Sink{DeadLetters: 2},
			Sources: []progress.Source{{Topic: "s", Partition: 0, Lag: int64(5 - i)}}})
	}
	return tr
}

func TestEveryChartRendersSVG(t *testing.T) {
	sales := NewSales(3)
	sales.Table(reader.Result{Rows: []reader.Row{row("Europe", 0, 100), row("Asia", 1, 250), row("Europe", 1, 300)}})
	for _, batches := range []int{0, 1, 4} {
		for _, name := range Charts {
			var b strings.Builder
			s := sales
			if batches == 0 {
				s = NewSales(3)
			}
			if err := chart(&b, name, tracker(batches).Recent(), s.View()); err != nil {
				t.Fatalf("%s with %d batches: %v", name, batches, err)
			}
			var doc struct {
				XMLName xml.Name
			}
			if err := xml.Unmarshal([]byte(b.String()), &doc); err != nil || doc.XMLName.Local != "svg" {
				t.Errorf("%s with %d batches: not an SVG document (%v)", name, batches, err)
			}
		}
	}
	if err := chart(new(strings.Builder), "nope", nil, SalesView{}); err == nil {
		t.Error("an unknown chart rendered")
	}
}

func TestHandlers(t *testing.T) {
	mux := http.NewServeMux()
	sales := NewSales(6)
	sales.Table(reader.Result{Rows: []reader.Row{row("Europe", 0, 12345)}})
	New(tracker(3), sales).Register(mux)
	get := func(path string) *httptest.ResponseRecorder {
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
		return rec
	}
	for _, tt := range []struct {
		path, contentType, contains string
		status                      int
	}{
		{"/", "text/html; charset=utf-8", `<script src="/static/app.js">`, 200},
		{"/static/app.js", "text/javascript; charset=utf-8", "/api/dashboard", 200},
		{"/static/style.css", "text/css; charset=utf-8", ".chart", 200},
		{"/charts/rates.svg", "image/svg+xml", "<svg", 200},
		{"/charts/sales.svg", "image/svg+xml", "Europe", 200},
		{"/charts/nope.svg", "text/plain; charset=utf-8", "rates.svg, duration.svg", 404},
		{"/nope", "text/plain; charset=utf-8", "404", 404},
	} {
		rec := get(tt.path)
		if rec.Code != tt.status || rec.Header().Get("Content-Type") != tt.contentType || !strings.Contains(rec.Body.String(), tt.contains) {
			t.Errorf("GET %s: %d %q, want %d %q containing %q", tt.path, rec.Code, rec.Header().Get("Content-Type"), tt.status, tt.contentType, tt.contains)
		}
	}
	var d Data
	if err := json.Unmarshal(get("/api/dashboard").Body.Bytes(), &d); err != nil {
		t.Fatal(err)
	}
	if d.Batches != 3 || d.Last == nil || d.Last.BatchID != 3 || d.LateEvents != 3 || d.DeadLetters != 6 || d.Lag != 2 ||
		!d.Broker.Up || len(d.Sales.Rows) != 1 || d.Sales.Rows[0].Sales != "123.45" || len(d.Charts) != 6 {
		t.Errorf("/api/dashboard: %+v", d)
	}
}
