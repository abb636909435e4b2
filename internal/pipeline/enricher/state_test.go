package enricher

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/salesstream/salesstream/pkg/window"
)

func TestWindowKeyRoundTrip(t *testing.T) {
	tests := []struct {
		name   string
		region string
		start  int64
	}{
		{"plain", "Europe", 1620651600000},
		{"empty region", "", 0},
		{"negative start", "Asia", -300000},
		{"min start", "Asia", math.MinInt64},
		{"max start", "Asia", math.MaxInt64},
		{"NUL and high bytes", "a\x00b\xff\xfe", 42},
		{"invalid UTF-8", "\xc3\x28", -1},
		{"looks like a meta key", "m", 7},
		{"starts with w", "w\x01w", 7},
		{"region of 127 bytes (1-byte length)", strings.Repeat("x", 127), 1},
		{"region of 128 bytes (2-byte length)", strings.Repeat("y", 128), 1},
		{"region of 70000 bytes (3-byte length)", strings.Repeat("z", 70000), 1},
		{"multi-byte UTF-8", "Amérique du Sud – 南米", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k := windowKey(tt.region, tt.start)
			if k[0] != 'w' {
				t.Fatalf("key starts with %q, want 'w'", k[0])
			}
			if string(k) == metaKey {
				t.Fatal("window key equals the meta key")
			}
			region, start, err := parseWindowKey(k)
			if err != nil {
				t.Fatalf("parseWindowKey(%x): %v", k, err)
			}
			if region != tt.region || start != tt.start {
				t.Fatalf("round trip gave (%q, %d), want (%q, %d)", region, start, tt.region, tt.start)
			}
		})
	}
}

// TestWindowKeyLayout pins the documented layout, which a changelog written
// by an earlier build must keep decoding.
func TestWindowKeyLayout(t *testing.T) {
	tests := []struct {
		region string
		start  int64
		want   []byte
	}{
		{"EU", 1, []byte{'w', 2, 'E', 'U', 0, 0, 0, 0, 0, 0, 0, 1}},
		{"", -1, []byte{'w', 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}},
		{strings.Repeat("a", 200), 0x0102030405060708, append(append([]byte{'w', 0xc8, 0x01}, strings.Repeat("a", 200)...), 1, 2, 3, 4, 5, 6, 7, 8)},
	}
	for _, tt := range tests {
		if got := windowKey(tt.region, tt.start); !bytes.Equal(got, tt.want) {
			t.Errorf("windowKey(%.10q, %d) = %x, want %x", tt.region, tt.start, got, tt.want)
		}
	}
}

// TestWindowKeysDistinct checks that different (region, start) pairs never
// share a key, which compaction would otherwise merge.
func TestWindowKeysDistinct(t *testing.T) {
	regions := []string{"", "a", "ab", "a\x00", "\x00", "a\x00\x00\x00\x00\x00\x00\x00\x00", strings.Repeat("b", 128)}
	starts := []int64{math.MinInt64, -1, 0, 1, 97, math.MaxInt64}
	seen := map[string]string{}
	for _, r := range regions {
		for _, s := range starts {
			k := string(windowKey(r, s))
			id := fmt.Sprintf("(%q, %d)", r, s)
			if prev, ok := seen[k]; ok {
				t.Errorf("%s and %s share key %x", prev, id, k)
			}
			seen[k] = id
		}
	}
}

func TestParseWindowKeyRejects(t *testing.T) {
	good := windowKey("EU", 5)
	tests := []struct {
		name string
		key  []byte
		want string
	}{
		{"nil", nil, "not a window key"},
		{"empty", []byte{}, "not a window key"},
		{"meta key", []byte(metaKey), "not a window key"},
		{"other prefix", append([]byte{'x'}, good[1:]...), "not a window key"},
		{"prefix only", []byte{'w'}, "malformed"},
		{"no start", []byte{'w', 2, 'E', 'U'}, "malformed"},
		{"start one byte short", good[:len(good)-1], "malformed"},
		{"one byte too many", append(bytes.Clone(good), 0), "malformed"},
		{"length longer than the key", []byte{'w', 50, 'E', 'U', 0, 0, 0, 0, 0, 0, 0, 1}, "malformed"},
		{"length shorter than the region", []byte{'w', 1, 'E', 'U', 0, 0, 0, 0, 0, 0, 0, 1}, "malformed"},
		{"truncated varint", []byte{'w', 0x80}, "malformed"},
		{"varint overflow", append([]byte{'w'}, bytes.Repeat([]byte{0xff}, 11)...), "malformed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			region, start, err := parseWindowKey(tt.key)
			if err == nil {
				t.Fatalf("parseWindowKey(%x) = (%q, %d), want an error", tt.key, region, start)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("parseWindowKey(%x) error %q, want it to contain %q", tt.key, err, tt.want)
			}
		})
	}
}

