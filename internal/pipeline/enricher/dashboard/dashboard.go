// Package dashboard serves the enricher's live dashboard, as the Spark UI's
// Structured Streaming tab shows a query: charts of the input and
// processing rates, the batch duration, the watermark against the largest
// event time, the state rows, and the late events and dead letters over
// the last batches; and the business result, sales per region over the
// latest windows, as a chart and as a table.
//
// The charts are rendered on the server as SVG with gonum's plot package;
// the page, its script and its style are embedded in the binary, so it
// works offline. The page polls /api/dashboard about once a second and
// reloads what changed: no reload of the page, no CDN. Everything it
// serves comes from memory (the progress tracker and the sales followed
// from the summary topic), so it answers at once while the brokers are
// down, and says since when they are.
package dashboard

import (
	"bytes"
	"embed"
	"encoding/json"
	"io/fs"
	"net/http"
	"time"

	"github.com/salesstream/salesstream/internal/pipeline/enricher/progress"
)

//go:embed static
var static embed.FS

// Dashboard serves the page, its data and its charts.
type Dashboard struct {
	tracker *progress.Tracker
	sales   *Sales
	started time.Time
}

// New returns the dashboard of tracker's batches and of sales.
func New(tracker *progress.Tracker, sales *Sales) *Dashboard {
	return &Dashboard{tracker: tracker, sales: sales, started: time.Now()}
}

// Mux is where the dashboard registers its routes.
type Mux interface {
	Handle(pattern string, h http.Handler)
}

// Register serves the dashboard on mux: the page at /, its files under
// /static/, its data at /api/dashboard and its charts at
// /charts/{name}.svg.
func (d *Dashboard) Register(mux Mux) {
	files, _ := fs.Sub(static, "static")
	mux.Handle("GET /{$}", http.HandlerFunc(d.index))
	mux.Handle("GET /static/", http.StripPrefix("/static/", http.FileServerFS(files)))
	mux.Handle("GET /api/dashboard", http.HandlerFunc(d.data))
	mux.Handle("GET /charts/{name}", http.HandlerFunc(d.chart))
}

func (d *Dashboard) index(w http.ResponseWriter, r *http.Request) {
	page, err := static.ReadFile("static/index.html")
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Write(page)
}

// Data is what /api/dashboard serves.
type Data struct {
	Now     time.Time       `json:"now"`
	Started time.Time       `json:"started"`
	Broker  progress.Broker `json:"broker"`
	// Batches counts the batches kept; Last is the latest one's
	// progress, nil before the first.
	Batches int                `json:"batches"`
	Last    *progress.Progress `json:"last"`
	// Totals over the batches kept.
	LateEvents  int64     `json:"lateEvents"`
	DeadLetters int64     `json:"deadLetters"`
	Lag         int64     `json:"lag"`
	Sales       SalesView `json:"sales"`
	// Charts are the names of the charts, to fetch as
	// /charts/{name}.svg.
	Charts []string `json:"charts"`
}

// Snapshot returns the dashboard's data.
func (d *Dashboard) Snapshot() Data {
	recent := d.tracker.Recent()
	v := Data{Now: time.Now().UTC(), Started: d.started.UTC(), Broker: d.tracker.Broker(), Batches: len(recent),
		Sales: d.sales.View(), Charts: Charts}
	for i := range recent {
		v.LateEvents += recent[i].State.NumLateEvents
		v.DeadLetters += recent[i].Sink.DeadLetters
	}
	if len(recent) > 0 {
		v.Last = &recent[len(recent)-1]
	}
	for _, s := range d.tracker.Partitions() {
		v.Lag += s.Lag
	}
	return v
}

func (d *Dashboard) data(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	json.NewEncoder(w).Encode(d.Snapshot())
}

func (d *Dashboard) chart(w http.ResponseWriter, r *http.Request) {
	name, ok := chartName(r.PathValue("name"))
	if !ok {
		http.Error(w, "no such chart; the charts are "+joinSVG(Charts), http.StatusNotFound)
		return
	}
	var b bytes.Buffer
	if err := chart(&b, name, d.tracker.Recent(), d.sales.View()); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "image/svg+xml")
	w.Header().Set("Cache-Control", "no-store")
	w.Write(b.Bytes())
}

// chartName returns the chart of a file name such as "rates.svg".
func chartName(file string) (string, bool) {
	for _, c := range Charts {
		if file == c+".svg" {
			return c, true
		}
	}
	return "", false
}

func joinSVG(names []string) string {
	var b bytes.Buffer
	for i, n := range names {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(n + ".svg")
	}
	return b.String()
}
