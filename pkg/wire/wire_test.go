package wire

import (
	"bytes"
	"errors"
	"math"
	"testing"
)

func TestAppendHeader(t *testing.T) {
	tests := []struct {
		name string
		dst  []byte
		id   int64
		want []byte
	}{
		{"one", nil, 1, []byte{0, 0, 0, 0, 1}},
		{"multi-byte", nil, 0x01020304, []byte{0, 1, 2, 3, 4}},
		{"max", nil, MaxContentID, []byte{0, 0xff, 0xff, 0xff, 0xff}},
		{"appends", []byte{9, 9}, 7, []byte{9, 9, 0, 0, 0, 0, 7}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := AppendHeader(tt.dst, tt.id)
			if !bytes.Equal(got, tt.want) {
				t.Fatalf("AppendHeader(%v, %d) = %v, want %v", tt.dst, tt.id, got, tt.want)
			}
		})
	}
}

func TestAppendHeaderPanicsOutOfRange(t *testing.T) {
	for _, id := range []int64{0, -1, MaxContentID + 1, math.MaxInt64} {
		if err := CheckContentID(id); !errors.Is(err, ErrBadID) {
			t.Errorf("CheckContentID(%d) = %v, want ErrBadID", id, err)
		}
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("AppendHeader(nil, %d) did not panic", id)
				}
			}()
			AppendHeader(nil, id)
		}()
	}
	if err := CheckContentID(MaxContentID); err != nil {
		t.Errorf("CheckContentID(MaxContentID) = %v", err)
	}
}

func TestParse(t *testing.T) {
	tests := []struct {
		name    string
		msg     []byte
		want    ID
		payload []byte
		err     error
	}{
		{"empty", nil, ID{}, nil, ErrNoMagic},
		{"not magic", []byte{1, 0, 0, 0, 1, 2}, ID{}, nil, ErrNoMagic},
		{"json", []byte(`{"a":1}`), ID{}, nil, ErrNoMagic},
		{"magic only", []byte{0}, ID{}, nil, ErrShort},
		{"4 bytes", []byte{0, 0, 0, 1}, ID{}, nil, ErrShort},
		{"content id, empty payload", []byte{0, 0, 0, 0, 5}, ID{5, ContentID}, []byte{}, nil},
		{"content id", []byte{0, 0, 0, 1, 0, 0xaa, 0xbb}, ID{256, ContentID}, []byte{0xaa, 0xbb}, nil},
		{"max content id", []byte{0, 0xff, 0xff, 0xff, 0xff, 2}, ID{MaxContentID, ContentID}, []byte{2}, nil},
		// The payload of a content id may itself start with zero bytes.
		{"content id, zero payload", []byte{0, 0, 0, 0, 1, 0, 0, 0, 0}, ID{1, ContentID}, []byte{0, 0, 0, 0}, nil},
		{"zero 4-byte id, too short for 8", []byte{0, 0, 0, 0, 0, 0, 0, 7}, ID{}, nil, ErrShort},
		{"global id", []byte{0, 0, 0, 0, 0, 0, 0, 0, 7, 0x10}, ID{7, GlobalID}, []byte{0x10}, nil},
		{"global id, empty payload", []byte{0, 0, 0, 0, 0, 0, 0, 0, 7}, ID{7, GlobalID}, []byte{}, nil},
		{"global id below 2^32", []byte{0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff}, ID{MaxContentID, GlobalID}, []byte{}, nil},
		{"zero 8-byte id", []byte{0, 0, 0, 0, 0, 0, 0, 0, 0, 1}, ID{}, nil, ErrBadID},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id, payload, err := Parse(tt.msg)
			if tt.err != nil {
				if !errors.Is(err, tt.err) {
					t.Fatalf("Parse(%v) error = %v, want %v", tt.msg, err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Parse(%v): %v", tt.msg, err)
			}
			if id != tt.want || !bytes.Equal(payload, tt.payload) {
				t.Fatalf("Parse(%v) = %v, %v; want %v, %v", tt.msg, id, payload, tt.want, tt.payload)
			}
		})
	}
}