// TestParseWindowKeyHugeLength feeds lengths near 2^64, whose sum with the
// other parts wraps around in the length check.
func TestParseWindowKeyHugeLength(t *testing.T) {
	tests := []struct {
		name string
		key  []byte
	}{
		{"length 2^64-8, no region", binary.AppendUvarint([]byte{'w'}, math.MaxUint64-7)},
		{"length 2^64-5 with three bytes", append(binary.AppendUvarint([]byte{'w'}, math.MaxUint64-4), 'a', 'b', 'c')},
		{"length 2^63", append(binary.AppendUvarint([]byte{'w'}, 1<<63), bytes.Repeat([]byte{0}, 8)...)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var err error
			func() {
				defer func() {
					if p := recover(); p != nil {
						err = fmt.Errorf("panic: %v", p)
						t.Errorf("parseWindowKey(%x) panicked: %v", tt.key, p)
					}
				}()
				_, _, err = parseWindowKey(tt.key)
			}()
			if err == nil {
				t.Fatalf("parseWindowKey(%x) accepted a key with an impossible length", tt.key)
			}
		})
	}
}

func FuzzParseWindowKey(f *testing.F) {
	f.Add([]byte("w\x02EU\x00\x00\x00\x00\x00\x00\x00\x01"))
	f.Add([]byte{'w'})
	f.Add([]byte("m"))
	f.Fuzz(func(t *testing.T, k []byte) {
		if len(k) > 1 && k[0] == 'w' {
			if n, w := binary.Uvarint(k[1:]); w > 0 && n > uint64(len(k)) {
				t.Skip("lengths beyond the key: see TestParseWindowKeyHugeLength")
			}
		}
		region, start, err := parseWindowKey(k)
		if err != nil {
			return
		}
		again := windowKey(region, start)
		if r2, s2, err := parseWindowKey(again); err != nil || r2 != region || s2 != start {
			t.Fatalf("windowKey(%q, %d) = %x parses as (%q, %d, %v)", region, start, again, r2, s2, err)
		}
		// A key with a minimal length varint, as windowKey writes, is the
		// encoding of what it parses to.
		n, w := binary.Uvarint(k[1:])
		if w == len(binary.AppendUvarint(nil, n)) && !bytes.Equal(again, k) {
			t.Fatalf("parseWindowKey(%x) = (%q, %d), which encodes as %x", k, region, start, again)
		}
	})
}

func TestWindowValue(t *testing.T) {
	tests := []struct {
		sum  window.Sum
		want []byte
	}{
		{window.Sum{}, make([]byte, 16)},
		{window.Sum{Total: 1199, Count: 1}, []byte{0, 0, 0, 0, 0, 0, 0x04, 0xaf, 0, 0, 0, 0, 0, 0, 0, 1}},
		{window.Sum{Total: -5, Count: 2}, []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfb, 0, 0, 0, 0, 0, 0, 0, 2}},
		{window.Sum{Total: math.MaxInt64, Count: math.MaxInt64}, []byte{0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}},
	}
	for _, tt := range tests {
		got := windowValue(tt.sum)
		if !bytes.Equal(got, tt.want) {
			t.Errorf("windowValue(%+v) = %x, want %x", tt.sum, got, tt.want)
			continue
		}
		// loadState reads the value back as two big-endian int64s.
		back := window.Sum{Total: int64(binary.BigEndian.Uint64(got)), Count: int64(binary.BigEndian.Uint64(got[8:]))}
		if back != tt.sum {
			t.Errorf("windowValue(%+v) reads back as %+v", tt.sum, back)
		}
	}
}

