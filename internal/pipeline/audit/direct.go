package audit

import (
	"slices"
	"sort"

	"github.com/twmb/franz-go/pkg/kgo"
)

// windowedRanges are the offset ranges, per sales partition, that the
// enricher's windowed-range records say it windowed without the round trip
// through the repartition topic (package enricher, direct.go): every sale
// in them that was not dead-lettered was windowed. Adjacent ranges are
// merged, so one instance running alone leaves about one range a
// partition.
type windowedRanges map[int32][][2]int64

// add notes [from, to) of sales partition p.
func (w windowedRanges) add(p int32, from, to int64) {
	rs := w[p]
	if n := len(rs); n > 0 && from >= rs[n-1][0] && from <= rs[n-1][1] {
		rs[n-1][1] = max(rs[n-1][1], to)
		return
	}
	i, _ := slices.BinarySearchFunc(rs, from, func(r [2]int64, off int64) int {
		switch {
		case r[0] < off:
			return -1
		case r[0] > off:
			return 1
		}
		return 0
	})
	w[p] = slices.Insert(rs, i, [2]int64{from, to})
}

// has reports whether offset off of sales partition p is in a range.
func (w windowedRanges) has(p int32, off int64) bool {
	rs := w[p]
	i := sort.Search(len(rs), func(j int) bool { return rs[j][0] > off })
	return i > 0 && off < rs[i-1][1]
}

// windowedRange files a windowed-range record of the repartition topic.
func (a *auditor) windowedRange(r *kgo.Record, p int32, from, to int64, err error) {
	switch {
	case err != nil:
		a.b.problem("repartition record at partition %d offset %d: %v", r.Partition, r.Offset, err)
	case to > a.c.committed.at(a.st.SalesTopic, p):
		a.b.problem("repartition record at partition %d offset %d says the sales at partition %d offsets [%d, %d) were windowed, past the group's committed offsets", r.Partition, r.Offset, p, from, to)
	default:
		if a.direct == nil {
			a.direct = windowedRanges{}
		}
		a.direct.add(p, from, to)
	}
}

// directSale files a sale that a windowed-range record covers: windowed,
// unless dead-lettered; a sale that also took the round trip reached the
// windows twice.
func (a *auditor) directSale(slot *uint8) {
	switch {
	case *slot&(fWindowed|fInFlight) != 0:
		*slot |= fTwice
	case *slot&fDead == 0:
		*slot |= fWindowed
	}
}
