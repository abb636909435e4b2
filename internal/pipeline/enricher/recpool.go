package enricher

import (
	"math/bits"
	"sync"

	"github.com/twmb/franz-go/pkg/kgo"
)

// recordPool lends the session's client the slices its fetches decode
// records into (kgo.PoolRecords), so that each fetched record batch does
// not cost a fresh, zeroed block of records for the collector to chase.
// The poll loop hands every record back (kgo.Record.Recycle) once it has
// run through its stage; a batch's block returns here when its last
// record does. Only the Record structs are pooled: keys, values and
// headers stay the client's own, so records made from them (dead letters,
// late records, forwarded sales) stay valid after the recycle.
//
// Blocks come in power-of-two sizes from minPooled to maxPooled records,
// each size a sync.Pool, which the collector empties: what the pool holds
// is bounded by what the client fetched between two collections, as the
// blocks it replaces were.
type recordPool struct {
	sizes [maxPoolShift - minPoolShift + 1]sync.Pool
}

const (
	minPoolShift = 6  // 64 records
	maxPoolShift = 14 // 16384 records
)

var _ kgo.PoolRecords = (*recordPool)(nil)

// poolClass returns the index of the smallest size of at least n records, or
// -1 if n is larger than the largest.
func poolClass(n int) int {
	if n <= 1<<minPoolShift {
		return 0
	}
	shift := bits.Len(uint(n - 1))
	if shift > maxPoolShift {
		return -1
	}
	return shift - minPoolShift
}

// GetRecords returns a slice of capacity at least n, or nil for a batch
// larger than the pooled sizes (the client then makes its own).
func (p *recordPool) GetRecords(n int) []kgo.Record {
	c := poolClass(n)
	if c < 0 {
		return nil
	}
	if s, ok := p.sizes[c].Get().(*[]kgo.Record); ok {
		return (*s)[:0]
	}
	return make([]kgo.Record, 0, 1<<(c+minPoolShift))
}

// PutRecords takes back a slice from GetRecords; others are left to the
// collector.
func (p *recordPool) PutRecords(s []kgo.Record) {
	c := poolClass(cap(s))
	if c < 0 || cap(s) != 1<<(c+minPoolShift) {
		return
	}
	s = s[:0]
	p.sizes[c].Put(&s)
}

// recycle hands recs back to the pool once the poll loop is done with
// them: nothing may read them afterwards.
func recycle(recs []*kgo.Record) {
	for _, r := range recs {
		r.Recycle()
	}
}
