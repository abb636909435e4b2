// Package window aggregates keyed values over sliding event-time windows
// with a watermark, giving the answers Spark Structured Streaming gives for
//
//	df.withWatermark("t", Delay).groupBy(window("t", Size, Slide, Start), key).agg(...)
//
// It is a pure library: no I/O and no clock. Times are int64 Unix
// milliseconds; the caller says when a micro-batch ends.
//
// Imported by salesstream's enricher (internal/pipeline/enricher) for its
// window tables and by its binaries for the window settings (Mode,
// Config); it depends on nothing of salesstream and may be imported by any
// Go program.
//
// # Model
//
// A Table receives events with Add (key, event time, value) and ends each
// micro-batch with Trigger, which emits result rows through a callback.
// Each row is the aggregate of one key over one window. The aggregate type
// is the caller's: New takes a function that folds one value into it (Sum
// and AddSum are the default: exact int64 total and count).
//
// # Windows
//
// Windows are aligned to the Unix epoch plus Config.Start. An event at time
// t belongs to every window [s, s+Size) with s = Start + k*Slide for an
// integer k (negative too: starts use floor division, so times before 1970
// work) and s <= t < s+Size. Slide = Size gives tumbling windows, one per
// event; a Size that is not a multiple of Slide gives some events
// ceil(Size/Slide) windows and others one fewer, exactly as Spark's window
// function does. Config.Windows lists an event's windows.
//
// # Watermark and late data
//
// The watermark is the largest event time seen minus Config.Delay. It
// moves only at Trigger, never backwards, and is math.MinInt64 until a
// Trigger follows an event. (Spark starts it at 0, the epoch; the two agree
// for every window that ends after 1970.)
//
// A query whose events are spread over several Tables (one per partition
// of a shuffle, say) has one watermark in Spark: the largest event time
// of all partitions minus the delay. TriggerAt gives a Table that event
// time, computed by the caller from all partitions, in place of the
// Table's own; every Table then closes its windows with the query's
// watermark, including one that receives no more events.
//
// In Update and Append mode, Spark applies the watermark to windows, not
// to raw event times: a value is dropped from a window whose end is at or
// before the watermark in force during the batch, and counted in every
// window of the event that ends after it. So an event older than the
// watermark may still count in its newer windows. Add reports false for an
// event dropped from all its windows (a late event, for the caller to count
// or forward); AddWindows also tells how many windows took and dropped it.
// In Complete mode nothing is late: Spark neither filters input nor drops
// state there.
//
// # Triggers and output modes
//
// Spark runs a "no-data batch" after a batch that moved the watermark,
// which drops (and in Append mode emits) the windows the new watermark
// closed. One Trigger call is the batch with data followed by that no-data
// batch, so a window comes out, or is dropped, at the Trigger that moves
// the watermark past its end. Each Trigger:
//
//   - Update: emits every row that took a value since the previous Trigger
//     (with its aggregate over all values so far), then advances the
//     watermark and drops the rows of windows ending at or before it.
//   - Complete: emits every row held, if any event was added since the
//     previous Trigger (Spark runs no batch without new data); then
//     advances the watermark. Nothing is ever dropped.
//   - Append: advances the watermark, then emits each row of a window
//     ending at or before it, with its final aggregate, and drops it. A row
//     comes out once and never changes afterwards.
//
// Spark runs the no-data batch at its next trigger if no new data is
// waiting by then; if data is waiting it runs a data batch instead, and
// since Spark 3.4 such a batch filters late rows with the previous batch's
// watermark but drops state with the new one, so its output depends on
// arrival timing. A Table always behaves as if the no-data batch ran, which
// keeps results deterministic; it reproduces the watermarking example of
// Spark's programming guide (see the tests).
//
// Rows come out ordered by window start, then key: by value for keys whose
// underlying type is a string, integer, float or bool, otherwise as set by
// OrderKeys (or by fmt's %#v text).
//
// # State, memory and checkpoints
//
// In Update and Append mode a Table holds only the rows of windows that
// end after the watermark, and forgets a key with no rows left, so memory
// is bounded by the open windows however long the stream. Complete mode
// keeps every row forever, as Spark does. In steady state Add does not
// allocate.
//
// Snapshot returns the whole state and Restore loads it into a Table with
// the same Config; taken after a Trigger, a restored Table's later output
// equals the uninterrupted one's. Changes reports the rows upserted or
// dropped since its previous call, for an incremental changelog (such as a
// compacted Kafka topic) from which Snapshot's rows can be rebuilt; Load
// rebuilds a Table from such a changelog record by record, holding only
// the rows live so far.
//
// For a micro-batch that may fail, Checkpoint marks the state to return
// to and Rollback returns to it, as Restore of a Snapshot taken at the
// Checkpoint would, at the cost of one saved row per row the batch
// changed: neither copies the table.
//
// A row costs its aggregate and 16 bytes (32 for Sum), 16 to 32 of index
// (8-byte slots, at most half full), and its key once per key; a Table
// holds at most 2^27 keys at once.
//
// A Table is not safe for concurrent use.
package window
