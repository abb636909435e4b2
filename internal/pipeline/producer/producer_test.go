package producer

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/salesstream/salesstream/internal/domain/money"
	"github.com/salesstream/salesstream/internal/domain/sales"
	"github.com/salesstream/salesstream/internal/domain/schema"
	"github.com/salesstream/salesstream/internal/platform/kafkatest"
	"github.com/salesstream/salesstream/internal/platform/textenum/textenumtest"
)

func TestParseEventTime(t *testing.T) {
	textenumtest.Check(t, "ParseEventTime", ParseEventTime, "now, original or shifted", []textenumtest.Case[EventTime]{
		{In: "now", Want: Now},
		{In: "original", Want: Original},
		{In: "shifted", Want: Shifted},
		{In: "", Err: true},
		{In: "Now", Err: true},
		{In: "shift", Err: true},
		{In: " now", Err: true},
	})
}

func TestEventTimeString(t *testing.T) {
	tests := []struct {
		e    EventTime
		want string
	}{
		{Now, "now"}, {Original, "original"}, {Shifted, "shifted"}, {EventTime(7), "EventTime(7)"}, {EventTime(-1), "EventTime(-1)"},
	}
	for _, tt := range tests {
		if got := tt.e.String(); got != tt.want {
			t.Errorf("EventTime(%d).String() = %q, want %q", int(tt.e), got, tt.want)
		}
		if back, err := ParseEventTime(tt.want); err == nil && back != tt.e {
			t.Errorf("ParseEventTime(%q) = %v, want %v", tt.want, back, tt.e)
		}
	}
}

var t0 = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)

func TestPacer(t *testing.T) {
	offs := []time.Duration{0, 2 * time.Second, 2 * time.Second, 10 * time.Second, -4 * time.Second, time.Minute}
	tests := []struct {
		name string
		cfg  Config
		want []time.Duration // due times after start, one per offset
	}{
		{"no delay", Config{EventTime: Now},
			[]time.Duration{0, 0, 0, 0, 0, 0}},
		{"delay 750ms, now", Config{EventTime: Now, Delay: 750 * time.Millisecond},
			[]time.Duration{0, 750 * time.Millisecond, 1500 * time.Millisecond, 2250 * time.Millisecond, 3 * time.Second, 3750 * time.Millisecond}},
		{"delay, original", Config{EventTime: Original, Delay: time.Second},
			[]time.Duration{0, time.Second, 2 * time.Second, 3 * time.Second, 4 * time.Second, 5 * time.Second}},
		{"rate 4/s", Config{EventTime: Now, Rate: 4},
			[]time.Duration{0, 250 * time.Millisecond, 500 * time.Millisecond, 750 * time.Millisecond, time.Second, 1250 * time.Millisecond}},
		{"rate wins over delay", Config{EventTime: Original, Rate: 0.5, Delay: time.Hour},
			[]time.Duration{0, 2 * time.Second, 4 * time.Second, 6 * time.Second, 8 * time.Second, 10 * time.Second}},
		{"shifted, real time", Config{EventTime: Shifted},
			[]time.Duration{0, 2 * time.Second, 2 * time.Second, 10 * time.Second, -4 * time.Second, time.Minute}},
		{"shifted, speedup 10", Config{EventTime: Shifted, Speedup: 10},
			[]time.Duration{0, 200 * time.Millisecond, 200 * time.Millisecond, time.Second, -400 * time.Millisecond, 6 * time.Second}},
		{"shifted, speedup 0.5", Config{EventTime: Shifted, Speedup: 0.5},
			[]time.Duration{0, 4 * time.Second, 4 * time.Second, 20 * time.Second, -8 * time.Second, 2 * time.Minute}},
		{"shifted ignores rate and delay", Config{EventTime: Shifted, Speedup: 2, Rate: 100, Delay: time.Hour},
			[]time.Duration{0, time.Second, time.Second, 5 * time.Second, -2 * time.Second, 30 * time.Second}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// New applies the defaults (a speedup of 1) that Run's pacer sees.
			p, err := New(nil, nil, nil, tt.cfg)
			if err != nil {
				t.Fatal(err)
			}
			pc := pacer{cfg: p.cfg, start: t0}
			for i, off := range offs {
				got := pc.next(off).Sub(t0)
				if got != tt.want[i] {
					t.Errorf("sale %d (offset %v): due at start%+v, want start%+v", i, off, got, tt.want[i])
				}
			}
		})
	}
}

