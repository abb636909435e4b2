package enricher

import (
	"encoding/json"
	"fmt"

	"github.com/twmb/franz-go/pkg/kgo"
)

// Besides its window records and meta record, every partition of the
// state topic holds one settings record, written with the meta record in
// each transaction that changes the partition: what an auditor needs to
// recompute the summary table from the input (reader --audit), kept apart
// from the meta record so that the restore's own layout can change
// without it.
//
//	Key:   SettingsKey ('A')
//	Value: JSON of Settings
//
// The restore keeps only the last one of each partition, to warn of a
// changed regions file; it skips the start record (StartKey) of a group
// started at the latest sales.

// SettingsKey is the key of the settings record in every state partition.
const SettingsKey = "A"

// SettingsVersion is the version of the Settings layout written now.
const SettingsVersion = 1

// Settings is the enricher's settings record: how its state partition was
// built, and the partition's watermark as of the commit that wrote it.
type Settings struct {
	Version int `json:"version"`
	// RegionsHash is sales.Regions.Hash of the regions file joined with;
	// Regions where it was read from and Countries how many it lists.
	RegionsHash string `json:"regions_hash"`
	Regions     string `json:"regions,omitempty"`
	Countries   int    `json:"countries"`
	// The topics the enricher reads and writes; LateTopic is empty when
	// late events are only counted.
	SalesTopic       string `json:"sales_topic"`
	SummaryTopic     string `json:"summary_topic"`
	DeadLetterTopic  string `json:"dead_letter_topic"`
	LateTopic        string `json:"late_topic,omitempty"`
	RepartitionTopic string `json:"repartition_topic"`
	// Time is "payment_date" or "record": the time sales are windowed on.
	Time string `json:"time"`
	// Window settings in milliseconds, and the output mode's name.
	SizeMs  int64  `json:"size_ms"`
	SlideMs int64  `json:"slide_ms"`
	StartMs int64  `json:"start_ms"`
	DelayMs int64  `json:"delay_ms"`
	Mode    string `json:"mode"`
	// Partition is the repartition partition whose table this state
	// partition holds; Watermark that table's watermark (Unix ms,
	// math.MinInt64 for none) after the commit: in append mode the
	// summary holds exactly the windows ending at or before it.
	Partition int32 `json:"partition"`
	Watermark int64 `json:"watermark"`
}

// ParseSettings reads a settings record's value.
func ParseSettings(v []byte) (Settings, error) {
	var s Settings
	if err := json.Unmarshal(v, &s); err != nil {
		return s, fmt.Errorf("settings record: %w", err)
	}
	if s.Version != SettingsVersion {
		return s, fmt.Errorf("settings record of version %d, want %d", s.Version, SettingsVersion)
	}
	return s, nil
}

// settingsRecord returns tk's settings record.
func (e *Enricher) settingsRecord(tk *task) *kgo.Record {
	w := e.cfg.Window
	slide := w.Slide
	if slide == 0 {
		slide = w.Size
	}
	s := Settings{
		Version: SettingsVersion, RegionsHash: e.hash, Regions: e.cfg.RegionsSource, Countries: e.countries(),
		SalesTopic: e.cfg.SalesTopic, SummaryTopic: e.cfg.SummaryTopic, DeadLetterTopic: e.cfg.DeadLetterTopic,
		LateTopic: e.cfg.LateTopic, RepartitionTopic: e.cfg.RepartitionTopic, Time: e.cfg.Time.String(),
		SizeMs: w.Size.Milliseconds(), SlideMs: slide.Milliseconds(), StartMs: w.Start.Milliseconds(),
		DelayMs: w.Delay.Milliseconds(), Mode: w.Mode.String(),
		Partition: tk.partition, Watermark: tk.t.Watermark(),
	}
	v, _ := json.Marshal(s) // plain strings and integers: cannot fail
	return &kgo.Record{Topic: e.cfg.StateTopic, Partition: tk.partition, Key: []byte(SettingsKey), Value: v}
}

// RepartitionSource returns the sales topic partition and offset of the
// sale a repartition record's value carries; sale is false, with no
// error, for a watermark marker, which carries none.
func RepartitionSource(v []byte) (partition int32, offset int64, sale bool, err error) {
	if isMarker(v) || isWindowedRange(v) {
		return 0, 0, false, nil
	}
	f, err := parseRepartitionValue(v)
	return f.partition, f.offset, err == nil, err
}

func (e *Enricher) countries() int {
	if e.regions == nil {
		return 0
	}
	return e.regions.Len()
}
