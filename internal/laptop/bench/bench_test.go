package bench

import (
	"slices"
	"strings"
	"testing"
	"time"
)

func TestParseBench(t *testing.T) {
	out := []byte(`goos: linux
pkg: github.com/salesstream/salesstream/pkg/window
BenchmarkReferenceShape/update         	20000000	        41.20 ns/op	  24271845 events/s	       0 B/op	       0 allocs/op
BenchmarkProcess   	  200000	       479.8 ns/op	   2084387 records/s	      57 B/op	       1 allocs/op
PASS
ok  	github.com/salesstream/salesstream/pkg/window	1.2s
`)
	rs := ParseBench(out)
	if len(rs) != 2 {
		t.Fatalf("parsed %d results, want 2: %+v", len(rs), rs)
	}
	if rs[0].Name != "BenchmarkReferenceShape/update" || rs[0].N != 20000000 || len(rs[0].Metrics) != 4 || rs[0].Metrics[1] != [2]string{"24271845", "events/s"} {
		t.Errorf("first result %+v", rs[0])
	}
	m := map[string]Result{rs[1].Name: rs[1]}
	if v := metric(m, "BenchmarkProcess", "records/s"); v != 2084387 {
		t.Errorf("records/s = %v", v)
	}
	if v := metric(m, "BenchmarkProcess", "events/s"); v != 0 {
		t.Errorf("missing unit gave %v", v)
	}
}

func TestParseSections(t *testing.T) {
	for _, tc := range []struct {
		in      string
		want    []string
		wantErr bool
	}{
		{"", nil, false},
		{"ceiling", []string{"ceiling"}, false},
		{" ceiling, memory ", []string{"ceiling", "memory"}, false},
		{"ceiling,nope", nil, true},
	} {
		got, err := ParseSections(tc.in)
		if (err != nil) != tc.wantErr || !slices.Equal(got, tc.want) {
			t.Errorf("ParseSections(%q) = %v, %v; want %v, error %v", tc.in, got, err, tc.want, tc.wantErr)
		}
		cfg := Config{Only: got}
		if !tc.wantErr && (cfg.Want("ceiling") != (len(got) == 0 || slices.Contains(got, "ceiling"))) {
			t.Errorf("Want(ceiling) with %v is %v", got, cfg.Want("ceiling"))
		}
	}
}

func TestFastest(t *testing.T) {
	tests := []struct{ a, b, want time.Duration }{
		{0, 3, 3}, {5, 3, 3}, {2, 3, 2}, {4, 4, 4},
	}
	for _, tt := range tests {
		if got := fastest(tt.a, tt.b); got != tt.want {
			t.Errorf("fastest(%v, %v) = %v, want %v", tt.a, tt.b, got, tt.want)
		}
	}
}

// TestCeilingsReportTheModes: the ceilings section gives each mode's mean,
// the ratio of the means, the order of the runs, and the range and median
// of the side-by-side runs' ratios.
func TestCeilingsReportTheModes(t *testing.T) {
	ms := time.Millisecond
	bl := Backlog{Sales: 1000, Consume: 100 * ms, Decode: 200 * ms,
		OnceRuns: []time.Duration{400 * ms, 440 * ms, 420 * ms}, StreamRuns: []time.Duration{400 * ms, 400 * ms, 500 * ms}}
	bl.Once, bl.Stream = mean(bl.OnceRuns), mean(bl.StreamRuns)
	var b strings.Builder
	writeCeilings(&b, bl, Producing{}, false)
	for _, want := range []string{
		"| `enricher --once`, child process, start to exit | 420ms |",
		"| enricher streaming `--trigger 100ms`, start to all committed | 433ms | 2308 | 0.23 (0.97× `--once`) |",
		"each enricher mode 3 times, each in a fresh group, in the order `--once`, streaming, streaming, `--once`, streaming, `--once`;",
		"from 0.84× to 1.10×, median 1.00×.",
	} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("the section lacks %q:\n%s", want, b.String())
		}
	}
}