func TestNewConfig(t *testing.T) {
	tests := []struct {
		name       string
		cfg        Config
		wantErr    bool
		topic      string
		reject     string
		speedup    float64
		defaultNow bool
	}{
		{"defaults", Config{}, false, schema.SalesTopic, "pagila.sales.csv.dlq", 1, true},
		{"explicit", Config{Topic: "t", RejectTopic: "r", Speedup: 60, Clock: func() time.Time { return t0 }}, false, "t", "r", 60, false},
		{"negative speedup means real time", Config{Speedup: -3}, false, schema.SalesTopic, "pagila.sales.csv.dlq", 1, true},
		{"negative delay", Config{Delay: -time.Second}, true, "", "", 0, false},
		{"negative rate", Config{Rate: -1}, true, "", "", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := New(nil, nil, nil, tt.cfg)
			if (err != nil) != tt.wantErr {
				t.Fatalf("New: error = %v, want error %v", err, tt.wantErr)
			}
			if err != nil {
				return
			}
			if p.cfg.Topic != tt.topic || p.cfg.RejectTopic != tt.reject || p.cfg.Speedup != tt.speedup {
				t.Errorf("config = topic %q, reject %q, speedup %v; want %q, %q, %v", p.cfg.Topic, p.cfg.RejectTopic, p.cfg.Speedup, tt.topic, tt.reject, tt.speedup)
			}
			if got := p.now(); tt.defaultNow == got.Equal(t0) {
				t.Errorf("clock gave %v; default clock %v", got, tt.defaultNow)
			}
		})
	}
}

func TestSleepUntil(t *testing.T) {
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	now := func() time.Time { return t0 }
	tests := []struct {
		name string
		ctx  context.Context
		due  time.Time
		want error
	}{
		{"due now", context.Background(), t0, nil},
		{"overdue", context.Background(), t0.Add(-time.Hour), nil},
		{"soon", context.Background(), t0.Add(time.Millisecond), nil},
		{"overdue, cancelled", cancelled, t0.Add(-time.Hour), context.Canceled},
		{"far, cancelled", cancelled, t0.Add(time.Hour), context.Canceled},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := sleepUntil(tt.ctx, now, tt.due); !errors.Is(err, tt.want) || (tt.want == nil && err != nil) {
				t.Fatalf("sleepUntil = %v, want %v", err, tt.want)
			}
		})
	}
}

const csvHeader = "payment_id|customer_id|amount|payment_date|city|district|country\n"

