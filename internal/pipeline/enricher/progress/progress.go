// Package progress reports a streaming query's micro-batches the way Spark
// reports them in StreamingQueryProgress: for each committed batch its id,
// trigger time, input rows and rates, the durations of its phases, its
// event times and watermark, the state it holds, the offsets it read per
// source partition with the lag behind each partition's end, and the rows
// it wrote.
//
// A Tracker keeps the last N batches in a bounded ring, logs one
// structured line per batch (and an idle line at most once a minute while
// no batch commits), tracks whether the brokers answer, and serves the
// ring as JSON at /progress. It never blocks on the brokers: what it serves
// is what the last batches reported.
package progress

import (
	"log/slog"
	"strconv"
	"time"
)

// Progress is one committed micro-batch. Times are UTC; a zero time means
// "none yet" and is omitted from JSON.
type Progress struct {
	// BatchID counts this process's committed batches, from 1.
	BatchID int64 `json:"batchId"`
	// Timestamp is the trigger time: when the batch began reading.
	Timestamp time.Time `json:"timestamp"`
	// NumInputRows counts the sales records the batch read (stage 1);
	// each source also has its own count.
	NumInputRows int64 `json:"numInputRows"`
	// InputRowsPerSecond is NumInputRows over the time since the
	// previous batch's trigger (this batch's whole span for the first).
	InputRowsPerSecond float64 `json:"inputRowsPerSecond"`
	// ProcessedRowsPerSecond is NumInputRows over the time the batch
	// spent processing and committing.
	ProcessedRowsPerSecond float64   `json:"processedRowsPerSecond"`
	DurationMs             Durations `json:"durationMs"`
	EventTime              EventTime `json:"eventTime"`
	State                  State     `json:"stateOperators"`
	Sources                []Source  `json:"sources"`
	Sink                   Sink      `json:"sink"`
}

// Durations are a batch's phases in milliseconds.
type Durations struct {
	// Fetch is the time spent polling the brokers, including waiting
	// for records until the trigger.
	Fetch int64 `json:"fetch"`
	// Process is the time spent decoding, joining and windowing the
	// records polled, and emitting the batch's rows.
	Process int64 `json:"process"`
	// Commit is the time the transaction took to write and commit.
	Commit int64 `json:"commit"`
	// Total is the time from the trigger to the end of the commit.
	Total int64 `json:"total"`
}

// EventTime is a batch's event times.
type EventTime struct {
	// Watermark is the lowest watermark among the instance's window
	// tables after the batch.
	Watermark time.Time `json:"watermark,omitzero"`
	// Max is the largest event time the tables have seen.
	Max time.Time `json:"max,omitzero"`
	// BatchMin and BatchMax bound the event times windowed in this batch.
	BatchMin time.Time `json:"batchMin,omitzero"`
	BatchMax time.Time `json:"batchMax,omitzero"`
}

// State is the window state after a batch.
type State struct {
	// NumRowsTotal counts the (region, window) rows held.
	NumRowsTotal int64 `json:"numRowsTotal"`
	// NumRowsUpdated counts rows this batch changed; NumRowsRemoved
	// those the watermark closed and dropped.
	NumRowsUpdated int64 `json:"numRowsUpdated"`
	NumRowsRemoved int64 `json:"numRowsRemoved"`
	// NumRowsDroppedByWatermark counts the (event, window) pairs refused
	// because the watermark had closed the window; NumLateEvents the
	// events with at least one such window.
	NumRowsDroppedByWatermark int64 `json:"numRowsDroppedByWatermark"`
	NumLateEvents             int64 `json:"numLateEvents"`
	// LateByReason splits NumLateEvents: "all_windows_closed" (the event
	// counts nowhere) and "some_windows_closed" (it counts in its open
	// windows).
	LateByReason map[string]int64 `json:"lateByReason,omitempty"`
	// MemoryUsedBytes estimates the memory of the tables and their
	// rollback copies.
	MemoryUsedBytes int64 `json:"memoryUsedBytes"`
}

// Source is what a batch read from one topic partition.
type Source struct {
	Topic     string `json:"topic"`
	Partition int32  `json:"partition"`
	// StartOffset is the first offset read; EndOffset the offset after
	// the last one read, which the batch commits.
	StartOffset int64 `json:"startOffset"`
	EndOffset   int64 `json:"endOffset"`
	// LatestOffset is the partition's last stable offset as the last
	// fetch saw it; Lag is LatestOffset - EndOffset.
	LatestOffset int64 `json:"latestOffset"`
	Lag          int64 `json:"lag"`
	// NumInputRows counts the records read, transaction markers
	// included.
	NumInputRows int64 `json:"numInputRows"`
}

// Sink is what a batch wrote.
type Sink struct {
	Topic string `json:"topic"`
	// NumOutputRows counts the summary rows written.
	NumOutputRows int64 `json:"numOutputRows"`
	// Forwarded counts sales sent to the repartition topic, DeadLetters
	// and LateRecords the records sent to the dead-letter and late
	// topics.
	Forwarded     int64            `json:"forwarded"`
	DeadLetters   int64            `json:"deadLetters"`
	DeadByReason  map[string]int64 `json:"deadLettersByReason,omitempty"`
	LateRecords   int64            `json:"lateRecords"`
	WindowedInput int64            `json:"windowedRows"`
}

// LogValue logs p as groups of attributes, times in RFC 3339.
func (p *Progress) LogValue() slog.Value {
	srcs := make([]any, 0, len(p.Sources))
	for _, s := range p.Sources {
		srcs = append(srcs, slog.Group(s.Topic+"/"+strconv.FormatInt(int64(s.Partition), 10),
			"start", s.StartOffset, "end", s.EndOffset, "lag", s.Lag))
	}
	return slog.GroupValue(
		slog.Int64("batch", p.BatchID),
		slog.String("trigger", rfc3339(p.Timestamp)),
		slog.Int64("input_rows", p.NumInputRows),
		slog.Float64("input_rows_per_sec", round2(p.InputRowsPerSecond)),
		slog.Float64("processed_rows_per_sec", round2(p.ProcessedRowsPerSecond)),
		slog.Group("duration_ms", "fetch", p.DurationMs.Fetch, "process", p.DurationMs.Process,
			"commit", p.DurationMs.Commit, "total", p.DurationMs.Total),
		slog.Group("event_time", "watermark", rfc3339(p.EventTime.Watermark), "max", rfc3339(p.EventTime.Max),
			"batch_min", rfc3339(p.EventTime.BatchMin), "batch_max", rfc3339(p.EventTime.BatchMax)),
		slog.Group("state", "rows", p.State.NumRowsTotal, "updated", p.State.NumRowsUpdated,
			"removed", p.State.NumRowsRemoved, "dropped_by_watermark", p.State.NumRowsDroppedByWatermark,
			"late_events", p.State.NumLateEvents, "memory_bytes", p.State.MemoryUsedBytes),
		slog.Group("sources", srcs...),
		slog.Group("sink", "topic", p.Sink.Topic, "rows", p.Sink.NumOutputRows, "forwarded", p.Sink.Forwarded,
			"dead_letters", p.Sink.DeadLetters, "late_records", p.Sink.LateRecords),
	)
}

// rfc3339 formats t in UTC, or "none" for the zero time.
func rfc3339(t time.Time) string {
	if t.IsZero() {
		return "none"
	}
	return t.UTC().Format(time.RFC3339Nano)
}

func round2(f float64) float64 { return float64(int64(f*100+0.5)) / 100 }
