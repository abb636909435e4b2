package producer

import (
	"fmt"
	"strconv"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/salesstream/salesstream/internal/domain/sales"
	"github.com/salesstream/salesstream/internal/domain/schema"
)

// recordMaker builds the sales records of one run. What a row needs is
// carved from shared blocks (see carver), so that building a record
// costs no allocation of its own in the steady state.
type recordMaker struct {
	keyEnc, valEnc Encoder
	topic          string
	srcName        []byte // the source header's value, shared by every record
	cv             carver
	recs           []kgo.Record
	// The row being encoded: the encoders take their values as
	// interfaces, which would move a value made per row to the heap.
	sale sales.Sale
	k    schema.SaleKey
	v    schema.SaleValue
}

// recordBlock is how many records one allocation holds: few enough that
// a block is a small object of the allocator (about 5 KB).
const recordBlock = 32

func newRecordMaker(keyEnc, valEnc Encoder, topic, source string) *recordMaker {
	return &recordMaker{keyEnc: keyEnc, valEnc: valEnc, topic: topic, srcName: []byte(source)}
}

// key encodes the key of a sale of customer.
func (m *recordMaker) key(customer int32) ([]byte, error) {
	m.k = schema.SaleKey{CustomerID: customer}
	key, err := m.keyEnc.Append(m.cv.tail(), &m.k)
	return m.cv.keep(key), err
}

// record returns the record of s, keyed key; a line above 0 is named,
// with the source, in the record's headers.
func (m *recordMaker) record(key []byte, s *sales.Sale, line int) (*kgo.Record, error) {
	m.sale = *s
	m.v = schema.SaleValueOf(&m.sale, m.v.Amount) // the amount's bytes are reused row to row
	val, err := m.valEnc.Append(m.cv.tail(), &m.v)
	val = m.cv.keep(val)
	if err != nil {
		return nil, fmt.Errorf("encode payment %d: %w", s.PaymentID, err)
	}
	rec := &carve(&m.recs, 1, recordBlock)[0]
	rec.Topic, rec.Key, rec.Value = m.topic, key, val
	if line > 0 {
		h := m.cv.headers(2)
		h[0] = kgo.RecordHeader{Key: HeaderSource, Value: m.srcName}
		h[1] = kgo.RecordHeader{Key: HeaderLine, Value: m.cv.keep(strconv.AppendInt(m.cv.tail(), int64(line), 10))}
		rec.Headers = h
	}
	return rec, nil
}
