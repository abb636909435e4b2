// Package wire frames Avro payloads with the id of their writer schema, as
// Apicurio Registry and Confluent-compatible serializers do. It is pure byte
// manipulation: no I/O, no registry lookups.
//
// Imported by package serde (pkg/serde), and usable on its own by any Go
// program that reads or writes registry-framed Kafka messages.
//
// Three framings exist on Kafka topics:
//
//   - Apicurio 3 / Confluent (the default written by salesstream): magic
//     byte 0, a 4-byte big-endian content id, then the Avro binary.
//   - Apicurio 2 (its default): magic byte 0, an 8-byte big-endian global
//     id, then the Avro binary.
//   - Ids in Kafka record headers (apicurio.value.globalId and friends,
//     each an 8-byte big-endian long); the record value is then plain Avro
//     with no magic byte. See FromHeaders.
//
// Parse tells the first two apart by this rule: registry ids start at 1, so
// a 4-byte id of 0 cannot be a content id; when the four bytes after the
// magic byte are all zero, the id is an 8-byte global id. The rule is exact
// for global ids below 2^32. A registry whose global ids reach 2^32 writes
// 8-byte ids whose first four bytes are not zero; read those with
// ParseWidth(msg, 8).
package wire

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
)

// MagicByte is the first byte of every framed message.
const MagicByte byte = 0

// Framing sizes, magic byte included.
const (
	// ContentIDHeaderLen is the length of a magic byte and a 4-byte id.
	ContentIDHeaderLen = 5
	// GlobalIDHeaderLen is the length of a magic byte and an 8-byte id.
	GlobalIDHeaderLen = 9
)

// MaxContentID is the largest id a 4-byte header holds.
const MaxContentID = math.MaxUint32

// Kafka record header names under which Apicurio serializers carry schema
// ids when configured to use headers. Each value is an 8-byte big-endian
// long.
const (
	HeaderValueGlobalID  = "apicurio.value.globalId"
	HeaderValueContentID = "apicurio.value.contentId"
	HeaderKeyGlobalID    = "apicurio.key.globalId"
	HeaderKeyContentID   = "apicurio.key.contentId"
)

// Kind says which registry id a message carries.
type Kind uint8

// Kinds of ids. The zero Kind is no id.
const (
	// ContentID identifies one schema text; versions with equal content
	// share it. Apicurio 3 and Confluent serializers write it.
	ContentID Kind = iota + 1
	// GlobalID identifies one artifact version. Apicurio 2 serializers write
	// it by default.
	GlobalID
)

// String returns "contentId" or "globalId", as Apicurio names them.
func (k Kind) String() string {
	switch k {
	case ContentID:
		return "contentId"
	case GlobalID:
		return "globalId"
	default:
		return fmt.Sprintf("Kind(%d)", uint8(k))
	}
}

// ID is a schema id read from a message.
type ID struct {
	Value int64
	Kind  Kind
}

// String formats id as "contentId 42" or "globalId 7".
func (id ID) String() string {
	return fmt.Sprintf("%s %d", id.Kind, id.Value)
}

// Errors of Parse, ParseWidth and FromHeaders. They are returned wrapped
// with details; test them with errors.Is.
var (
	// ErrNoMagic: the message is empty or its first byte is not MagicByte,
	// so it is not framed Avro.
	ErrNoMagic = errors.New("no magic byte")
	// ErrShort: the message ends inside its header.
	ErrShort = errors.New("message shorter than its header")
	// ErrBadID: the id is 0 or does not fit in an int64.
	ErrBadID = errors.New("invalid schema id")
	// ErrBadHeader: a Kafka header carrying an id is not 8 bytes long.
	ErrBadHeader = errors.New("schema id header is not an 8-byte long")
	// ErrWidth: ParseWidth was asked for a width other than 4 or 8.
	ErrWidth = errors.New("id width must be 4 or 8")
)

// AppendHeader appends the magic byte and contentID as 4 big-endian bytes
// to dst, and returns the extended slice.
//
// It panics if contentID is not in [1, MaxContentID]: check ids that come
// from outside the program once with CheckContentID, so the hot path
// cannot fail.
func AppendHeader(dst []byte, contentID int64) []byte {
	if err := CheckContentID(contentID); err != nil {
		panic("wire.AppendHeader: " + err.Error())
	}
	return binary.BigEndian.AppendUint32(append(dst, MagicByte), uint32(contentID))
}

// CheckContentID reports whether contentID can be written by AppendHeader.
func CheckContentID(contentID int64) error {
	if contentID < 1 || contentID > MaxContentID {
		return fmt.Errorf("%w: content id %d is outside [1, %d] and does not fit a 4-byte header", ErrBadID, contentID, int64(MaxContentID))
	}
	return nil
}

// AppendGlobalIDHeader appends the magic byte and globalID as 8 big-endian
// bytes to dst (the Apicurio 2 framing), and returns the extended slice. It
// panics if globalID < 1.
func AppendGlobalIDHeader(dst []byte, globalID int64) []byte {
	if globalID < 1 {
		panic(fmt.Sprintf("wire.AppendGlobalIDHeader: %v: global id %d < 1", ErrBadID, globalID))
	}
	return binary.BigEndian.AppendUint64(append(dst, MagicByte), uint64(globalID))
}