func TestParseWidth(t *testing.T) {
	big := AppendGlobalIDHeader(nil, 1<<40+3)
	tests := []struct {
		name    string
		msg     []byte
		width   int
		want    ID
		payload []byte
		err     error
	}{
		{"bad width", []byte{0, 0, 0, 0, 1}, 5, ID{}, nil, ErrWidth},
		{"no magic", []byte{3, 0, 0, 0, 1}, 4, ID{}, nil, ErrNoMagic},
		{"4 short", []byte{0, 0, 1}, 4, ID{}, nil, ErrShort},
		{"4 zero id", []byte{0, 0, 0, 0, 0, 0, 0, 0, 1}, 4, ID{}, nil, ErrBadID},
		{"4", []byte{0, 0, 0, 0, 9, 1}, 4, ID{9, ContentID}, []byte{1}, nil},
		{"8 short", []byte{0, 0, 0, 0, 0, 1}, 8, ID{}, nil, ErrShort},
		{"8 above 2^32", append(big, 0x42), 8, ID{1<<40 + 3, GlobalID}, []byte{0x42}, nil},
		{"8 negative", []byte{0, 0x80, 0, 0, 0, 0, 0, 0, 1}, 8, ID{}, nil, ErrBadID},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id, payload, err := ParseWidth(tt.msg, tt.width)
			if tt.err != nil {
				if !errors.Is(err, tt.err) {
					t.Fatalf("ParseWidth(%v, %d) error = %v, want %v", tt.msg, tt.width, err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseWidth(%v, %d): %v", tt.msg, tt.width, err)
			}
			if id != tt.want || !bytes.Equal(payload, tt.payload) {
				t.Fatalf("ParseWidth = %v, %v; want %v, %v", id, payload, tt.want, tt.payload)
			}
		})
	}
	// The same bytes read by Parse's rule are a (wrong) content id: this is
	// the documented limit of auto-detection.
	if id, _, err := Parse(big); err != nil || id.Kind != ContentID {
		t.Fatalf("Parse(8-byte id >= 2^32) = %v, %v; want a content id", id, err)
	}
}

