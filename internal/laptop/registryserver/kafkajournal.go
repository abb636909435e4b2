package registryserver

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
)

// DefaultKafkaJournalTopic is the topic a registry keeps its events in when
// none is named.
const DefaultKafkaJournalTopic = "salesstream-registry-journal"

// Limits of a KafkaJournal.
const (
	// kafkaJournalMaxRecordBytes bounds one event record, and is the
	// max.message.bytes of a topic the journal creates: an event carries a
	// whole schema, which may be larger than Kafka's 1 MiB default.
	kafkaJournalMaxRecordBytes = 16 << 20
	// kafkaJournalAppendTimeout bounds one append.
	kafkaJournalAppendTimeout = 30 * time.Second
)

// KafkaJournal is a [Journal] kept in a Kafka topic of one partition, one
// JSON event per record, in the order appended, as Apicurio's kafkasql
// storage keeps its journal. The topic is created if missing with
// cleanup.policy=delete and infinite retention (retention.ms and
// retention.bytes -1); an existing topic with more than one partition, or
// whose records may be compacted or expire, is refused, since the
// registry's state is rebuilt from every event in order.
//
// Append returns once every in-sync replica has the event (acks=all,
// idempotent producer). An append that fails with an answer saying the
// event was refused leaves the journal usable; one whose outcome is unknown
// (the broker did not answer within 30 s, or answered after writing but
// before replicating) may yet be written, so later appends are refused
// until the registry is restarted and replays the topic, lest it reuse ids
// the journal already holds. Reads of the registry keep working.
//
// Replay reads the topic from its start to the end offset it has when
// Replay begins. The journal does not follow the topic afterwards: exactly
// one registry process may use a topic at a time.
type KafkaJournal struct {
	topic         string
	conn          []kgo.Opt // connection options, for replay clients
	cl            *kgo.Client
	appendTimeout time.Duration

	mu     sync.Mutex
	closed bool
	broken error // why appends are refused, after an append of unknown outcome
}

// NewKafkaJournal connects to Kafka with opts (seed brokers, TLS, SASL,
// logger: no producing or consuming options) and returns the journal kept
// in topic, creating the topic if it is missing.
func NewKafkaJournal(ctx context.Context, opts []kgo.Opt, topic string) (*KafkaJournal, error) {
	return newKafkaJournal(ctx, opts, topic, kafkaJournalAppendTimeout)
}

func newKafkaJournal(ctx context.Context, opts []kgo.Opt, topic string, appendTimeout time.Duration) (*KafkaJournal, error) {
	if topic == "" {
		return nil, errors.New("open registry journal: empty topic name: name the Kafka topic that keeps the registry's events")
	}
	cl, err := kgo.NewClient(append(slices.Clone(opts),
		kgo.DefaultProduceTopic(topic),
		kgo.RecordPartitioner(kgo.ManualPartitioner()),
		kgo.RequiredAcks(kgo.AllISRAcks()),
		kgo.ProducerLinger(0),
		kgo.ProducerBatchMaxBytes(kafkaJournalMaxRecordBytes),
		kgo.RecordDeliveryTimeout(appendTimeout),
	)...)
	if err != nil {
		return nil, fmt.Errorf("open registry journal topic %s: %w", topic, err)
	}
	if err := ensureJournalTopic(ctx, kadm.NewClient(cl), topic); err != nil {
		cl.Close()
		return nil, err
	}
	return &KafkaJournal{topic: topic, conn: slices.Clone(opts), cl: cl, appendTimeout: appendTimeout}, nil
}

// journalTopicConfigs are the configs of a topic the journal creates.
func journalTopicConfigs() map[string]*string {
	v := func(s string) *string { return &s }
	return map[string]*string{
		"cleanup.policy":    v("delete"),
		"retention.ms":      v("-1"),
		"retention.bytes":   v("-1"),
		"max.message.bytes": v(strconv.Itoa(kafkaJournalMaxRecordBytes)),
	}
}

