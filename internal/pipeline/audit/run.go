package audit

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/salesstream/salesstream/internal/domain/schema"
	"github.com/salesstream/salesstream/internal/pipeline/enricher"
	"github.com/salesstream/salesstream/pkg/serde"
	"github.com/salesstream/salesstream/pkg/window"
)

// auditor is one audit, after the cut was taken.
type auditor struct {
	cfg      Config
	st       enricher.Settings
	c        cut
	connOpts []kgo.Opt

	led        *ledger
	b          *Batch
	regionPart map[string]int32 // region -> repartition partition
	direct     windowedRanges   // sales windowed without the round trip
	watermark  map[int32]int64  // repartition partition -> watermark at the cut
	began      map[int32]int64  // sales partition -> where the group began (nil: at the start)
}

// salesFrom returns, per sales partition, the first offset to audit: the
// log's start, or where the group began if later.
func (a *auditor) salesFrom() map[int32]int64 {
	from := map[int32]int64{}
	for p := range a.c.committed[a.st.SalesTopic] {
		from[p] = max(a.c.starts.at(a.st.SalesTopic, p), a.began[p])
	}
	return from
}

func (a *auditor) run(ctx context.Context) (*Verdict, error) {
	sales, rep := a.st.SalesTopic, a.st.RepartitionTopic
	sr, err := readSettings(ctx, a.connOpts, a.cfg, a.c.ends[a.cfg.StateTopic])
	if err != nil {
		return nil, err
	}
	a.watermark, a.began = sr.watermark, sr.began
	if err := a.checkSalesCut(); err != nil {
		return nil, err
	}
	a.led = newLedger(a.salesFrom(), a.c.committed[sales])
	a.b = NewBatch(Spec{Size: a.st.SizeMs, Slide: a.st.SlideMs, Start: a.st.StartMs, Append: a.st.Mode == window.Append.String()})
	a.regionPart = map[string]int32{}
	steps := []struct {
		topic string
		from  map[int32]int64
		ends  map[int32]int64
		fn    func(*kgo.Record) error
	}{
		{rep, nil, a.c.ends[rep], a.repartitioned},
		{a.st.DeadLetterTopic, nil, a.c.ends[a.st.DeadLetterTopic], a.deadLettered},
		{a.st.LateTopic, nil, a.c.ends[a.st.LateTopic], a.late},
		{sales, a.salesFrom(), a.c.committed[sales], func(r *kgo.Record) error { return a.sale(ctx, r) }},
	}
	for _, s := range steps {
		if s.topic == "" {
			continue
		}
		if err := readTo(ctx, a.connOpts, s.topic, s.from, s.ends, s.fn); err != nil {
			return nil, err
		}
	}
	unread, n := a.led.unread(maxProblems)
	for _, u := range unread {
		a.b.problem("%s", u)
	}
	a.b.nProblem += n - len(unread)
	found, err := a.summary(ctx)
	if err != nil {
		return nil, err
	}
	return a.verdict(found), nil
}

// checkSalesCut refuses a cut of the sales topic the audit cannot read
// whole: sales deleted below the committed offsets, committed offsets
// past the topic's end (it was recreated since: reading to them would
// never end), or more offsets than MaxSales.
func (a *auditor) checkSalesCut() error {
	sales := a.st.SalesTopic
	var total int64
	for p, end := range a.c.committed[sales] {
		if s := a.c.starts.at(sales, p); s > a.began[p] {
			return cannot(fmt.Sprintf("the sales topic %s partition %d starts at offset %d: the sales before it were deleted (retention), so the summary cannot be recomputed from the input", sales, p, s),
				"audit a deployment whose sales topic keeps every sale (retention.ms -1), or start afresh with a new --group, --state-topic and summary topic")
		}
		if e := a.c.ends.at(sales, p); end > e {
			return cannot(fmt.Sprintf("the group %s has committed offset %d of the sales topic %s partition %d, past the partition's end %d: the topic was deleted and made again since the enricher read it", a.cfg.Group, end, sales, p, e),
				"start afresh with a new --group, --state-topic and summary topic")
		}
		total += end - max(a.c.starts.at(sales, p), a.began[p])
	}
	if total > a.cfg.MaxSales {
		return cannot(fmt.Sprintf("the group has committed %d sales offsets, more than --audit-max-sales %d", total, a.cfg.MaxSales),
			"raise --audit-max-sales (the audit holds about one byte per sale, plus its windows)")
	}
	return nil
}

