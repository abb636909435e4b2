package dashboard

import (
	"slices"
	"sync"
	"time"

	"github.com/salesstream/salesstream/internal/pipeline/reader"
)

// maxRegions bounds the rows kept per window.
const maxRegions = 256

// Sales is the business result the dashboard shows: the summary rows of
// the latest windows, as committed to the summary topic. Feed it with
// reader.Follow (its Table and Committed methods). It keeps the rows of
// the Windows latest window starts only, at most maxRegions a window. It
// is safe for concurrent use.
type Sales struct {
	windows int

	mu       sync.Mutex
	rows     map[int64]map[string]reader.Row // by window start (Unix ms), then region
	version  int64                           // bumped at every change
	loaded   bool                            // the table as it stood has been read
	updated  time.Time
	dropped  int64 // rows beyond maxRegions of a window, not kept
	lastErr  string
	lastErrT time.Time
}

// NewSales keeps the rows of the latest windows window starts (at least
// one).
func NewSales(windows int) *Sales {
	return &Sales{windows: max(windows, 1), rows: map[int64]map[string]reader.Row{}}
}

// Table loads the table as it stood; it implements reader.Follower.Table.
func (s *Sales) Table(res reader.Result) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, r := range res.Rows {
		s.put(r)
	}
	s.loaded = true
	s.changed()
	return nil
}

// Committed applies committed rows; it implements
// reader.Follower.Committed.
func (s *Sales) Committed(changes []reader.Change) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range changes {
		if c.Deleted {
			start := c.Row.WindowStart.UnixMilli()
			delete(s.rows[start], c.Row.Region)
			if len(s.rows[start]) == 0 {
				delete(s.rows, start)
			}
			continue
		}
		s.put(c.Row)
	}
	s.changed()
	return nil
}

// Error notes an error of the follower; it implements
// reader.Follower.Error.
func (s *Sales) Error(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lastErr, s.lastErrT = err.Error(), time.Now()
}

// put keeps r if its window is among the latest, then drops the windows
// beyond the latest s.windows.
func (s *Sales) put(r reader.Row) {
	start := r.WindowStart.UnixMilli()
	w := s.rows[start]
	if w == nil {
		if len(s.rows) >= s.windows && start < s.oldest() {
			return // older than every window kept
		}
		w = map[string]reader.Row{}
		s.rows[start] = w
	}
	if _, ok := w[r.Region]; !ok && len(w) >= maxRegions {
		s.dropped++
		return
	}
	w[r.Region] = r
	for len(s.rows) > s.windows {
		delete(s.rows, s.oldest())
	}
}

func (s *Sales) oldest() int64 {
	first := true
	var o int64
	for start := range s.rows {
		if first || start < o {
			o, first = start, false
		}
	}
	return o
}

func (s *Sales) changed() {
	s.version++
	s.updated = time.Now()
}

// SalesView is what the dashboard shows of the sales.
type SalesView struct {
	Version int64 `json:"version"`
	// Loaded is false until the table as it stood has been read.
	Loaded  bool      `json:"loaded"`
	Updated time.Time `json:"updated,omitzero"`
	// Windows are the latest window starts, latest first; Regions every
	// region of them, sorted.
	Windows []time.Time `json:"windows"`
	Regions []string    `json:"regions"`
	Rows    []RowView   `json:"rows"`
	Error   string      `json:"error,omitempty"`
	ErrorAt time.Time   `json:"errorAt,omitzero"`
}

// RowView is one (region, window) row, its sales a decimal string.
type RowView struct {
	Region      string    `json:"region"`
	WindowStart time.Time `json:"window_start"`
	WindowEnd   time.Time `json:"window_end"`
	Sales       string    `json:"sales"`
	Orders      int64     `json:"orders"`
}

// View returns the rows kept, latest windows first, then by region.
func (s *Sales) View() SalesView {
	s.mu.Lock()
	defer s.mu.Unlock()
	v := SalesView{Version: s.version, Loaded: s.loaded, Updated: s.updated, Error: s.lastErr, ErrorAt: s.lastErrT}
	regions := map[string]bool{}
	var rows []reader.Row
	for start, w := range s.rows {
		v.Windows = append(v.Windows, time.UnixMilli(start).UTC())
		for region, r := range w {
			regions[region] = true
			rows = append(rows, r)
		}
	}
	slices.SortFunc(v.Windows, func(a, b time.Time) int { return b.Compare(a) })
	for r := range regions {
		v.Regions = append(v.Regions, r)
	}
	slices.Sort(v.Regions)
	slices.SortFunc(rows, func(a, b reader.Row) int {
		if c := b.WindowStart.Compare(a.WindowStart); c != 0 {
			return c
		}
		if a.Region < b.Region {
			return -1
		}
		if a.Region > b.Region {
			return 1
		}
		return 0
	})
	for _, r := range rows {
		v.Rows = append(v.Rows, RowView{Region: r.Region, WindowStart: r.WindowStart.UTC(), WindowEnd: r.WindowEnd.UTC(),
			Sales: r.Sales.String(), Orders: r.Orders})
	}
	return v
}