// ensureJournalTopic creates topic, or checks that the existing one keeps
// every event in order.
func ensureJournalTopic(ctx context.Context, adm *kadm.Client, topic string) error {
	_, err := adm.CreateTopic(ctx, 1, -1, journalTopicConfigs(), topic)
	if err == nil {
		return nil
	}
	if !errors.Is(err, kerr.TopicAlreadyExists) {
		return fmt.Errorf("create registry journal topic %s: %w", topic, err)
	}
	details, err := adm.ListTopics(ctx, topic)
	if err != nil {
		return fmt.Errorf("describe registry journal topic %s: %w", topic, err)
	}
	d, ok := details[topic]
	switch {
	case !ok:
		return fmt.Errorf("describe registry journal topic %s: not in the metadata answer", topic)
	case d.Err != nil:
		return fmt.Errorf("describe registry journal topic %s: %w", topic, d.Err)
	case len(d.Partitions) != 1:
		return fmt.Errorf("registry journal topic %s has %d partitions: it needs exactly one, so that events keep their order; name a new topic and the registry creates it", topic, len(d.Partitions))
	}
	rcs, err := adm.DescribeTopicConfigs(ctx, topic)
	if err != nil {
		return fmt.Errorf("describe configs of registry journal topic %s: %w", topic, err)
	}
	rc, err := rcs.On(topic, nil)
	if err == nil {
		err = rc.Err
	}
	if err != nil {
		return fmt.Errorf("describe configs of registry journal topic %s: %w", topic, err)
	}
	for _, c := range rc.Configs {
		val := c.MaybeValue()
		switch {
		case c.Key == "cleanup.policy" && strings.Contains(val, "compact"):
			return fmt.Errorf("registry journal topic %s has cleanup.policy=%s: compaction would delete events the registry is rebuilt from; set cleanup.policy=delete", topic, val)
		case (c.Key == "retention.ms" || c.Key == "retention.bytes") && val != "-1":
			return fmt.Errorf("registry journal topic %s has %s=%s: old events would be deleted and the registry lose schemas; set %s=-1", topic, c.Key, val, c.Key)
		}
	}
	return nil
}