// Parse reads the header of a framed message and returns the schema id and
// the Avro payload after it (a sub-slice of msg).
//
// A 4-byte id is a content id. A 4-byte id of 0 followed by at least four
// more bytes is read as an 8-byte global id; if fewer follow, Parse
// returns ErrShort. See the package documentation for why this is sound.
func Parse(msg []byte) (ID, []byte, error) {
	if err := checkMagic(msg); err != nil {
		return ID{}, nil, err
	}
	if len(msg) < ContentIDHeaderLen {
		return ID{}, nil, fmt.Errorf("%w: %d bytes, a header needs %d", ErrShort, len(msg), ContentIDHeaderLen)
	}
	if id := binary.BigEndian.Uint32(msg[1:5]); id != 0 {
		return ID{Value: int64(id), Kind: ContentID}, msg[ContentIDHeaderLen:], nil
	}
	if len(msg) < GlobalIDHeaderLen {
		return ID{}, nil, fmt.Errorf("%w: %d bytes with a zero 4-byte id, an 8-byte id header needs %d", ErrShort, len(msg), GlobalIDHeaderLen)
	}
	return parse8(msg)
}

// ParseWidth reads a header whose id has the given width in bytes: 4 (a
// content id) or 8 (a global id). Use it when the framing is known, in
// particular for registries whose global ids reach 2^32.
func ParseWidth(msg []byte, width int) (ID, []byte, error) {
	if width != 4 && width != 8 {
		return ID{}, nil, fmt.Errorf("%w: got %d", ErrWidth, width)
	}
	if err := checkMagic(msg); err != nil {
		return ID{}, nil, err
	}
	if len(msg) < 1+width {
		return ID{}, nil, fmt.Errorf("%w: %d bytes, a header needs %d", ErrShort, len(msg), 1+width)
	}
	if width == 8 {
		return parse8(msg)
	}
	id := binary.BigEndian.Uint32(msg[1:5])
	if id == 0 {
		return ID{}, nil, fmt.Errorf("%w: content id 0", ErrBadID)
	}
	return ID{Value: int64(id), Kind: ContentID}, msg[ContentIDHeaderLen:], nil
}

func checkMagic(msg []byte) error {
	if len(msg) == 0 {
		return fmt.Errorf("%w: empty message", ErrNoMagic)
	}
	if msg[0] != MagicByte {
		return fmt.Errorf("%w: first byte is 0x%02x", ErrNoMagic, msg[0])
	}
	return nil
}

func parse8(msg []byte) (ID, []byte, error) {
	id := binary.BigEndian.Uint64(msg[1:9])
	if id == 0 || id > math.MaxInt64 {
		return ID{}, nil, fmt.Errorf("%w: global id %d", ErrBadID, id)
	}
	return ID{Value: int64(id), Kind: GlobalID}, msg[GlobalIDHeaderLen:], nil
}

// FromHeaders looks for a schema id among a Kafka record's headers: the
// key's ids if isKey, else the value's. get returns a header's value and
// whether the header is present. A content id header wins over a global id
// header when both are present (they name the same schema).
//
// It returns ok == false and no error when no id header is present: the
// message is then framed, and Parse applies. When ok, the record's key or
// value is plain Avro with no magic byte.
func FromHeaders(isKey bool, get func(key string) ([]byte, bool)) (id ID, ok bool, err error) {
	contentKey, globalKey := HeaderValueContentID, HeaderValueGlobalID
	if isKey {
		contentKey, globalKey = HeaderKeyContentID, HeaderKeyGlobalID
	}
	for _, h := range [...]struct {
		name string
		kind Kind
	}{{contentKey, ContentID}, {globalKey, GlobalID}} {
		b, found := get(h.name)
		if !found {
			continue
		}
		if len(b) != 8 {
			return ID{}, false, fmt.Errorf("%w: header %s has %d bytes", ErrBadHeader, h.name, len(b))
		}
		v := binary.BigEndian.Uint64(b)
		if v == 0 || v > math.MaxInt64 {
			return ID{}, false, fmt.Errorf("%w: header %s holds %d", ErrBadID, h.name, v)
		}
		return ID{Value: int64(v), Kind: h.kind}, true, nil
	}
	return ID{}, false, nil
}

// HeaderName returns the Kafka header name that carries an id of kind for
// a record's key (isKey) or value: the content id header for ContentID, the
// global id header for any other kind.
func HeaderName(isKey bool, kind Kind) string {
	switch {
	case isKey && kind == ContentID:
		return HeaderKeyContentID
	case isKey:
		return HeaderKeyGlobalID
	case kind == ContentID:
		return HeaderValueContentID
	default:
		return HeaderValueGlobalID
	}
}

// AppendHeaderValue appends id as the 8-byte big-endian long that an id
// header holds.
func AppendHeaderValue(dst []byte, id int64) []byte {
	return binary.BigEndian.AppendUint64(dst, uint64(id))
}
