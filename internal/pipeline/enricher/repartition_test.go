package enricher

import (
	"bytes"
	"errors"
	"math"
	"slices"
	"testing"

	"github.com/twmb/franz-go/pkg/kgo"
)

func TestRepartitionValueRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		f    forwarded
	}{
		{"typical", forwarded{ts: 1620651846996, cents: 1199, timestamp: 1700000000123, partition: 2, offset: 12345,
			key: []byte{0, 0, 0, 0, 1, 0xf4}, value: []byte{0, 0, 0, 0, 2, 'a', 'v', 'r', 'o'}}},
		{"no key", forwarded{ts: 1, cents: 2, timestamp: 3, partition: 0, offset: 0, key: nil, value: []byte("v")}},
		{"empty key", forwarded{ts: 1, cents: 2, timestamp: 3, key: []byte{}, value: []byte("v")}},
		{"empty value", forwarded{ts: 1, key: []byte("k"), value: []byte{}}},
		{"negative times and amount", forwarded{ts: -300000, cents: -5, timestamp: -1, partition: 1, offset: 7, value: []byte("v")}},
		{"extremes", forwarded{ts: math.MaxInt64, cents: math.MinInt64, timestamp: math.MinInt64, partition: math.MaxInt32, offset: math.MaxInt64,
			key: bytes.Repeat([]byte("k"), 300), value: bytes.Repeat([]byte("v"), 70000)}},
		{"key looks like the format byte", forwarded{key: []byte("r"), value: []byte("r")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := appendRepartitionValue(nil, &tt.f)
			if v[0] != 'r' {
				t.Fatalf("value starts with %q, want 'r'", v[0])
			}
			got, err := parseRepartitionValue(v)
			if err != nil {
				t.Fatalf("parse: %v", err)
			}
			if got.ts != tt.f.ts || got.cents != tt.f.cents || got.timestamp != tt.f.timestamp ||
				got.partition != tt.f.partition || got.offset != tt.f.offset {
				t.Errorf("round trip gave %+v, want %+v", got, tt.f)
			}
			if (got.key == nil) != (tt.f.key == nil) || !bytes.Equal(got.key, tt.f.key) {
				t.Errorf("key %q (nil %v), want %q (nil %v)", got.key, got.key == nil, tt.f.key, tt.f.key == nil)
			}
			if !bytes.Equal(got.value, tt.f.value) {
				t.Errorf("value of %d bytes, want %d", len(got.value), len(tt.f.value))
			}
			// Appending to the parsed key must not overwrite the value.
			if got.key != nil {
				_ = append(got.key, 'x')
				if !bytes.Equal(got.value, tt.f.value) {
					t.Error("the parsed key's capacity reaches into the value")
				}
			}
		})
	}
}

// TestRepartitionValueLayout pins the documented layout.
func TestRepartitionValueLayout(t *testing.T) {
	f := forwarded{ts: 1, cents: -1, timestamp: 2, partition: 3, offset: 64, key: []byte("k"), value: []byte("val")}
	want := []byte{'r', 2, 1, 4, 6, 0x80, 0x01, 2, 'k', 'v', 'a', 'l'}
	if got := appendRepartitionValue(nil, &f); !bytes.Equal(got, want) {
		t.Fatalf("appendRepartitionValue(%+v) = %x, want %x", f, got, want)
	}
}

func TestParseRepartitionValueRejects(t *testing.T) {
	good := appendRepartitionValue(nil, &forwarded{ts: 1620651846996, cents: 1199, timestamp: 1, partition: 1, offset: 9, key: []byte("key"), value: nil})
	tests := []struct {
		name string
		v    []byte
	}{
		{"empty", nil},
		{"other format", append([]byte{'s'}, good[1:]...)},
		{"a sales message", []byte{0, 0, 0, 0, 1, 2, 3}},
		{"format byte alone", []byte{'r'}},
		{"truncated in the integers", good[:4]},
		{"no key length", good[:len(good)-4]},
		{"key longer than the rest", append(bytes.Clone(good[:len(good)-4]), 9, 'k')},
		{"negative source partition", appendRepartitionValue(nil, &forwarded{partition: -1})},
		{"huge key length", append(bytes.Clone(good[:len(good)-4]), 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if f, err := parseRepartitionValue(tt.v); err == nil {
				t.Fatalf("parse(%x) = %+v, want an error", tt.v, f)
			} else if !errors.Is(err, errRepartitionValue) {
				t.Fatalf("error %v does not wrap errRepartitionValue", err)
			}
		})
	}
}