func TestMetaRoundTrip(t *testing.T) {
	tests := []meta{
		{},
		{partition: 0, partitions: 1, watermark: math.MinInt64, maxEvent: math.MinInt64, size: 600000, slide: 300000, start: 0, mode: window.Update},
		{partition: 2, partitions: 3, watermark: 1620651600000, maxEvent: 1620652200000, size: 600000, slide: 600000, start: 60000, mode: window.Append},
		{partition: math.MaxInt32, partitions: math.MaxInt32, watermark: -1, maxEvent: math.MaxInt64, size: 1, slide: 1, start: -1, mode: window.Complete},
		{partition: -1, mode: window.Mode(255)},
		{partition: 1, partitions: 3, watermark: 1620651600000, maxEvent: math.MinInt64, size: 600000, slide: 300000, eventTime: 1620652200000},
	}
	for _, m := range tests {
		v := metaValue(m)
		if len(v) != 58 {
			t.Errorf("metaValue(%+v) is %d bytes, want 58", m, len(v))
		}
		got, err := parseMeta(v)
		if err != nil {
			t.Errorf("parseMeta(metaValue(%+v)): %v", m, err)
			continue
		}
		if got != m {
			t.Errorf("meta round trip: got %+v, want %+v", got, m)
		}
	}
}

// TestMetaLayout pins the documented layout of the meta record.
func TestMetaLayout(t *testing.T) {
	m := meta{partition: 7, partitions: 8, watermark: 1, maxEvent: 2, size: 3, slide: 4, start: 5, mode: window.Mode(6), eventTime: 9}
	want := []byte{
		3,
		0, 0, 0, 7,
		0, 0, 0, 8,
		0, 0, 0, 0, 0, 0, 0, 1,
		0, 0, 0, 0, 0, 0, 0, 2,
		0, 0, 0, 0, 0, 0, 0, 3,
		0, 0, 0, 0, 0, 0, 0, 4,
		0, 0, 0, 0, 0, 0, 0, 5,
		6,
		0, 0, 0, 0, 0, 0, 0, 9,
	}
	if got := metaValue(m); !bytes.Equal(got, want) {
		t.Fatalf("metaValue(%+v) = %x, want %x", m, got, want)
	}
	if metaKey == oldMetaKey || metaKey[0] == 'w' {
		t.Fatalf("meta key %q must differ from the first layout's %q and from window keys", metaKey, oldMetaKey)
	}
}

func TestParseMetaRejectsWrongLength(t *testing.T) {
	good := metaValue(meta{size: 1})
	// 41 bytes: the first layout's meta value.
	for _, v := range [][]byte{nil, {}, good[:49], append(bytes.Clone(good), 0), make([]byte, 16), make([]byte, 41)} {
		if m, err := parseMeta(v); err == nil {
			t.Errorf("parseMeta of %d bytes = %+v, want an error", len(v), m)
		} else if !strings.Contains(err.Error(), fmt.Sprintf("%d bytes", len(v))) {
			t.Errorf("parseMeta of %d bytes: error %q does not give the length", len(v), err)
		}
	}
}

func TestParseMetaRejectsOtherLayout(t *testing.T) {
	v := metaValue(meta{size: 1})
	for _, layout := range []byte{0, 1, 4, 255} {
		v[0] = layout
		if m, err := parseMeta(v); err == nil {
			t.Errorf("parseMeta of layout %d = %+v, want an error", layout, m)
		} else if !strings.Contains(err.Error(), "layout") {
			t.Errorf("parseMeta of layout %d: error %q does not name the layout", layout, err)
		}
	}
}