// csvHeaderFields is the registered CSV schema's header.
func csvHeaderFields(t testing.TB) []string {
	t.Helper()
	s, err := schema.Parse(schema.SalesCSV)
	if err != nil {
		t.Fatal(err)
	}
	h, err := schema.FieldNames(s)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func csvReader(t *testing.T, rows string) *sales.Reader {
	t.Helper()
	r, err := sales.NewReader(strings.NewReader(csvHeader+rows), csvHeaderFields(t))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestValidate(t *testing.T) {
	var many strings.Builder
	for i := range 25 {
		fmt.Fprintf(&many, "%d|1|bad|2021-05-10 13:00:00+00|||France\n", i)
	}
	tests := []struct {
		name      string
		rows      string
		read, bad int64
		lines     []int
		fields    []string
	}{
		{"empty", "", 0, 0, nil, nil},
		{"clean", "1|10|11.99|2021-05-10 13:00:00.000000+00|Lyon||France\n2|20|0.99|2021-05-10 13:01:00+00|||Japan\n", 2, 0, nil, nil},
		{"bad rows", "1|10|11.99|2021-05-10 13:00:00+00|||France\n" +
			"x|10|1.00|2021-05-10 13:00:00+00|||France\n" +
			"3|10|1.001|2021-05-10 13:00:00+00|||France\n" +
			"4|10|1.00|yesterday|||France\n" +
			"5|10|1.00|2021-05-10 13:00:00+00|||\n" + // blank country: a good sale, Unassigned
			"6|10|1.00\n" +
			"7|70|2.00|2021-05-10 13:00:00+00|||Chile\n",
			7, 4, []int{3, 4, 5, 7}, []string{"payment_id", "amount", "payment_date", ""}},
		{"errors capped", many.String(), 25, 25, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, err := Validate(csvReader(t, tt.rows))
			if err != nil {
				t.Fatalf("Validate: %v", err)
			}
			if st.Read != tt.read || st.Bad != tt.bad || st.Sent != 0 {
				t.Fatalf("stats read %d bad %d sent %d, want %d, %d, 0", st.Read, st.Bad, st.Sent, tt.read, tt.bad)
			}
			if want := min(tt.bad, MaxReported); int64(len(st.Errors)) != want {
				t.Fatalf("%d errors reported, want %d", len(st.Errors), want)
			}
			for i, line := range tt.lines {
				var re *sales.RowError
				if !errors.As(st.Errors[i], &re) {
					t.Fatalf("error %d is %T, want *sales.RowError", i, st.Errors[i])
				}
				if re.Line != line || re.Field != tt.fields[i] {
					t.Errorf("error %d at line %d field %q, want line %d field %q", i, re.Line, re.Field, line, tt.fields[i])
				}
			}
		})
	}
}

// sliceSource yields a fixed list of results, then io.EOF.
type sliceSource struct {
	items []sourceItem
	next  int
	// onNext, if set, is called with the index of each Next call.
	onNext func(i int)
}

type sourceItem struct {
	s   sales.Sale
	err error
}

func (s *sliceSource) Next() (sales.Sale, error) {
	if s.onNext != nil {
		s.onNext(s.next)
	}
	if s.next >= len(s.items) {
		return sales.Sale{}, io.EOF
	}
	it := s.items[s.next]
	s.next++
	return it.s, it.err
}

func TestValidateStopsOnReadError(t *testing.T) {
	boom := errors.New("disk on fire")
	src := &sliceSource{items: []sourceItem{{s: sales.Sale{PaymentID: 1}}, {err: boom}, {s: sales.Sale{PaymentID: 3}}}}
	st, err := Validate(src)
	if !errors.Is(err, boom) {
		t.Fatalf("Validate error = %v, want %v", err, boom)
	}
	if st.Bad != 0 || src.next != 2 {
		t.Fatalf("Validate went on after a read error: bad %d, %d items taken", st.Bad, src.next)
	}
}

// testKeyEnc encodes a SaleKey as "K" and the customer id.
type testKeyEnc struct{}

func (testKeyEnc) Append(dst []byte, v any) ([]byte, error) {
	k, ok := v.(*schema.SaleKey)
	if !ok {
		return dst, fmt.Errorf("key encoder got %T", v)
	}
	return strconv.AppendInt(append(dst, 'K'), int64(k.CustomerID), 10), nil
}

// encodedSale is what testValEnc writes, after a "V".
type encodedSale struct {
	PaymentID   int32
	CustomerID  int32
	Cents       int64
	PaymentDate int64
	City        *string
	District    *string
	Country     *string
}

// testValEnc encodes a SaleValue as "V" and JSON.
type testValEnc struct{}

func (testValEnc) Append(dst []byte, v any) ([]byte, error) {
	sv, ok := v.(*schema.SaleValue)
	if !ok {
		return dst, fmt.Errorf("value encoder got %T", v)
	}
	c, err := schema.Decimal(sv.Amount)
	if err != nil {
		return dst, err
	}
	b, err := json.Marshal(encodedSale{sv.PaymentID, sv.CustomerID, int64(c), sv.PaymentDate, sv.City, sv.District, sv.Country})
	if err != nil {
		return dst, err
	}
	return append(append(dst, 'V'), b...), nil
}

// failEnc fails every encoding.
type failEnc struct{}

func (failEnc) Append(dst []byte, v any) ([]byte, error) { return dst, errors.New("encoder refused") }

// bigEnc writes a value of n bytes.
type bigEnc struct{ n int }

func (b bigEnc) Append(dst []byte, v any) ([]byte, error) {
	return append(dst, make([]byte, b.n)...), nil
}

const (
	salesTopic  = "sales"
	rejectTopic = "rejects"
)

func newCluster(t *testing.T, topics ...string) []string {
	t.Helper()
	return kafkatest.Cluster(t, kfake.SeedTopics(2, topics...)).ListenAddrs()
}

// consumeAll returns every record of topic, waiting until as many were
// read as the topic's end offsets say it holds.
func consumeAll(t *testing.T, brokers []string, topic string) []*kgo.Record {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cl := kafkatest.Client(t, brokers, kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	ends, err := kadm.NewClient(cl).ListEndOffsets(ctx, topic)
	if err != nil {
		t.Fatal(err)
	}
	var want int64
	ends.Each(func(o kadm.ListedOffset) {
		if o.Err != nil {
			t.Fatalf("end offset of %s[%d]: %v", o.Topic, o.Partition, o.Err)
		}
		want += o.Offset
	})
	var out []*kgo.Record
	for int64(len(out)) < want {
		fs := cl.PollFetches(ctx)
		if ctx.Err() != nil {
			t.Fatalf("read %d of %d records of %s: %v", len(out), want, topic, ctx.Err())
		}
		for _, e := range fs.Errors() {
			t.Fatalf("consume %s: %v", topic, e.Err)
		}
		out = append(out, fs.Records()...)
	}
	return out
}

func header(r *kgo.Record, key string) (string, bool) {
	for _, h := range r.Headers {
		if h.Key == key {
			return string(h.Value), true
		}
	}
	return "", false
}

// runRows are the rows of TestRun: good rows whose payment dates are not
// in order, and bad rows between them. Line numbers count the header as 1.
const runRows = "" +
	"1|10|11.99|2021-05-10 13:00:00.000000+00|Lyon|Rhône|France\n" + // line 2
	"2|20|abc|2021-05-10 13:00:05+00|||France\n" + // line 3: bad amount
	"3|30|0.99|2021-05-10 13:01:00.5+00|||Japan\n" + // line 4
	"4|40|5.00|2021-05-10 13:02:00+00|a|b\n" + // line 5: six fields
	"5|50|-2.50|2021-05-10 12:59:00+00|Santiago||Chile\n" + // line 6: before the first
	"6|10|100.00|2021-05-10 14:00:00+00||Kanto|Japan\n" + // line 7
	"x|60|1.00|2021-05-10 14:00:00+00|||Peru\n" // line 8: bad payment_id

type wantSale struct {
	id, customer int32
	cents        int64
	original     time.Time
	city, dist   string
	country      string
}

var runGood = []wantSale{
	{1, 10, 1199, time.Date(2021, 5, 10, 13, 0, 0, 0, time.UTC), "Lyon", "Rhône", "France"},
	{3, 30, 99, time.Date(2021, 5, 10, 13, 1, 0, 500e6, time.UTC), "", "", "Japan"},
	{5, 50, -250, time.Date(2021, 5, 10, 12, 59, 0, 0, time.UTC), "Santiago", "", "Chile"},
	{6, 10, 10000, time.Date(2021, 5, 10, 14, 0, 0, 0, time.UTC), "", "Kanto", "Japan"},
}

type wantReject struct {
	line  int
	field string
	err   string // a part of the reason
}

var runBad = []wantReject{
	{3, "amount", "abc"},
	{5, "", "6 fields"},
	{8, "payment_id", "not a 32-bit integer"},
}

func TestRun(t *testing.T) {
	first := runGood[0].original
	tests := []struct {
		name      string
		mode      EventTime
		speedup   float64
		limit     int64
		eventTime func(w wantSale) time.Time
		sent      int // the first sent of runGood
		read      int64
		rejects   int // the first rejects of runBad
	}{
		{"now", Now, 0, 0, func(wantSale) time.Time { return t0 }, 4, 7, 3},
		{"original", Original, 0, 0, func(w wantSale) time.Time { return w.original }, 4, 7, 3},
		{"shifted", Shifted, 1e7, 0, func(w wantSale) time.Time { return t0.Add(w.original.Sub(first)) }, 4, 7, 3},
		{"limit 2", Original, 0, 2, func(w wantSale) time.Time { return w.original }, 2, 3, 1},
		{"limit 3", Now, 0, 3, func(wantSale) time.Time { return t0 }, 3, 5, 2},
		{"limit above the input", Original, 0, 100, func(w wantSale) time.Time { return w.original }, 4, 7, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			brokers := newCluster(t, salesTopic, rejectTopic)
			cl := kafkatest.Client(t, brokers)
			var progress []Stats
			p, err := New(cl, testKeyEnc{}, testValEnc{}, Config{
				Topic: salesTopic, RejectTopic: rejectTopic, SourceName: "sales.csv",
				EventTime: tt.mode, Speedup: tt.speedup, Limit: tt.limit,
				Clock:    func() time.Time { return t0 },
				Progress: func(s Stats) { progress = append(progress, s) },
			})
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			st, err := p.Run(ctx, csvReader(t, runRows))
			if err != nil {
				t.Fatalf("Run: %v", err)
			}
			if st.Read != tt.read || st.Sent != int64(tt.sent) || st.Bad != int64(tt.rejects) || st.Elapsed != 0 {
				t.Errorf("stats read %d sent %d bad %d elapsed %v, want %d, %d, %d, 0", st.Read, st.Sent, st.Bad, st.Elapsed, tt.read, tt.sent, tt.rejects)
			}
			if len(st.Errors) != tt.rejects {
				t.Errorf("%d errors reported, want %d", len(st.Errors), tt.rejects)
			}
			if n := len(progress); n == 0 || progress[n-1].Read != st.Read || progress[n-1].Sent != st.Sent || progress[n-1].Bad != st.Bad {
				t.Errorf("last progress report %+v, want the final stats %+v", progress, st)
			}

			recs := consumeAll(t, brokers, salesTopic)
			if len(recs) != tt.sent {
				t.Fatalf("%d records on %s, want %d", len(recs), salesTopic, tt.sent)
			}
			got := map[int32]encodedSale{}
			for _, r := range recs {
				if len(r.Value) == 0 || r.Value[0] != 'V' {
					t.Fatalf("value %q is not the value encoder's", r.Value)
				}
				var e encodedSale
				if err := json.Unmarshal(r.Value[1:], &e); err != nil {
					t.Fatalf("value %q: %v", r.Value, err)
				}
				if _, dup := got[e.PaymentID]; dup {
					t.Errorf("payment %d sent twice", e.PaymentID)
				}
				got[e.PaymentID] = e
				if want := "K" + strconv.Itoa(int(e.CustomerID)); string(r.Key) != want {
					t.Errorf("payment %d: key %q, want %q", e.PaymentID, r.Key, want)
				}
			}
			for _, w := range runGood[:tt.sent] {
				e, ok := got[w.id]
				if !ok {
					t.Errorf("payment %d not sent", w.id)
					continue
				}
				if e.CustomerID != w.customer || e.Cents != w.cents || deref(e.Country) != w.country ||
					deref(e.City) != w.city || deref(e.District) != w.dist || (w.city == "") != (e.City == nil) || (w.dist == "") != (e.District == nil) {
					t.Errorf("payment %d sent as %+v, want %+v", w.id, e, w)
				}
				if want := tt.eventTime(w); e.PaymentDate != want.UnixMilli() {
					t.Errorf("payment %d: event time %v, want %v", w.id, time.UnixMilli(e.PaymentDate).UTC(), want)
				}
			}

			rejects := consumeAll(t, brokers, rejectTopic)
			if len(rejects) != tt.rejects {
				t.Fatalf("%d records on %s, want %d", len(rejects), rejectTopic, tt.rejects)
			}
			// The topic has two partitions: put the rejects in line order.
			slices.SortFunc(rejects, func(a, b *kgo.Record) int {
				la, _ := header(a, HeaderLine)
				lb, _ := header(b, HeaderLine)
				return cmp.Compare(atoi(la), atoi(lb))
			})
			for i, r := range rejects {
				w := runBad[i]
				if line, _ := header(r, HeaderLine); line != strconv.Itoa(w.line) {
					t.Errorf("reject %d: line header %q, want %d", i, line, w.line)
				}
				if field, ok := header(r, schema.HeaderField); !ok || field != w.field {
					t.Errorf("reject %d: field header %q (present %v), want %q", i, field, ok, w.field)
				}
				if src, _ := header(r, HeaderSource); src != "sales.csv" {
					t.Errorf("reject %d: source header %q, want sales.csv", i, src)
				}
				if reason, _ := header(r, schema.HeaderError); !strings.Contains(reason, w.err) {
					t.Errorf("reject %d: error header %q, want it to contain %q", i, reason, w.err)
				}
				if !strings.Contains(string(r.Value), "line "+strconv.Itoa(w.line)) && !strings.Contains(string(r.Value), "|") {
					t.Errorf("reject %d: value %q tells neither the line nor the row", i, r.Value)
				}
			}
		})
	}
}

func atoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// TestRejectKeepsOriginalRow checks the package documentation's promise
// that a bad row is kept on the reject topic as its original text.
func TestRejectKeepsOriginalRow(t *testing.T) {
	brokers := newCluster(t, salesTopic, rejectTopic)
	p, err := New(kafkatest.Client(t, brokers), testKeyEnc{}, testValEnc{}, Config{Topic: salesTopic, RejectTopic: rejectTopic, EventTime: Original})
	if err != nil {
		t.Fatal(err)
	}
	row := "2|20|abc|2021-05-10 13:00:05+00|||France"
	if _, err := p.Run(context.Background(), csvReader(t, row+"\n")); err != nil {
		t.Fatal(err)
	}
	rejects := consumeAll(t, brokers, rejectTopic)
	if len(rejects) != 1 || string(rejects[0].Value) != row {
		t.Fatalf("reject topic holds %d records, first value %q; want the row %q", len(rejects), firstValue(rejects), row)
	}
}

func firstValue(rs []*kgo.Record) string {
	if len(rs) == 0 {
		return ""
	}
	return string(rs[0].Value)
}

func TestRunFailures(t *testing.T) {
	good := sales.Sale{PaymentID: 1, CustomerID: 2, Amount: money.Cents(100), PaymentDate: t0, Country: "Chile"}
	boom := errors.New("disk on fire")
	tests := []struct {
		name   string
		keyEnc Encoder
		valEnc Encoder
		opts   []kgo.Opt
		items  []sourceItem
		want   string
		wantIs error
		read   int64
		sent   int64
	}{
		{"key encoder fails", failEnc{}, testValEnc{}, nil, []sourceItem{{s: good}, {s: good}}, "encode key of payment 1", nil, 1, 0},
		{"value encoder fails", testKeyEnc{}, failEnc{}, nil, []sourceItem{{s: good}, {s: good}}, "encode payment 1", nil, 1, 0},
		{"source fails", testKeyEnc{}, testValEnc{}, nil, []sourceItem{{s: good}, {err: boom}, {s: good}}, "read in.csv", boom, 2, 1},
		{"record too large", testKeyEnc{}, bigEnc{n: 4000}, []kgo.Opt{kgo.ProducerBatchMaxBytes(1000)}, []sourceItem{{s: good}}, "produce to " + salesTopic, nil, 1, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			brokers := newCluster(t, salesTopic, rejectTopic)
			p, err := New(kafkatest.Client(t, brokers, tt.opts...), tt.keyEnc, tt.valEnc, Config{
				Topic: salesTopic, RejectTopic: rejectTopic, SourceName: "in.csv", EventTime: Original,
			})
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			st, err := p.Run(ctx, &sliceSource{items: tt.items})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Run error = %v, want one containing %q", err, tt.want)
			}
			if tt.wantIs != nil && !errors.Is(err, tt.wantIs) {
				t.Fatalf("Run error = %v, want it to wrap %v", err, tt.wantIs)
			}
			if st.Read != tt.read || st.Sent != tt.sent {
				t.Fatalf("stats read %d sent %d, want %d and %d", st.Read, st.Sent, tt.read, tt.sent)
			}
		})
	}
}

