package e2e

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// fixed are endpoints that nothing listens on.
type fixed struct{ brokers, registry string }

func (f fixed) Brokers() []string   { return []string{f.brokers} }
func (f fixed) RegistryURL() string { return f.registry }

// TestUnreachable: each binary, pointed at a broker or a registry that is
// not there, fails within seconds with an error naming the address and
// saying how to start the embedded stack.
func TestUnreachable(t *testing.T) {
	s := stack(t)
	deadBroker := "127.0.0.1:" + itoa(freePort(t))
	deadRegistry := "http://127.0.0.1:" + itoa(freePort(t))
	tests := []struct {
		name string
		env  endpoints
		bin  string
		args []string
		want string
	}{
		{"schemas, no registry", fixed{s.Brokers()[0], deadRegistry}, "schemas", nil, deadRegistry},
		{"producer, no registry", fixed{s.Brokers()[0], deadRegistry}, "producer", []string{"--input", "../data/sales.csv"}, deadRegistry},
		{"enricher, no registry", fixed{s.Brokers()[0], deadRegistry}, "enricher", []string{"--regions", "../data/regions.csv"}, deadRegistry},
		{"reader, no broker", fixed{deadBroker, s.RegistryURL()}, "reader", nil, deadBroker},
		{"producer, no broker", fixed{deadBroker, s.RegistryURL()}, "producer", []string{"--input", "../data/sales.csv"}, deadBroker},
		{"enricher, no broker", fixed{deadBroker, s.RegistryURL()}, "enricher", []string{"--regions", "../data/regions.csv"}, deadBroker},
	}
	mustRun(t, s, "schemas")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now()
			r := runBin(t, tt.env, 30*time.Second, tt.bin, tt.args...)
			if r.code == 0 {
				t.Fatalf("exited 0:\n%s%s", r.stdout, r.stderr)
			}
			if d := time.Since(start); d > 15*time.Second {
				t.Errorf("took %v to fail", d)
			}
			last := lastLine(r.stderr)
			if !strings.Contains(last, tt.want) || !strings.Contains(last, "go run ./cmd/devstack") {
				t.Errorf("error %q does not name %s and the devstack", last, tt.want)
			}
		})
	}
}

// TestBadCSV: bad rows are reported with their line and kept; --strict
// refuses the file before sending anything; a wrong header is refused.
func TestBadCSV(t *testing.T) {
	s := schemaStack(t)
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.csv")
	os.WriteFile(bad, []byte("payment_id|customer_id|amount|payment_date|city|district|country\n"+
		"1|10|3.99|2021-05-10 13:04:06.996577+00|Usak|Usak|Turkey\n"+
		"2|10|three|2021-05-10 13:05:06+00|Usak|Usak|Turkey\n"+
		"3|10|3.99|yesterday|Usak|Usak|Turkey\n"+
		"4|10|3.99|2021-05-10 13:06:06+00|Usak|Usak|Turkey\n"), 0o644)

	r := runBin(t, s, time.Minute, "producer", "--input", bad, "--strict", "--delay", "0")
	if r.code == 0 || !strings.Contains(r.stderr, "2 bad rows") || !strings.Contains(r.stderr, "nothing was sent") {
		t.Errorf("--strict: exit %d, stderr %q", r.code, r.stderr)
	}
	out := mustRun(t, s, "producer", "--input", bad, "--delay", "0", "--event-time", "original")
	for _, want := range []string{"sent 2 sales", "2 bad rows of 4", "line 3: amount", "line 4: payment_date", "reject topic pagila.sales.csv.dlq holds 2 rows"} {
		if !strings.Contains(out.stdout, want) {
			t.Errorf("producer output lacks %q:\n%s", want, out.stdout)
		}
	}
	header := filepath.Join(dir, "header.csv")
	os.WriteFile(header, []byte("id,customer,amount\n1,2,3.99\n"), 0o644)
	r = runBin(t, s, time.Minute, "producer", "--input", header)
	if r.code == 0 || !strings.Contains(r.stderr, "header does not match the registered schema") {
		t.Errorf("wrong header: exit %d, stderr %q", r.code, r.stderr)
	}
}

func itoa(n int) string { return strconv.Itoa(n) }