func FuzzParseRepartitionValue(f *testing.F) {
	f.Add(appendRepartitionValue(nil, &forwarded{ts: 1, cents: 2, timestamp: 3, partition: 4, offset: 5, key: []byte("k"), value: []byte("v")}))
	f.Add(appendRepartitionValue(nil, &forwarded{}))
	f.Add([]byte{'r', 0x80})
	f.Fuzz(func(t *testing.T, v []byte) {
		got, err := parseRepartitionValue(v)
		if err != nil {
			return
		}
		// Whatever parses encodes back to a value that parses the same.
		again, err := parseRepartitionValue(appendRepartitionValue(nil, &got))
		if err != nil {
			t.Fatalf("re-encoded value does not parse: %v", err)
		}
		if again.ts != got.ts || again.cents != got.cents || again.timestamp != got.timestamp || again.partition != got.partition ||
			again.offset != got.offset || !bytes.Equal(again.key, got.key) || (again.key == nil) != (got.key == nil) || !bytes.Equal(again.value, got.value) {
			t.Fatalf("re-encoded value parses as %+v, want %+v", again, got)
		}
	})
}

// TestPartitioner checks where the session's records go: state records to
// the partition set on them, repartition records by Kafka's murmur2 hash
// of the region (the same in every instance, whatever partition the
// record names), and others by the client's default.
func TestPartitioner(t *testing.T) {
	p := newPartitioner("state", "repartition")
	state := p.ForTopic("state")
	for _, want := range []int32{0, 1, 2} {
		if got := state.Partition(&kgo.Record{Topic: "state", Partition: want, Key: []byte("Europe")}, 3); got != int(want) {
			t.Errorf("state record for partition %d went to %d", want, got)
		}
	}
	kafka := kgo.StickyKeyPartitioner(nil).ForTopic("repartition")
	rep := p.ForTopic("repartition")
	if !rep.RequiresConsistency(&kgo.Record{Key: []byte("Europe")}) {
		t.Error("repartition records may go to another partition when theirs is down")
	}
	seen := map[int]bool{}
	for _, region := range []string{"Africa", "Arab States", "Asia & Pacific", "Europe", "Latin America", "Middle East", "North America", "Unassigned"} {
		for _, n := range []int{1, 3, 12} {
			r := &kgo.Record{Topic: "repartition", Partition: 7, Key: []byte(region)}
			got := rep.Partition(r, n)
			if want := kafka.Partition(r, n); got != want {
				t.Errorf("%s among %d partitions went to %d, Kafka's default partitioner gives %d", region, n, got, want)
			}
			if again := rep.Partition(r, n); again != got {
				t.Errorf("%s among %d partitions went to %d, then to %d", region, n, got, again)
			}
			if n == 3 {
				seen[got] = true
			}
		}
	}
	// The regions of the project's data spread over three partitions, so
	// three instances share stage 2.
	if len(seen) != 3 {
		t.Errorf("the regions use partitions %v of 3", seen)
	}
	other, ok := p.ForTopic("summary").(kgo.TopicBackupPartitioner)
	if !ok {
		t.Fatal("other topics do not use the client's default partitioner")
	}
	r := &kgo.Record{Topic: "summary", Key: []byte("Europe@1")}
	if got, want := other.PartitionByBackup(r, 3, &backups{n: 3}), kafka.Partition(r, 3); got != want {
		t.Errorf("keyed summary record went to %d, the hash of its key gives %d", got, want)
	}
}

// backups is a kgo.TopicBackupIter over n partitions with nothing buffered.
type backups struct{ i, n int }