// TestRunCancelled cancels the run while it waits to send the second sale
// of a slow rate.
func TestRunCancelled(t *testing.T) {
	brokers := newCluster(t, salesTopic, rejectTopic)
	p, err := New(kafkatest.Client(t, brokers), testKeyEnc{}, testValEnc{}, Config{
		Topic: salesTopic, RejectTopic: rejectTopic, EventTime: Now, Rate: 1.0 / 3600,
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	runCtx, stop := context.WithCancel(ctx)
	s := sales.Sale{PaymentID: 1, CustomerID: 2, Amount: 100, PaymentDate: t0, Country: "Chile"}
	src := &sliceSource{
		items: []sourceItem{{s: s}, {s: s}, {s: s}},
		onNext: func(i int) {
			if i == 1 {
				stop()
			}
		},
	}
	done := make(chan struct{})
	var st Stats
	go func() {
		defer close(done)
		st, err = p.Run(runCtx, src)
	}()
	select {
	case <-done:
	case <-ctx.Done():
		t.Fatal("Run did not stop when its context was cancelled")
	}
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Run error = %v, want context.Canceled", err)
	}
	if st.Read != 2 || src.next != 2 {
		t.Fatalf("read %d, took %d items; want 2 and 2", st.Read, src.next)
	}
}

func TestRunPacesRealTime(t *testing.T) {
	// A rate of 100 a second spreads five sales over at least 40ms of the
	// real clock; with no pacing they would go out at once.
	brokers := newCluster(t, salesTopic, rejectTopic)
	p, err := New(kafkatest.Client(t, brokers), testKeyEnc{}, testValEnc{}, Config{
		Topic: salesTopic, RejectTopic: rejectTopic, EventTime: Now, Rate: 100,
	})
	if err != nil {
		t.Fatal(err)
	}
	items := make([]sourceItem, 5)
	for i := range items {
		items[i] = sourceItem{s: sales.Sale{PaymentID: int32(i), CustomerID: 1, Amount: 1, PaymentDate: t0, Country: "Chile"}}
	}
	start := time.Now()
	st, err := p.Run(context.Background(), &sliceSource{items: items})
	if err != nil {
		t.Fatal(err)
	}
	if el := time.Since(start); el < 40*time.Millisecond {
		t.Fatalf("5 sales at 100/s took %v, want at least 40ms", el)
	}
	if st.Sent != 5 || st.Elapsed < 40*time.Millisecond {
		t.Fatalf("sent %d in %v, want 5 in at least 40ms", st.Sent, st.Elapsed)
	}
	recs := consumeAll(t, brokers, salesTopic)
	// Now mode stamps each sale with the time it is sent: the stamps are
	// spread as the sends are.
	var lo, hi int64
	for i, r := range recs {
		var e encodedSale
		if err := json.Unmarshal(r.Value[1:], &e); err != nil {
			t.Fatal(err)
		}
		if i == 0 || e.PaymentDate < lo {
			lo = e.PaymentDate
		}
		if i == 0 || e.PaymentDate > hi {
			hi = e.PaymentDate
		}
	}
	if hi-lo < 30 {
		t.Fatalf("event times span %d ms, want at least 30 ms for sales 10 ms apart", hi-lo)
	}
}
