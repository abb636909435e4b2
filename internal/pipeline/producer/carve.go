package producer

import "github.com/twmb/franz-go/pkg/kgo"

// carver hands out the bytes and headers of the records a run makes from
// shared blocks, so that a row does not cost an allocation for each of
// its key, value, line header and header list. A block is never written
// twice: what was carved stays valid while kgo holds the record.
type carver struct {
	b    []byte
	hdrs []kgo.RecordHeader
}

const (
	carveBlock   = 64 << 10 // bytes a block holds
	carveMinTail = 512      // a fresh block when less than this is left
	headerBlock  = 1024     // headers a block holds
)

// tail returns an empty slice over the free end of the current block, for
// an encoder to append to; keep then claims what it wrote.
func (c *carver) tail() []byte {
	if cap(c.b)-len(c.b) < carveMinTail {
		c.b = make([]byte, 0, carveBlock)
	}
	return c.b[len(c.b):len(c.b)]
}

// keep claims out, if it was appended in place to the slice tail
// returned, and returns it with its capacity clipped, so that appending
// to it cannot write over what is carved next. Bytes that outgrew the
// tail were allocated apart and are returned as they are.
func (c *carver) keep(out []byte) []byte {
	n := len(out)
	if n > 0 && cap(c.b)-len(c.b) >= n && &c.b[len(c.b) : len(c.b)+1][0] == &out[0] {
		c.b = c.b[:len(c.b)+n]
	}
	return out[:n:n]
}

// headers returns n zeroed headers for one record.
func (c *carver) headers(n int) []kgo.RecordHeader { return carve(&c.hdrs, n, headerBlock) }

// carve returns n zeroed elements of *block, capacity clipped, first
// making *block a new block of size elements (at least n) if it has no
// room left. No element is handed out twice: kgo keeps what it is given
// until the record is acknowledged.
func carve[T any](block *[]T, n, size int) []T {
	if cap(*block)-len(*block) < n {
		*block = make([]T, 0, max(size, n))
	}
	b := *block
	*block = b[:len(b)+n]
	return b[len(b) : len(b)+n : len(b)+n]
}
