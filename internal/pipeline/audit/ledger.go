package audit

import (
	"fmt"
	"maps"
	"slices"
)

// ledger holds, for every offset of the sales topic inside the cut, what
// the enricher's outputs say of the sale there: one byte of f* flags an
// offset, so its size is set by the cut, which --audit-max-sales bounds.
// Late records' headers are kept beside it.
type ledger struct {
	parts map[int32]*ledgerPart
	late  map[saleAt]lateInfo
}

type ledgerPart struct {
	base  int64
	flags []uint8
}

type saleAt struct {
	partition int32
	offset    int64
}

type lateInfo struct {
	watermark, windows int64
}

// newLedger covers, per partition, offsets [start, end).
func newLedger(start, end map[int32]int64) *ledger {
	l := &ledger{parts: map[int32]*ledgerPart{}, late: map[saleAt]lateInfo{}}
	for p, e := range end {
		s := start[p]
		if e > s {
			l.parts[p] = &ledgerPart{base: s, flags: make([]uint8, e-s)}
		}
	}
	return l
}

// slot returns the flags of the sale at (p, off), nil outside the cut.
func (l *ledger) slot(p int32, off int64) *uint8 {
	lp := l.parts[p]
	if lp == nil || off < lp.base || off-lp.base >= int64(len(lp.flags)) {
		return nil
	}
	return &lp.flags[off-lp.base]
}

// mark records that an output says f of the sale at (p, off); it reports
// false if that offset is outside the cut.
func (l *ledger) mark(p int32, off int64, f uint8) bool {
	s := l.slot(p, off)
	if s == nil {
		return false
	}
	const fate = fWindowed | fInFlight | fDead
	if (f&fate != 0 && *s&fate != 0) || *s&f&fLate != 0 {
		*s |= fTwice
	}
	*s |= f
	return true
}

// unread returns, at most limit of them, the offsets an output refers to
// that held no sale read from the sales topic, and how many there are.
func (l *ledger) unread(limit int) ([]string, int) {
	var out []string
	n := 0
	for _, p := range slices.Sorted(maps.Keys(l.parts)) {
		lp := l.parts[p]
		for i, f := range lp.flags {
			if f != 0 && f&fRead == 0 {
				if n++; len(out) < limit {
					out = append(out, fmt.Sprintf("an output of the enricher refers to partition %d offset %d of the sales topic, which holds no committed sale", p, lp.base+int64(i)))
				}
			}
		}
	}
	return out, n
}
