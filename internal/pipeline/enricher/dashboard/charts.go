package dashboard

import (
	"bytes"
	"fmt"
	"image/color"
	"io"
	"strconv"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/salesstream/salesstream/internal/pipeline/enricher/progress"
)

// Charts are the names of the charts the dashboard serves, in page order.
var Charts = []string{"rates", "duration", "watermark", "state", "late", "sales"}

// series is one line of a chart.
type series struct {
	name string
	xys  plotter.XYs
}

// palette holds distinct, readable line colours.
var palette = []color.RGBA{
	{0x1f, 0x77, 0xb4, 0xff}, {0xff, 0x7f, 0x0e, 0xff}, {0x2c, 0xa0, 0x2c, 0xff}, {0xd6, 0x27, 0x28, 0xff},
	{0x94, 0x67, 0xbd, 0xff}, {0x8c, 0x56, 0x4b, 0xff}, {0xe3, 0x77, 0xc2, 0xff}, {0x7f, 0x7f, 0x7f, 0xff},
	{0xbc, 0xbd, 0x22, 0xff}, {0x17, 0xbe, 0xcf, 0xff},
}

// chart renders the named chart as SVG from the batches' progress and the
// sales.
func chart(w io.Writer, name string, batches []progress.Progress, sales SalesView) error {
	var (
		title, xLabel, yLabel string
		lines                 []series
		timeX, timeY, counts  bool
	)
	per := func(f func(p *progress.Progress) float64) plotter.XYs {
		xys := make(plotter.XYs, 0, len(batches))
		for i := range batches {
			xys = append(xys, plotter.XY{X: float64(batches[i].BatchID), Y: f(&batches[i])})
		}
		return xys
	}
	xLabel = "micro-batch"
	switch name {
	case "rates":
		title, yLabel = "Input and processing rate", "rows/s"
		lines = []series{
			{"input rows/s", per(func(p *progress.Progress) float64 { return p.InputRowsPerSecond })},
			{"processed rows/s", per(func(p *progress.Progress) float64 { return p.ProcessedRowsPerSecond })},
		}
	case "duration":
		title, yLabel, counts = "Batch duration", "ms", true
		lines = []series{
			{"total", per(func(p *progress.Progress) float64 { return float64(p.DurationMs.Total) })},
			{"process", per(func(p *progress.Progress) float64 { return float64(p.DurationMs.Process) })},
			{"commit", per(func(p *progress.Progress) float64 { return float64(p.DurationMs.Commit) })},
		}
	case "watermark":
		title, yLabel, timeY = "Watermark and largest event time (UTC)", "", true
		var wm, mx plotter.XYs
		for _, p := range batches {
			if !p.EventTime.Watermark.IsZero() {
				wm = append(wm, plotter.XY{X: float64(p.BatchID), Y: unix(p.EventTime.Watermark)})
			}
			if !p.EventTime.Max.IsZero() {
				mx = append(mx, plotter.XY{X: float64(p.BatchID), Y: unix(p.EventTime.Max)})
			}
		}
		lines = []series{{"largest event time", mx}, {"watermark", wm}}
	case "state":
		title, yLabel, counts = "State rows", "(region, window) rows", true
		lines = []series{{"rows held", per(func(p *progress.Progress) float64 { return float64(p.State.NumRowsTotal) })}}
	case "late":
		title, yLabel, counts = "Late events and dead letters per batch", "records", true
		lines = []series{
			{"late events", per(func(p *progress.Progress) float64 { return float64(p.State.NumLateEvents) })},
			{"dead letters", per(func(p *progress.Progress) float64 { return float64(p.Sink.DeadLetters) })},
		}
	case "sales":
		title, xLabel, yLabel, timeX = "Sales per region over the latest windows", "window start (UTC)", "sales", true
		byRegion := map[string]plotter.XYs{}
		for i := len(sales.Rows) - 1; i >= 0; i-- { // oldest window first
			r := sales.Rows[i]
			v, err := strconv.ParseFloat(r.Sales, 64)
			if err != nil {
				return fmt.Errorf("sales %q of %s: %w", r.Sales, r.Region, err)
			}
			byRegion[r.Region] = append(byRegion[r.Region], plotter.XY{X: unix(r.WindowStart), Y: v})
		}
		for _, region := range sales.Regions {
			lines = append(lines, series{region, byRegion[region]})
		}
	default:
		return fmt.Errorf("no chart %q", name)
	}
	return render(w, title, xLabel, yLabel, lines, axes{timeX: timeX, timeY: timeY, countY: counts})
}

