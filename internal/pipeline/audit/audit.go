// Package audit checks the summary table against the input, exactly:
// reader --audit.
//
// It recomputes in batch what the summary topic must hold from what is in
// Kafka, and compares. From a consistent cut of the enricher's topics (the
// group's committed offsets, and every topic's end as of the same commit),
// it reads the sales topic up to the committed offsets, read_committed,
// decodes each sale and joins its region with the regions file it is
// given, and adds it to its windows in a plain map, with the window
// settings the enricher recorded in its state (its settings record, see
// enricher.Settings); then it takes away what the enricher reported: sales
// dead-lettered (the dead-letter topic's source headers), sales dropped
// from windows the watermark had closed (the late topic's watermark
// header), and sales forwarded but not yet windowed (on the repartition
// topic past the group's committed offset: in flight, not missing). It
// compares the result with the latest summary row of every (region,
// window), to the cent, and accounts for every sale: aggregated, late,
// dead-lettered or in flight, exactly one of them.
//
// In update and complete mode every window is compared; in append mode
// the windows whose partition's watermark (recorded with the settings)
// has closed them.
//
// The computation is the audit's own, not the enricher's window library,
// so that it checks that code rather than repeating it.
package audit

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/salesstream/salesstream/internal/domain/sales"
	"github.com/salesstream/salesstream/internal/pipeline/enricher"
	"github.com/salesstream/salesstream/internal/platform/topics"
)

// Decoder decodes a framed Avro message into v.
type Decoder interface {
	Decode(ctx context.Context, msg []byte, headerID func(key string) ([]byte, bool), isKey bool, v any) error
}

// Config says what to audit.
type Config struct {
	// Group and StateTopic are the enricher's --group and --state-topic;
	// SummaryTopic the summary topic read.
	Group        string
	StateTopic   string
	SummaryTopic string
	// Regions is the regions file the enricher joined with, read from
	// RegionsSource.
	Regions       *sales.Regions
	RegionsSource string
	// Wait, if > 0, waits up to that long for the enricher to catch up
	// before taking the cut; 0 audits a consistent cut at once.
	Wait time.Duration
	// MaxSales bounds the sales topic offsets the audit holds (one byte
	// each); a larger cut is refused. 0 means DefaultMaxSales.
	MaxSales int64
	// Decoder decodes the sales and the summary rows.
	Decoder Decoder
	// Logger, if set, logs the cut taken.
	Logger *slog.Logger
}

// DefaultMaxSales is the default of Config.MaxSales.
const DefaultMaxSales = 50_000_000

// CannotAudit is an audit that could not be made: what is missing, and
// what to do.
type CannotAudit struct {
	What, Do string
	later    bool // the enricher may yet make it possible
}

// Error says what is missing and what to do.
func (c *CannotAudit) Error() string { return fmt.Sprintf("cannot audit: %s; %s", c.What, c.Do) }

func cannot(what, do string) error { return &CannotAudit{What: what, Do: do} }

// notYet is a CannotAudit that waiting for the enricher may mend.
func notYet(what, do string) error { return &CannotAudit{What: what, Do: do, later: true} }

// Run audits the enricher's summary table with clients made with
// connOpts. An error means no verdict could be made; a CannotAudit says
// what to do. With a Wait, an enricher that has not committed yet is
// waited for too.
func Run(ctx context.Context, connOpts []kgo.Opt, cfg Config) (*Verdict, error) {
	if cfg.MaxSales <= 0 {
		cfg.MaxSales = DefaultMaxSales
	}
	deadline := time.Now().Add(cfg.Wait)
	for {
		v, err := attempt(ctx, connOpts, cfg, deadline)
		var c *CannotAudit
		if !errors.As(err, &c) || !c.later || !time.Now().Before(deadline) {
			return v, err
		}
		select {
		case <-ctx.Done():
			return nil, err
		case <-time.After(200 * time.Millisecond):
		}
	}
}