// TestParseMetaRefusesPerPartitionLayout checks that a state topic of
// the per-partition watermark is refused, saying what to do.
func TestParseMetaRefusesPerPartitionLayout(t *testing.T) {
	old := []byte{2, 0, 0, 0, 0, 0, 0, 0, 1}
	old = append(old, make([]byte, 41)...) // layout 2: 50 bytes
	_, err := parseMeta(old)
	if !errors.Is(err, errPerPartitionState) {
		t.Fatalf("parseMeta of layout 2: %v, want errPerPartitionState", err)
	}
	for _, want := range []string{"one watermark per repartition partition", "--group", "--state-topic"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
}

func TestMs(t *testing.T) {
	tests := []struct {
		in   int64
		want string
	}{
		{0, "0s"}, {600000, "10m0s"}, {1500, "1.5s"}, {-300000, "-5m0s"},
	}
	for _, tt := range tests {
		if got := ms(tt.in).String(); got != tt.want {
			t.Errorf("ms(%d) = %s, want %s", tt.in, got, tt.want)
		}
	}
}

func TestCmpInt(t *testing.T) {
	tests := []struct {
		a, b int64
		want int
	}{
		{1, 2, -1}, {2, 1, 1}, {3, 3, 0},
		{math.MinInt64, math.MaxInt64, -1}, {math.MaxInt64, math.MinInt64, 1}, {-1, -1, 0},
	}
	for _, tt := range tests {
		if got := cmpInt(tt.a, tt.b); got != tt.want {
			t.Errorf("cmpInt(%d, %d) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}
}

func TestParseTimeSource(t *testing.T) {
	tests := []struct {
		in      string
		want    TimeSource
		wantErr bool
	}{
		{"payment_date", PaymentDate, false},
		{"event", PaymentDate, false},
		{"record", RecordTimestamp, false},
		{"record_timestamp", RecordTimestamp, false},
		{"", 0, true},
		{"Record", 0, true},
		{"processing", 0, true},
	}
	for _, tt := range tests {
		got, err := ParseTimeSource(tt.in)
		var text TimeSource // as flags and environment variables read it
		if terr := text.UnmarshalText([]byte(tt.in)); text != got || (terr == nil) != (err == nil) {
			t.Errorf("UnmarshalText(%q) = %v, %v; ParseTimeSource gives %v, %v", tt.in, text, terr, got, err)
		}
		if b, _ := got.MarshalText(); err == nil && string(b) != got.String() {
			t.Errorf("MarshalText of %v = %q", got, b)
		}
		if (err != nil) != tt.wantErr {
			t.Errorf("ParseTimeSource(%q) error = %v, want error %v", tt.in, err, tt.wantErr)
			continue
		}
		if err == nil && got != tt.want {
			t.Errorf("ParseTimeSource(%q) = %v, want %v", tt.in, got, tt.want)
		}
		if err != nil && !strings.Contains(err.Error(), "payment_date or record") {
			t.Errorf("ParseTimeSource(%q) error %q does not say what is accepted", tt.in, err)
		}
	}
}

func TestSourceHeaders(t *testing.T) {
	r := &kgo.Record{
		Topic: "pagila.sales.avro", Partition: 2, Offset: 12345,
		Headers: []kgo.RecordHeader{{Key: "apicurio.value.globalId", Value: []byte{0, 0, 0, 0, 0, 0, 0, 9}}},
	}
	got := sourceHeaders(r, kgo.RecordHeader{Key: HeaderError, Value: []byte("bad bytes")})
	want := []kgo.RecordHeader{
		{Key: "apicurio.value.globalId", Value: []byte{0, 0, 0, 0, 0, 0, 0, 9}},
		{Key: HeaderTopic, Value: []byte("pagila.sales.avro")},
		{Key: HeaderPartition, Value: []byte("2")},
		{Key: HeaderOffset, Value: []byte("12345")},
		{Key: HeaderError, Value: []byte("bad bytes")},
	}
	if len(got) != len(want) {
		t.Fatalf("sourceHeaders gave %d headers, want %d: %v", len(got), len(want), got)
	}
	for i := range want {
		if got[i].Key != want[i].Key || !bytes.Equal(got[i].Value, want[i].Value) {
			t.Errorf("header %d = %s=%q, want %s=%q", i, got[i].Key, got[i].Value, want[i].Key, want[i].Value)
		}
	}
	// The source record's headers must not be changed by appending.
	if len(r.Headers) != 1 {
		t.Errorf("sourceHeaders changed the record's headers to %v", r.Headers)
	}
}

func TestHeaderLookup(t *testing.T) {
	r := &kgo.Record{Headers: []kgo.RecordHeader{
		{Key: "a", Value: []byte("1")},
		{Key: "b", Value: nil},
		{Key: "a", Value: []byte("2")},
	}}
	look := headerLookup(r)
	tests := []struct {
		key    string
		want   []byte
		wantOK bool
	}{
		{"a", []byte("1"), true}, // the first of repeated headers
		{"b", nil, true},
		{"c", nil, false},
		{"A", nil, false},
	}
	for _, tt := range tests {
		got, ok := look(tt.key)
		if ok != tt.wantOK || !bytes.Equal(got, tt.want) {
			t.Errorf("lookup(%q) = %q, %v; want %q, %v", tt.key, got, ok, tt.want, tt.wantOK)
		}
	}
}
