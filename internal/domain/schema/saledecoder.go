package schema

import (
	"encoding/binary"
	"fmt"
	"math"
	"sync"

	"github.com/hamba/avro/v2"
)

// SaleDecoder decodes sales values written with the sales value schema
// of this build (the artifact ValueArtifact(SalesTopic)) into *SaleValue
// without reflection, for serde.WithFastDecoder. Messages of any other
// writer schema go to the general decoder, as does any payload it
// refuses, so results and errors are the general decoder's.
//
// It interns the strings it reads, up to maxNames of them, so a stream
// of sales costs no allocation for its cities, districts and countries:
// decoded values may share the strings City, District and Country point
// to, so do not write through those pointers.
type SaleDecoder struct {
	schema avro.Schema

	mu    sync.Mutex
	names map[string]*string
	// recent holds interned strings by a hash of their bytes, looked at
	// before names: most sales repeat a few hundred names, and a hit
	// here costs a fraction of a map lookup.
	recent [1 << recentBits]*string
}

const recentBits = 12

const maxNames = 1 << 14

// NewSaleDecoder returns the fast decoder of the sales value schema.
func NewSaleDecoder() (*SaleDecoder, error) {
	s, err := Parse(ValueArtifact(SalesTopic))
	if err != nil {
		return nil, err
	}
	return &SaleDecoder{schema: s, names: map[string]*string{}}, nil
}

// Schema returns the writer schema it reads.
func (d *SaleDecoder) Schema() avro.Schema { return d.schema }

// Decode decodes payload into v if v is a *SaleValue and payload one
// valid datum of the schema; it reports whether it did. The amount is
// written into the capacity of v's Amount, if it has enough, so a caller
// that decodes into one value over and over allocates nothing.
func (d *SaleDecoder) Decode(payload []byte, v any) bool {
	sv, ok := v.(*SaleValue)
	if !ok {
		return false
	}
	r := saleReader{b: payload}
	var out SaleValue
	out.PaymentID = r.int()
	out.CustomerID = r.int()
	if amt := r.bytes(); amt != nil {
		out.Amount = append(sv.Amount[:0:cap(sv.Amount)], amt...)
	} else if !r.bad {
		out.Amount = []byte{}
	}
	out.PaymentDate = r.long()
	d.mu.Lock()
	out.City = d.optional(&r)
	out.District = d.optional(&r)
	out.Country = d.optional(&r)
	d.mu.Unlock()
	if r.bad || len(r.b) != 0 {
		return false
	}
	*sv = out
	return true
}

// optional reads a ["null", "string"] union.
func (d *SaleDecoder) optional(r *saleReader) *string {
	switch r.long() {
	case 0:
		return nil
	case 1:
		return d.optional0(r)
	}
	r.bad = true
	return nil
}

// optional0 reads a string, interned.
func (d *SaleDecoder) optional0(r *saleReader) *string {
	b := r.bytes()
	if r.bad {
		return nil
	}
	slot := &d.recent[recentSlot(b)]
	if p := *slot; p != nil && *p == string(b) {
		return p
	}
	p, ok := d.names[string(b)]
	if !ok {
		s := string(b)
		p = &s
		if len(d.names) < maxNames {
			d.names[s] = p
		}
	}
	*slot = p
	return p
}

// recentSlot hashes b, from its length and its first and last four
// bytes, to a slot of SaleDecoder.recent.
func recentSlot(b []byte) uint32 {
	h := uint32(len(b))
	if len(b) >= 4 {
		h ^= binary.LittleEndian.Uint32(b) * 0x9e3779b1
		h ^= binary.LittleEndian.Uint32(b[len(b)-4:]) * 0x85ebca6b
	} else {
		for _, c := range b {
			h = h*31 + uint32(c)
		}
	}
	h ^= h >> 15
	h *= 0x2c1b3c6d
	return h >> (32 - recentBits)
}

// saleReader reads Avro's binary encoding; bad records the first defect.
type saleReader struct {
	b   []byte
	bad bool
}

func (r *saleReader) long() int64 { return r.varint(binary.MaxVarintLen64) }

// varint reads a zig-zag varint of at most max bytes.
func (r *saleReader) varint(max int) int64 {
	u, n := binary.Uvarint(r.b)
	if n <= 0 || n > max {
		r.bad = true
		return 0
	}
	r.b = r.b[n:]
	return int64(u>>1) ^ -int64(u&1)
}

func (r *saleReader) int() int32 {
	v := r.varint(5)
	if v < math.MinInt32 || v > math.MaxInt32 {
		r.bad = true
	}
	return int32(v)
}

func (r *saleReader) bytes() []byte {
	n := r.long()
	if r.bad || n < 0 || n > int64(len(r.b)) {
		r.bad = true
		return nil
	}
	b := r.b[:n:n]
	r.b = r.b[n:]
	return b
}

// String names the decoder in logs.
func (d *SaleDecoder) String() string {
	return fmt.Sprintf("fast decoder of %s", ValueArtifact(SalesTopic))
}