func attempt(ctx context.Context, connOpts []kgo.Opt, cfg Config, deadline time.Time) (*Verdict, error) {
	cl, err := kgo.NewClient(connOpts...)
	if err != nil {
		return nil, fmt.Errorf("create audit client: %w", err)
	}
	defer cl.Close()
	adm := kadm.NewClient(cl)
	if err := requireTopics(ctx, cl, cfg); err != nil {
		return nil, err
	}
	// The settings name the topics; read them to the current end first.
	now, err := listed(adm.ListCommittedOffsets(ctx, cfg.StateTopic))
	if err != nil {
		return nil, fmt.Errorf("list end offsets of %s: %w", cfg.StateTopic, err)
	}
	sr, err := readSettings(ctx, connOpts, cfg, now[cfg.StateTopic])
	if err != nil {
		return nil, err
	}
	st := sr.settings
	if err := checkSettings(cfg, st); err != nil {
		return nil, err
	}
	names := []string{st.SalesTopic, st.RepartitionTopic, cfg.SummaryTopic, cfg.StateTopic, st.DeadLetterTopic}
	if st.LateTopic != "" {
		names = append(names, st.LateTopic)
	}
	c, err := takeCut(ctx, adm, cfg.Group, st.SalesTopic, st.RepartitionTopic, time.Until(deadline), names)
	if err != nil {
		return nil, err
	}
	if cfg.Logger != nil {
		cfg.Logger.Info("consistent cut taken", "group", cfg.Group, "tries", c.attempts, "caught_up", c.caughtUp,
			"committed", c.committed, "ends", c.ends)
	}
	a := &auditor{cfg: cfg, st: st, c: c, connOpts: connOpts}
	return a.run(ctx)
}

// requireTopics checks that the summary and state topics exist.
func requireTopics(ctx context.Context, cl *kgo.Client, cfg Config) error {
	for _, t := range []struct{ name, flag, do string }{
		{cfg.SummaryTopic, "--summary-topic", "run the enricher first (it creates the topic), or give --summary-topic the summary topic"},
		{cfg.StateTopic, "--state-topic", "give --state-topic the enricher's --state-topic, and run the enricher first"},
	} {
		if _, err := topics.Partitions(ctx, cl, t.name); err != nil {
			if errors.Is(err, topics.ErrNoTopic) {
				return notYet(fmt.Sprintf("%s %s does not exist", t.flag, t.name), t.do)
			}
			return err
		}
	}
	return nil
}

// checkSettings refuses an audit the settings do not allow.
func checkSettings(cfg Config, st enricher.Settings) error {
	if st.SummaryTopic != cfg.SummaryTopic {
		return cannot(fmt.Sprintf("the enricher writes its summary to %s, not to --summary-topic %s", st.SummaryTopic, cfg.SummaryTopic),
			"give --summary-topic "+st.SummaryTopic)
	}
	if h := cfg.Regions.Hash(); h != st.RegionsHash {
		return cannot(fmt.Sprintf("--regions %s (%d countries, sha256 %.12s) is not the regions file the enricher joined with (%s, %d countries, sha256 %.12s)",
			cfg.RegionsSource, cfg.Regions.Len(), h, st.Regions, st.Countries, st.RegionsHash),
			"give --regions the enricher's regions file")
	}
	if st.SizeMs <= 0 || st.SlideMs <= 0 || st.SlideMs > st.SizeMs {
		return cannot(fmt.Sprintf("the settings record holds window %d ms sliding %d ms", st.SizeMs, st.SlideMs),
			"the state topic was not written by this enricher; give --state-topic the enricher's")
	}
	return nil
}

// stateRead is what the audit reads of the state topic: the settings all
// partitions agree on, each repartition partition's watermark, and where
// the group began reading the sales topic (nil: at its start).
type stateRead struct {
	settings  enricher.Settings
	watermark map[int32]int64
	began     map[int32]int64
}