// repartitioned files a repartition record that carries a sale: windowed
// if below the group's committed offset, in flight otherwise.
func (a *auditor) repartitioned(r *kgo.Record) error {
	if p, from, to, ok, err := enricher.WindowedRange(r.Value); ok {
		a.windowedRange(r, p, from, to, err)
		return nil
	}
	p, off, sale, err := enricher.RepartitionSource(r.Value)
	switch {
	case err != nil:
		a.b.problem("repartition record at partition %d offset %d: %v", r.Partition, r.Offset, err)
		return nil
	case !sale:
		return nil // a watermark marker
	}
	a.regionPart[string(r.Key)] = r.Partition
	f := fInFlight
	if r.Offset < a.c.committed.at(a.st.RepartitionTopic, r.Partition) {
		f = fWindowed
	}
	if !a.led.mark(p, off, f) {
		a.b.problem("repartition record at partition %d offset %d carries the sale at partition %d offset %d, past the group's committed offsets", r.Partition, r.Offset, p, off)
	}
	return nil
}

// origin returns the source headers of a dead-letter or late record.
func origin(r *kgo.Record) (topic string, p int32, off int64, ok bool) {
	var ps, os string
	for _, h := range r.Headers {
		switch h.Key {
		case enricher.HeaderTopic:
			topic = string(h.Value)
		case enricher.HeaderPartition:
			ps = string(h.Value)
		case enricher.HeaderOffset:
			os = string(h.Value)
		}
	}
	pn, err1 := strconv.ParseInt(ps, 10, 32)
	on, err2 := strconv.ParseInt(os, 10, 64)
	return topic, int32(pn), on, topic != "" && err1 == nil && err2 == nil
}

func header(r *kgo.Record, key string) (string, bool) {
	for _, h := range r.Headers {
		if h.Key == key {
			return string(h.Value), true
		}
	}
	return "", false
}

// deadLettered files a dead-letter record of a sale.
func (a *auditor) deadLettered(r *kgo.Record) error {
	topic, p, off, ok := origin(r)
	switch {
	case !ok || topic != a.st.SalesTopic && topic != a.st.RepartitionTopic:
		return nil // not the enricher's
	case topic == a.st.RepartitionTopic:
		reason, _ := header(r, enricher.HeaderError)
		a.b.problem("the enricher dead-lettered repartition record at partition %d offset %d: %s", p, off, reason)
	case !a.led.mark(p, off, fDead):
		a.b.problem("dead-letter record at offset %d refers to the sale at partition %d offset %d, past the group's committed offsets", r.Offset, p, off)
	}
	return nil
}

// late files a late record.
func (a *auditor) late(r *kgo.Record) error {
	topic, p, off, ok := origin(r)
	if !ok || topic != a.st.SalesTopic {
		a.b.problem("late record at partition %d offset %d has no source in the sales topic", r.Partition, r.Offset)
		return nil
	}
	ws, _ := header(r, enricher.HeaderWatermark)
	ns, _ := header(r, enricher.HeaderLateWindows)
	wm, err1 := strconv.ParseInt(ws, 10, 64)
	n, err2 := strconv.ParseInt(ns, 10, 64)
	if err := errors.Join(err1, err2); err != nil {
		a.b.problem("late record at partition %d offset %d: headers %s and %s: %v", r.Partition, r.Offset, enricher.HeaderWatermark, enricher.HeaderLateWindows, err)
		return nil
	}
	if !a.led.mark(p, off, fLate) {
		a.b.problem("late record at offset %d refers to the sale at partition %d offset %d, past the group's committed offsets", r.Offset, p, off)
		return nil
	}
	a.led.late[saleAt{p, off}] = lateInfo{watermark: wm, windows: n}
	return nil
}