func (b *backups) Next() (int, int64) { b.i++; return b.i - 1, 0 }
func (b *backups) Rem() int           { return b.n - b.i }

func TestNetChanges(t *testing.T) {
	add := func(ps ...int32) assignment { return assignment{partitions: ps, added: true} }
	rev := func(ps ...int32) assignment { return assignment{partitions: ps} }
	tests := []struct {
		name      string
		events    []assignment
		drop, put []int32
	}{
		{"nothing", nil, nil, nil},
		{"assigned", []assignment{add(2, 0)}, []int32{0, 2}, []int32{0, 2}},
		{"revoked", []assignment{rev(1)}, []int32{1}, nil},
		{"revoked then assigned again", []assignment{rev(1), add(1)}, []int32{1}, []int32{1}},
		{"assigned then revoked", []assignment{add(1), rev(1)}, []int32{1}, nil},
		{"eager rebalance", []assignment{add(0, 1, 2), rev(0, 1, 2), add(0, 2)}, []int32{0, 1, 2}, []int32{0, 2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			drop, put := netChanges(tt.events)
			if !slices.Equal(drop, tt.drop) || !slices.Equal(put, tt.put) {
				t.Fatalf("netChanges = drop %v, restore %v; want drop %v, restore %v", drop, put, tt.drop, tt.put)
			}
		})
	}
}

func TestAssignmentsRecord(t *testing.T) {
	a := &assignments{topic: "rep"}
	a.assigned(nil, nil, map[string][]int32{"sales": {0, 1}, "rep": {2, 0}})
	a.revoked(nil, nil, map[string][]int32{"sales": {1}})
	ps := []int32{0}
	a.revoked(nil, nil, map[string][]int32{"rep": ps})
	ps[0] = 9 // the caller's slice is not kept
	got := a.take()
	want := []assignment{{partitions: []int32{2, 0}, added: true}, {partitions: []int32{0}}}
	if len(got) != len(want) {
		t.Fatalf("take() = %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i].added != want[i].added || !slices.Equal(got[i].partitions, want[i].partitions) {
			t.Fatalf("take()[%d] = %+v, want %+v", i, got[i], want[i])
		}
	}
	if again := a.take(); len(again) != 0 {
		t.Fatalf("second take() = %+v, want nothing", again)
	}
}

// TestBatchBuffers: values carved from the batch's block never overlap,
// whatever was appended to earlier ones, and region keys are shared.
func TestBatchBuffers(t *testing.T) {
	var b batch
	var got [][]byte
	for i, n := range []int{1, 100, 4096, 5000, 60 << 10, 100, 70 << 10, 3} {
		s := b.buf(n)
		if len(s) != 0 || cap(s) != n {
			t.Fatalf("buf(%d) has length %d, capacity %d", n, len(s), cap(s))
		}
		s = append(s, bytes.Repeat([]byte{byte(i + 1)}, n)...)
		got = append(got, s)
		b.reset() // a new micro-batch keeps carving from the same block
	}
	for i, s := range got {
		if !bytes.Equal(s, bytes.Repeat([]byte{byte(i + 1)}, len(s))) {
			t.Fatalf("value %d was overwritten", i)
		}
	}
	k := b.key("Europe")
	if string(k) != "Europe" {
		t.Fatalf("key(Europe) = %q", k)
	}
	b.reset()
	if again := b.key("Europe"); &again[0] != &k[0] {
		t.Error("key(Europe) allocated a second key")
	}
	if a := b.key("Asia"); string(a) != "Asia" {
		t.Fatalf("key(Asia) = %q", a)
	}
	if bound := maxRepartitionValue(3, 5); len(appendRepartitionValue(nil, &forwarded{ts: math.MinInt64, cents: math.MinInt64,
		timestamp: math.MinInt64, partition: math.MaxInt32, offset: math.MinInt64, key: []byte("abc"), value: []byte("12345")})) > bound {
		t.Fatalf("a value of the largest integers is longer than maxRepartitionValue %d", bound)
	}
}