// readSettings reads the state topic's settings records, and its start
// record if any, up to ends.
func readSettings(ctx context.Context, connOpts []kgo.Opt, cfg Config, ends map[int32]int64) (stateRead, error) {
	var (
		first *enricher.Settings
		out   = stateRead{watermark: map[int32]int64{}}
	)
	err := readTo(ctx, connOpts, cfg.StateTopic, nil, ends, func(r *kgo.Record) error {
		if string(r.Key) == enricher.StartKey && r.Value != nil {
			st, err := enricher.ParseStart(r.Value)
			if err != nil {
				return cannot(fmt.Sprintf("state topic %s partition %d offset %d: %v", cfg.StateTopic, r.Partition, r.Offset, err),
					"audit with the reader of the enricher's version")
			}
			out.began = st.Offsets
			return nil
		}
		if string(r.Key) != enricher.SettingsKey || r.Value == nil {
			return nil
		}
		s, err := enricher.ParseSettings(r.Value)
		if err != nil {
			return cannot(fmt.Sprintf("state topic %s partition %d offset %d: %v", cfg.StateTopic, r.Partition, r.Offset, err),
				"audit with the reader of the enricher's version")
		}
		out.watermark[s.Partition] = s.Watermark
		cmpable := s
		cmpable.Partition, cmpable.Watermark = 0, 0
		if first == nil {
			first = &cmpable
		} else if *first != cmpable {
			return cannot(fmt.Sprintf("state topic %s holds the settings of enrichers that ran differently: %+v and %+v", cfg.StateTopic, *first, cmpable),
				"run every instance of the group with the same settings and regions file, or start afresh with a new --group and --state-topic")
		}
		return nil
	})
	if err != nil {
		return stateRead{}, err
	}
	if first == nil {
		return stateRead{}, notYet(fmt.Sprintf("state topic %s holds no settings record of the enricher", cfg.StateTopic),
			"audit once the enricher has committed a micro-batch that windowed sales (an enricher older than reader --audit writes none: upgrade it and let it run a trigger)")
	}
	out.settings = *first
	return out, nil
}

// readTo reads topic's partitions from their start, or from from's offset
// if later, to ends (exclusive), read_committed, and calls fn with each
// data record.
func readTo(ctx context.Context, connOpts []kgo.Opt, topic string, from, ends map[int32]int64, fn func(*kgo.Record) error) error {
	lc, err := kgo.NewClient(connOpts...)
	if err != nil {
		return fmt.Errorf("create reader of %s: %w", topic, err)
	}
	starts, err := listed(kadm.NewClient(lc).ListStartOffsets(ctx, topic))
	lc.Close()
	if err != nil {
		return fmt.Errorf("list start offsets of %s: %w", topic, err)
	}
	if len(from) > 0 && starts[topic] == nil {
		starts[topic] = map[int32]int64{}
	}
	for p, f := range from {
		if f > starts[topic][p] {
			starts[topic][p] = f
		}
	}
	at := map[int32]kgo.Offset{}
	for p, e := range ends {
		if s := starts.at(topic, p); s < e {
			at[p] = kgo.NewOffset().At(s)
		}
	}
	if len(at) == 0 {
		return nil
	}
	cl, err := kgo.NewClient(append(slices.Clone(connOpts),
		kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{topic: at}),
		kgo.FetchIsolationLevel(kgo.ReadCommitted()),
		kgo.KeepControlRecords(),
	)...)
	if err != nil {
		return fmt.Errorf("create reader of %s: %w", topic, err)
	}
	defer cl.Close()
	err = topics.EndsAt(topic, starts[topic], ends).Consume(ctx, cl, func(r *kgo.Record) error {
		if r.Offset >= ends[r.Partition] {
			return nil // past the cut
		}
		return fn(r)
	})
	if err != nil {
		return fmt.Errorf("read %s: %w", topic, err)
	}
	return nil
}
