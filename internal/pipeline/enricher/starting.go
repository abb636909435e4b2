package enricher

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
)

// StartingOffsets is where a group with no committed offsets starts
// reading the sales topic, as Spark's startingOffsets option.
type StartingOffsets string

// The starting offsets.
const (
	StartEarliest StartingOffsets = "earliest"
	StartLatest   StartingOffsets = "latest"
)

// ParseStartingOffsets reads "earliest" or "latest".
func ParseStartingOffsets(s string) (StartingOffsets, error) {
	switch v := StartingOffsets(s); v {
	case StartEarliest, StartLatest:
		return v, nil
	}
	return "", fmt.Errorf("starting offsets %q: want earliest (the whole sales topic) or latest (only sales sent from now on)", s)
}

// MarshalText returns the value, so StartingOffsets works with
// flag.TextVar.
func (s StartingOffsets) MarshalText() ([]byte, error) { return []byte(s), nil }

// UnmarshalText sets s as ParseStartingOffsets reads it.
func (s *StartingOffsets) UnmarshalText(b []byte) error {
	v, err := ParseStartingOffsets(string(b))
	if err != nil {
		return err
	}
	*s = v
	return nil
}

// StartKey is the key of the start record: where a group started at the
// latest sales began reading, written once to the state topic (the
// restore skips it), so that reader --audit reads the sales
// from there and not from the topic's start.
//
//	Key:   StartKey ('S')
//	Value: JSON of Start
const StartKey = "S"

// Start is the start record's value.
type Start struct {
	Group string `json:"group"`
	Topic string `json:"topic"`
	// Offsets holds, per sales partition, the first offset the group
	// reads.
	Offsets map[int32]int64 `json:"offsets"`
}

// ParseStart reads a start record's value.
func ParseStart(v []byte) (Start, error) {
	var s Start
	if err := json.Unmarshal(v, &s); err != nil {
		return s, fmt.Errorf("start record: %w", err)
	}
	return s, nil
}

// StartAtEnd makes a group that has committed nothing on topic start at
// topic's end, by committing the current end offsets for it, after
// writing them as the start record to stateTopic. The repartition topic is
// left alone: a group always windows every sale its stage 1 forwarded. A
// group that has committed offsets keeps them.
func StartAtEnd(ctx context.Context, cl *kgo.Client, group, topic, stateTopic string, log *slog.Logger) error {
	adm := kadm.NewClient(cl)
	committed, err := adm.FetchOffsets(ctx, group)
	if err != nil && !errors.Is(err, kerr.GroupIDNotFound) {
		return fmt.Errorf("fetch committed offsets of group %s: %w", group, err)
	}
	has := false
	committed.Each(func(o kadm.OffsetResponse) {
		if o.Topic == topic && o.Err == nil && o.At >= 0 {
			has = true
		}
	})
	if has {
		log.Info("the group has committed offsets: it resumes from them, --starting-offsets applies to a new group only", "group", group)
		return nil
	}
	ends, err := adm.ListEndOffsets(ctx, topic)
	if err != nil {
		return fmt.Errorf("list end offsets of %s: %w", topic, err)
	}
	if err := ends.Error(); err != nil {
		return fmt.Errorf("list end offsets of %s: %w", topic, err)
	}
	// The start record first: if the commit below fails, the next start
	// writes a newer one, which the compacted topic keeps.
	start := Start{Group: group, Topic: topic, Offsets: map[int32]int64{}}
	ends.Each(func(o kadm.ListedOffset) { start.Offsets[o.Partition] = o.Offset })
	v, _ := json.Marshal(start) // strings and integers: cannot fail
	rec := &kgo.Record{Topic: stateTopic, Key: []byte(StartKey), Value: v}
	if err := cl.ProduceSync(ctx, rec).FirstErr(); err != nil {
		return fmt.Errorf("write the start record of group %s to %s: %w", group, stateTopic, err)
	}
	resp, err := adm.CommitOffsets(ctx, group, ends.Offsets())
	if err == nil {
		err = resp.Error()
	}
	if err != nil {
		return fmt.Errorf("start group %s at the end of %s: %w", group, topic, err)
	}
	var total int64
	ends.Each(func(o kadm.ListedOffset) { total += o.Offset })
	log.Info("new group starts at the latest sales", "group", group, "topic", topic, "skipped", total)
	return nil
}