// axes says how to label a chart's axes: times, or whole counts.
type axes struct{ timeX, timeY, countY bool }

func unix(t time.Time) float64 { return float64(t.UnixMilli()) / 1000 }

// render draws lines on one plot and writes it as SVG.
func render(w io.Writer, title, xLabel, yLabel string, lines []series, ax axes) error {
	p := plot.New()
	p.Title.Text = title
	p.Title.TextStyle.Font.Size = vg.Points(13)
	p.X.Label.Text, p.Y.Label.Text = xLabel, yLabel
	p.Legend.Top, p.Legend.Left = true, false
	p.Legend.TextStyle.Font.Size = vg.Points(9)
	p.Add(plotter.NewGrid())
	points := 0
	for i, s := range lines {
		if len(s.xys) == 0 {
			continue
		}
		points += len(s.xys)
		l, err := plotter.NewLine(s.xys)
		if err != nil {
			return fmt.Errorf("chart %s, line %s: %w", title, s.name, err)
		}
		l.Color = palette[i%len(palette)]
		l.Width = vg.Points(1.5)
		sc, err := plotter.NewScatter(s.xys)
		if err != nil {
			return fmt.Errorf("chart %s, points %s: %w", title, s.name, err)
		}
		sc.GlyphStyle.Color = l.Color
		sc.GlyphStyle.Radius = vg.Points(1.8)
		sc.GlyphStyle.Shape = draw.CircleGlyph{}
		p.Add(l, sc)
		p.Legend.Add(s.name, l)
	}
	if points == 0 {
		p.Title.Text += " (no data yet)"
		p.X.Min, p.X.Max, p.Y.Min, p.Y.Max = 0, 1, 0, 1
	} else if !ax.timeY {
		p.Y.Min = 0
	}
	if p.Y.Max <= p.Y.Min {
		p.Y.Max = p.Y.Min + 1
	}
	// Room above the lines for the legend.
	p.Y.Max += (p.Y.Max - p.Y.Min) * 0.09 * float64(len(lines)+1)
	if p.X.Max <= p.X.Min {
		p.X.Min, p.X.Max = p.X.Min-1, p.X.Max+1
	}
	if ax.timeX && points > 0 {
		p.X.Tick.Marker = plot.TimeTicks{Format: "01-02\n15:04"}
	} else {
		p.X.Tick.Marker = integerTicks{}
	}
	switch {
	case ax.timeY && points > 0:
		p.Y.Tick.Marker = plot.TimeTicks{Format: "01-02 15:04"}
	case ax.countY:
		p.Y.Tick.Marker = integerTicks{}
	}
	height := 3 * vg.Inch
	if len(lines) > 4 {
		height = 4.2 * vg.Inch
	}
	wt, err := p.WriterTo(7*vg.Inch, height, "svg")
	if err != nil {
		return fmt.Errorf("render chart %s: %w", title, err)
	}
	var b bytes.Buffer
	if _, err := wt.WriteTo(&b); err != nil {
		return fmt.Errorf("render chart %s: %w", title, err)
	}
	_, err = w.Write(b.Bytes())
	return err
}

// integerTicks labels only whole numbers: batch ids.
type integerTicks struct{}

// Ticks implements plot.Ticker.
func (integerTicks) Ticks(min, max float64) []plot.Tick {
	ticks := plot.DefaultTicks{}.Ticks(min, max)
	out := ticks[:0]
	for _, t := range ticks {
		switch {
		case t.Value != float64(int64(t.Value)):
			t.Label = ""
		case t.Label != "":
			t.Label = strconv.FormatInt(int64(t.Value), 10)
		}
		out = append(out, t)
	}
	return out
}