// refused reports a failed append whose event Kafka is known not to have
// written: the broker refused the record, or the client never sent it.
func refused(err error) bool {
	for _, e := range []error{
		kerr.MessageTooLarge, kerr.RecordListTooLarge, kerr.InvalidRecord, kerr.CorruptMessage,
		kerr.InvalidTopicException, kerr.TopicAuthorizationFailed, kerr.ClusterAuthorizationFailed,
		kerr.PolicyViolation, kgo.ErrMaxBuffered,
	} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

// Append writes e to the topic and returns once it is replicated.
func (j *KafkaJournal) Append(ctx context.Context, e Event) error {
	value, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("append %s to registry journal: encode: %w", e.Kind, err)
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	switch {
	case j.closed:
		return fmt.Errorf("append %s to registry journal topic %s: journal is closed", e.Kind, j.topic)
	case j.broken != nil:
		return fmt.Errorf("append %s to registry journal topic %s: %w", e.Kind, j.topic, j.broken)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("append %s to registry journal topic %s: %w", e.Kind, j.topic, err)
	}
	done := make(chan error, 1)
	j.cl.Produce(ctx, &kgo.Record{Topic: j.topic, Partition: 0, Value: value}, func(_ *kgo.Record, err error) { done <- err })
	timer := time.NewTimer(j.appendTimeout + time.Second) // the client's own delivery timeout fires first when it can
	defer timer.Stop()
	select {
	case err = <-done:
		if err == nil {
			return nil
		}
		if !refused(err) {
			j.broken = fmt.Errorf("an earlier append failed with its outcome unknown (%v): the registry refuses changes until it is restarted and replays the journal", err)
		}
	case <-timer.C:
		err = fmt.Errorf("no answer from Kafka within %v", j.appendTimeout)
		j.broken = fmt.Errorf("an earlier append got no answer from Kafka within %v and may yet be written: the registry refuses changes until it is restarted and replays the journal", j.appendTimeout)
	}
	return fmt.Errorf("append %s to registry journal topic %s: %w", e.Kind, j.topic, err)
}

// Replay reads every event from the start of the topic to the end offset
// it has when Replay begins.
func (j *KafkaJournal) Replay(ctx context.Context, fn func(Event) error) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.closed {
		return fmt.Errorf("replay registry journal topic %s: journal is closed", j.topic)
	}
	start, end, err := j.bounds(ctx)
	if err != nil {
		return fmt.Errorf("replay registry journal topic %s: %w", j.topic, err)
	}
	if start > 0 {
		return fmt.Errorf("replay registry journal topic %s: its log starts at offset %d, not 0: its first events were deleted and the registry cannot be rebuilt from it; restore the topic or start on a new one", j.topic, start)
	}
	if end <= start {
		return nil
	}
	cl, err := kgo.NewClient(append(slices.Clone(j.conn),
		kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{j.topic: {0: kgo.NewOffset().At(start)}}),
		// Every offset up to the end is seen, control records included,
		// so the replay knows when it got there.
		kgo.KeepControlRecords(),
	)...)
	if err != nil {
		return fmt.Errorf("replay registry journal topic %s: %w", j.topic, err)
	}
	defer cl.Close()
	for next := start; next < end; {
		fetches := cl.PollFetches(ctx)
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("replay registry journal topic %s at offset %d of %d: %w", j.topic, next, end, err)
		}
		if err := fetches.Err(); err != nil {
			return fmt.Errorf("replay registry journal topic %s at offset %d of %d: %w", j.topic, next, end, err)
		}
		for it := fetches.RecordIter(); !it.Done() && next < end; {
			r := it.Next()
			if r.Offset >= end {
				break
			}
			next = r.Offset + 1
			if r.Attrs.IsControl() {
				continue
			}
			var e Event
			err := json.Unmarshal(r.Value, &e)
			if err == nil && e.Kind == "" {
				err = errors.New("event has no kind")
			}
			if err != nil {
				return fmt.Errorf("replay registry journal topic %s: the record at offset %d is not a registry event (%v): is the topic shared with something else? point the registry at a topic of its own", j.topic, r.Offset, err)
			}
			if err := fn(e); err != nil {
				return fmt.Errorf("replay registry journal topic %s: event at offset %d (%s): %w", j.topic, r.Offset, e.Kind, err)
			}
		}
	}
	return nil
}

// bounds returns the log start and end offsets of the topic's partition.
func (j *KafkaJournal) bounds(ctx context.Context) (start, end int64, err error) {
	adm := kadm.NewClient(j.cl)
	lookup := func(what string, list func(context.Context, ...string) (kadm.ListedOffsets, error)) (int64, error) {
		offs, err := list(ctx, j.topic)
		if err != nil {
			return 0, fmt.Errorf("list %s offset: %w", what, err)
		}
		o, ok := offs.Lookup(j.topic, 0)
		if !ok {
			return 0, fmt.Errorf("list %s offset: partition 0 missing from the answer", what)
		}
		if o.Err != nil {
			return 0, fmt.Errorf("list %s offset: %w", what, o.Err)
		}
		return o.Offset, nil
	}
	if start, err = lookup("start", adm.ListStartOffsets); err != nil {
		return 0, 0, err
	}
	if end, err = lookup("end", adm.ListEndOffsets); err != nil {
		return 0, 0, err
	}
	return start, end, nil
}

// Close closes the Kafka client; later appends fail.
func (j *KafkaJournal) Close() error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.closed {
		return nil
	}
	j.closed = true
	j.cl.Close()
	return nil
}