func TestFromHeaders(t *testing.T) {
	long := func(v uint64) []byte { return AppendHeaderValue(nil, int64(v)) }
	tests := []struct {
		name    string
		headers map[string][]byte
		isKey   bool
		want    ID
		ok      bool
		err     error
	}{
		{"none", nil, false, ID{}, false, nil},
		{"other headers", map[string][]byte{"trace": {1}}, false, ID{}, false, nil},
		{"value global", map[string][]byte{HeaderValueGlobalID: long(12)}, false, ID{12, GlobalID}, true, nil},
		{"value content", map[string][]byte{HeaderValueContentID: long(3)}, false, ID{3, ContentID}, true, nil},
		{"content wins", map[string][]byte{HeaderValueGlobalID: long(12), HeaderValueContentID: long(3)}, false, ID{3, ContentID}, true, nil},
		{"key ignores value headers", map[string][]byte{HeaderValueGlobalID: long(12)}, true, ID{}, false, nil},
		{"key global", map[string][]byte{HeaderKeyGlobalID: long(1 << 40), HeaderValueGlobalID: long(12)}, true, ID{1 << 40, GlobalID}, true, nil},
		{"key content", map[string][]byte{HeaderKeyContentID: long(5)}, true, ID{5, ContentID}, true, nil},
		{"4 bytes", map[string][]byte{HeaderValueContentID: {0, 0, 0, 3}}, false, ID{}, false, ErrBadHeader},
		{"empty", map[string][]byte{HeaderValueGlobalID: {}}, false, ID{}, false, ErrBadHeader},
		{"zero", map[string][]byte{HeaderValueGlobalID: long(0)}, false, ID{}, false, ErrBadID},
		{"negative", map[string][]byte{HeaderKeyContentID: long(1 << 63)}, true, ID{}, false, ErrBadID},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			get := func(k string) ([]byte, bool) { v, ok := tt.headers[k]; return v, ok }
			id, ok, err := FromHeaders(tt.isKey, get)
			if !errors.Is(err, tt.err) || (tt.err == nil && err != nil) {
				t.Fatalf("FromHeaders error = %v, want %v", err, tt.err)
			}
			if id != tt.want || ok != tt.ok {
				t.Fatalf("FromHeaders = %v, %v; want %v, %v", id, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestHeaderName(t *testing.T) {
	tests := []struct {
		isKey bool
		kind  Kind
		want  string
	}{
		{false, ContentID, HeaderValueContentID},
		{false, GlobalID, HeaderValueGlobalID},
		{true, ContentID, HeaderKeyContentID},
		{true, GlobalID, HeaderKeyGlobalID},
	}
	for _, tt := range tests {
		if got := HeaderName(tt.isKey, tt.kind); got != tt.want {
			t.Errorf("HeaderName(%v, %v) = %q, want %q", tt.isKey, tt.kind, got, tt.want)
		}
	}
}

func TestStrings(t *testing.T) {
	tests := []struct{ got, want string }{
		{ContentID.String(), "contentId"},
		{GlobalID.String(), "globalId"},
		{Kind(0).String(), "Kind(0)"},
		{ID{42, ContentID}.String(), "contentId 42"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("got %q, want %q", tt.got, tt.want)
		}
	}
}

func TestAppendGlobalIDHeaderRoundTrip(t *testing.T) {
	for _, id := range []int64{1, 255, MaxContentID, MaxContentID + 1, math.MaxInt64} {
		msg := append(AppendGlobalIDHeader(nil, id), 0xcc)
		got, payload, err := ParseWidth(msg, 8)
		if err != nil || got != (ID{id, GlobalID}) || !bytes.Equal(payload, []byte{0xcc}) {
			t.Errorf("ParseWidth(AppendGlobalIDHeader(%d)) = %v, %v, %v", id, got, payload, err)
		}
		if id <= MaxContentID {
			if got, _, err := Parse(msg); err != nil || got != (ID{id, GlobalID}) {
				t.Errorf("Parse(AppendGlobalIDHeader(%d)) = %v, %v", id, got, err)
			}
		}
	}
	defer func() {
		if recover() == nil {
			t.Error("AppendGlobalIDHeader(nil, 0) did not panic")
		}
	}()
	AppendGlobalIDHeader(nil, 0)
}

// FuzzParse checks that no input makes Parse or ParseWidth panic, that what
// they accept is consistent with the header, and that AppendHeader output
// parses back to the same id and payload.
func FuzzParse(f *testing.F) {
	f.Add([]byte{}, uint32(1))
	f.Add([]byte{0, 0, 0, 0, 1, 2, 3}, uint32(7))
	f.Add([]byte{0, 0, 0, 0, 0, 0, 0, 0, 9}, uint32(0xffffffff))
	f.Add([]byte{0, 0, 0, 0, 0, 0, 0}, uint32(0))
	f.Fuzz(func(t *testing.T, msg []byte, cid uint32) {
		if id, payload, err := Parse(msg); err == nil {
			if id.Value < 1 || (id.Kind != ContentID && id.Kind != GlobalID) {
				t.Fatalf("Parse(%v) accepted %v", msg, id)
			}
			if len(payload) > len(msg)-ContentIDHeaderLen {
				t.Fatalf("Parse(%v) payload %v longer than the message body", msg, payload)
			}
		}
		for _, w := range []int{4, 8} {
			if id, payload, err := ParseWidth(msg, w); err == nil && (id.Value < 1 || len(payload) != len(msg)-1-w) {
				t.Fatalf("ParseWidth(%v, %d) = %v, %v", msg, w, id, payload)
			}
		}
		if cid == 0 {
			return
		}
		framed := append(AppendHeader(nil, int64(cid)), msg...)
		id, payload, err := Parse(framed)
		if err != nil || id != (ID{int64(cid), ContentID}) || !bytes.Equal(payload, msg) {
			t.Fatalf("round trip of %d, %v: got %v, %v, %v", cid, msg, id, payload, err)
		}
	})
}