// sale decodes one record of the sales topic and adds it to the batch.
func (a *auditor) sale(ctx context.Context, r *kgo.Record) error {
	s := Sale{Partition: r.Partition, Offset: r.Offset}
	if slot := a.led.slot(r.Partition, r.Offset); slot != nil {
		*slot |= fRead
		if a.direct.has(r.Partition, r.Offset) {
			a.directSale(slot)
		}
		s.Fate = *slot
	}
	if li, ok := a.led.late[saleAt{r.Partition, r.Offset}]; ok {
		s.LateWatermark, s.LateWindows = li.watermark, li.windows
	}
	var v schema.SaleValue
	err := a.cfg.Decoder.Decode(ctx, r.Value, func(k string) ([]byte, bool) {
		for _, h := range r.Headers {
			if h.Key == k {
				return h.Value, true
			}
		}
		return nil, false
	}, false, &v)
	if err != nil && serde.IsRetryable(err) {
		return fmt.Errorf("decode the sale at partition %d offset %d (is the registry reachable? check --registry-url): %w", r.Partition, r.Offset, err)
	}
	if err == nil {
		sale, serr := v.Sale()
		if serr == nil {
			s.Region = a.cfg.Regions.Region(sale.Country)
			s.Time = sale.PaymentDate.UnixMilli()
			if a.st.Time == "record" {
				s.Time = r.Timestamp.UnixMilli()
			}
			s.Cents = int64(sale.Amount)
		}
		err = serr
	}
	s.Err = err
	a.b.Add(s)
	return nil
}

// summary reads the latest row of every (region, window) of the summary
// topic up to the cut.
func (a *auditor) summary(ctx context.Context) (map[Key]Found, error) {
	found := map[Key]Found{}
	err := readTo(ctx, a.connOpts, a.cfg.SummaryTopic, nil, a.c.ends[a.cfg.SummaryTopic], func(r *kgo.Record) error {
		hdr := func(k string) ([]byte, bool) {
			for _, h := range r.Headers {
				if h.Key == k {
					return h.Value, true
				}
			}
			return nil, false
		}
		var k schema.SummaryKey
		if err := a.cfg.Decoder.Decode(ctx, r.Key, hdr, true, &k); err != nil {
			a.b.problem("summary record at partition %d offset %d: key: %v", r.Partition, r.Offset, err)
			return nil
		}
		key := Key{k.Region, k.WindowStart}
		if r.Value == nil {
			delete(found, key)
			return nil
		}
		var v schema.SummaryValue
		if err := a.cfg.Decoder.Decode(ctx, r.Value, hdr, false, &v); err != nil {
			a.b.problem("summary record at partition %d offset %d (%s): value: %v", r.Partition, r.Offset, key, err)
			return nil
		}
		cents, err := schema.Decimal(v.Sales)
		if err != nil {
			a.b.problem("summary record at partition %d offset %d (%s): sales: %v", r.Partition, r.Offset, key, err)
			return nil
		}
		f := Found{Agg: Agg{Cents: int64(cents), Orders: v.Orders}, End: v.WindowEnd}
		if v.Region != k.Region || v.WindowStart != k.WindowStart {
			f.Bad = fmt.Sprintf("its value is the row of %s", Key{v.Region, v.WindowStart})
		}
		found[key] = f
		return nil
	})
	return found, err
}

// closed reports whether window k is due in the summary: in append mode,
// whether its partition's watermark at the cut has closed it.
func (a *auditor) closed(k Key) bool {
	if !a.b.spec.Append {
		return true
	}
	p, ok := a.regionPart[k.Region]
	if n := int32(len(a.c.ends[a.st.RepartitionTopic])); !ok && n > 0 {
		// No sale of the region took the round trip: its partition is
		// the one the enricher windowed it in, by the same hash.
		p, ok = enricher.RegionPartition(k.Region, n), true
	}
	if !ok {
		return false
	}
	wm, ok := a.watermark[p]
	return ok && k.Start+a.b.spec.Size <= wm
}

func (a *auditor) verdict(found map[Key]Found) *Verdict {
	v := &Verdict{Mode: a.st.Mode, LateTopic: a.st.LateTopic, CaughtUp: a.c.caughtUp, Waited: a.cfg.Wait, Attempts: a.c.attempts, Began: a.began}
	v.Differences, v.Checked, v.Pending = a.b.Compare(found, a.closed)
	v.Counts = a.b.Counts()
	v.Problems, v.ProblemCount = a.b.Problems()
	for p, end := range a.c.ends[a.st.SalesTopic] {
		v.NotRead += end - a.c.committed.at(a.st.SalesTopic, p)
	}
	return v
}
