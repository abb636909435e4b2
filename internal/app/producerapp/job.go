package producerapp

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/salesstream/salesstream/internal/app"
	"github.com/salesstream/salesstream/internal/domain/datagen"
	"github.com/salesstream/salesstream/internal/domain/sales"
	"github.com/salesstream/salesstream/internal/domain/schema"
	"github.com/salesstream/salesstream/internal/pipeline/producer"
	"github.com/salesstream/salesstream/internal/pipeline/registrar"
	"github.com/salesstream/salesstream/internal/platform/kafkaconn"
	"github.com/salesstream/salesstream/internal/platform/ops"
	"github.com/salesstream/salesstream/internal/platform/topics"
	"github.com/salesstream/salesstream/pkg/registry"
)

// Job is the producer binary's whole run: it checks the input against the
// registered CSV schema, connects to Kafka, and replays the input.
type Job struct {
	app.Clients
	// Input is a CSV path or s3:// URL; ignored when Synthetic.
	Input string
	// Synthetic sends generated sales instead of a file, without end
	// unless Producer.Limit is set.
	Synthetic bool
	// Strict refuses an input with any bad row, before sending anything.
	Strict bool
	// Resume skips the rows an earlier run of the same Input had
	// acknowledged, so a stopped replay goes on where it stopped.
	Resume bool
	// Partitions of the sales topic when the producer creates it.
	Partitions int32
	Producer   producer.Config
	// Ops, if set, receives the producer's metrics and readiness.
	Ops *ops.Server
}

// Run runs the job. Its registry errors say what to do about them.
func (j Job) Run(ctx context.Context) (producer.Stats, error) {
	return app.Hint(j.run(ctx))
}

func (j Job) run(ctx context.Context) (producer.Stats, error) {
	log := j.Log()
	j.Producer.Logger = log
	if j.Producer.Topic == "" {
		j.Producer.Topic = schema.SalesTopic
	}
	sd, err := app.SalesSerde(j.Registry)
	if err != nil {
		return producer.Stats{}, err
	}
	keyEnc, valEnc, err := app.Encoders(ctx, sd, j.Producer.Topic)
	if err != nil {
		return producer.Stats{}, err
	}

	var src producer.Source
	closeSrc := func() {}
	if j.Synthetic {
		src = synthetic{datagen.New(uint64(time.Now().UnixNano()), time.Now(), time.Second)}
		j.Producer.SourceName = "synthetic"
		if j.Producer.EventTime == producer.Shifted {
			j.Producer.EventTime = producer.Now
		}
	} else {
		header, err := CSVHeader(ctx, j.Registry)
		if err != nil {
			return producer.Stats{}, err
		}
		if j.Strict {
			st, err := j.validate(ctx, header)
			if err != nil {
				return st, err
			}
		}
		rc, r, err := j.open(ctx, header)
		if err != nil {
			return producer.Stats{}, err
		}
		closeSrc = func() { rc.Close() }
		src = r
		j.Producer.SourceName = j.Input
	}
	defer closeSrc()

	cl, err := kafkaconn.NewClient(ctx, j.Kafka,
		kgo.DefaultProduceTopic(j.Producer.Topic),
		kgo.RequiredAcks(kgo.AllISRAcks()),
		kgo.ProducerLinger(5*time.Millisecond),
		kgo.RecordPartitioner(producer.Partitioner()),
		kgo.KeepControlRecords(),
	)
	if err != nil {
		return producer.Stats{}, err
	}
	defer cl.Close()
	if j.Ops != nil {
		j.Producer.Metrics = producer.NewMetrics(j.Ops.Registry())
		if !j.Synthetic {
			if err := j.Producer.Metrics.CountRows(ctx, j.Files(), j.Input, j.Ops.Registry()); err != nil {
				return producer.Stats{}, err
			}
		}
	}
	p, err := producer.New(cl, keyEnc, valEnc, j.Producer)
	if err != nil {
		return producer.Stats{}, err
	}
	if j.Ops != nil {
		j.Ops.CounterFunc("salesstream_producer_blank_country_total", "Sales sent without a country; the enricher counts them under Unassigned.", func() float64 { return float64(p.BlankCountry()) })
		j.Ops.SetReady(func() bool { return true })
	}
	if j.Resume && !j.Synthetic {
		r, err := p.ResumeFromTopics(ctx)
		if err != nil {
			return producer.Stats{}, fmt.Errorf("find where the last run of %s stopped: %w", j.Input, err)
		}
		log.Info("resuming", "input", j.Input, "last_lines", r.Lines, "last_rejected", r.Rejected)
	}
	if err := topics.Ensure(ctx, cl, p.Topics(app.Partitions(j.Partitions))...); err != nil {
		return producer.Stats{}, err
	}
	log.Info("producing", "input", j.Producer.SourceName, "topic", j.Producer.Topic, "event_time", j.Producer.EventTime)
	st, err := p.Run(ctx, src)
	st.RejectTopic = p.RejectTopic()
	st.RejectHeld = j.rejectHeld(context.WithoutCancel(ctx), cl, st.RejectTopic, log)
	return st, err
}

// rejectHeld counts the rows of the reject topic, or returns -1. A client
// that looked the topic up before it was created (a resumed run on a new
// cluster) keeps it unknown in its cached metadata: a fresh client asks
// again.
func (j Job) rejectHeld(ctx context.Context, cl *kgo.Client, topic string, log *slog.Logger) int64 {
	n, err := rowsHeld(ctx, cl, topic)
	if errors.Is(err, kerr.UnknownTopicOrPartition) {
		var fresh *kgo.Client
		if fresh, err = kafkaconn.NewClient(ctx, j.Kafka); err == nil {
			n, err = rowsHeld(ctx, fresh, topic)
			fresh.Close()
		}
	}
	if err != nil {
		log.Warn("could not count the rows of the reject topic", "topic", topic, "err", err)
		return -1
	}
	return n
}

// CSVHeader returns the sales CSV header the registry's pagila.sales.csv
// schema describes.
func CSVHeader(ctx context.Context, reg *registry.Client) ([]string, error) {
	return registrar.Header(ctx, reg, schema.SalesCSV)
}

func (j Job) open(ctx context.Context, header []string) (io.Closer, *sales.Reader, error) {
	rc, err := j.Files().Open(ctx, j.Input)
	if err != nil {
		return nil, nil, err
	}
	r, err := sales.NewReader(rc, header)
	if err != nil {
		rc.Close()
		return nil, nil, fmt.Errorf("%s: %w", j.Input, err)
	}
	return rc, r, nil
}

func (j Job) validate(ctx context.Context, header []string) (producer.Stats, error) {
	rc, r, err := j.open(ctx, header)
	if err != nil {
		return producer.Stats{}, err
	}
	defer rc.Close()
	st, err := producer.Validate(r)
	if err != nil {
		return st, fmt.Errorf("check %s: %w", j.Input, err)
	}
	if st.Bad > 0 {
		return st, fmt.Errorf("%s has %d bad rows of %d (first: %v); nothing was sent: fix them, or drop --strict to send the good rows and keep the bad ones on the reject topic",
			j.Input, st.Bad, st.Read, st.Errors[0])
	}
	return st, nil
}

type synthetic struct{ g *datagen.Generator }

func (s synthetic) Next() (sales.Sale, error) { return s.g.Next(), nil }
