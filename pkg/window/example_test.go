package window_test

import (
	"fmt"
	"time"

	"github.com/salesstream/salesstream/pkg/window"
)

// at returns 2021-05-10 hh:mm UTC in Unix milliseconds.
func at(hh, mm int) int64 { return time.Date(2021, 5, 10, hh, mm, 0, 0, time.UTC).UnixMilli() }

func clock(ms int64) string { return time.UnixMilli(ms).UTC().Format("15:04") }

func show(r window.Row[string, window.Sum]) {
	fmt.Printf("%s-%s %-8s %6d cents in %d orders\n", clock(r.Start), clock(r.End), r.Key, r.Agg.Total, r.Agg.Count)
}

// Sales per region over 10-minute windows sliding every 5 minutes, with a
// 10-minute watermark, in update mode: each trigger emits the rows that
// changed.
func ExampleTable() {
	sales, err := window.New[string](window.Config{
		Size:  10 * time.Minute,
		Slide: 5 * time.Minute,
		Delay: 10 * time.Minute,
		Mode:  window.Update,
	}, window.AddSum)
	if err != nil {
		panic(err)
	}
	sales.Add("Europe", at(13, 4), 1199)
	sales.Add("Asia", at(13, 6), 299)
	sales.Trigger(show) // then the watermark becomes 13:06 - 10m
	fmt.Println("watermark", clock(sales.Watermark()))

	sales.Add("Europe", at(13, 22), 499)
	sales.Add("Asia", at(13, 7), 100) // out of order, but after the watermark
	sales.Trigger(show)               // then the watermark becomes 13:12 and windows ending by then are dropped
	fmt.Println("watermark", clock(sales.Watermark()), "rows held", sales.Len())

	fmt.Println(sales.Add("Asia", at(13, 2), 100))  // late: both its windows have closed
	fmt.Println(sales.Add("Asia", at(13, 11), 100)) // older than the watermark, yet both its windows end after it
	// Output:
	// 12:55-13:05 Europe     1199 cents in 1 orders
	// 13:00-13:10 Asia        299 cents in 1 orders
	// 13:00-13:10 Europe     1199 cents in 1 orders
	// 13:05-13:15 Asia        299 cents in 1 orders
	// watermark 12:56
	// 13:00-13:10 Asia        399 cents in 2 orders
	// 13:05-13:15 Asia        399 cents in 2 orders
	// 13:15-13:25 Europe      499 cents in 1 orders
	// 13:20-13:30 Europe      499 cents in 1 orders
	// watermark 13:12 rows held 3
	// false
	// true
}

// In append mode a row comes out once, with its final value, at the
// trigger whose watermark passes the end of its window.
func ExampleTable_append() {
	sales, _ := window.New[string](window.Config{Size: 10 * time.Minute, Delay: 5 * time.Minute, Mode: window.Append}, window.AddSum)
	sales.Add("Europe", at(13, 4), 1199)
	sales.Add("Europe", at(13, 9), 1)
	sales.Trigger(show) // watermark 13:04: nothing is final yet
	fmt.Println("--")
	sales.Add("Asia", at(13, 16), 299) // watermark becomes 13:11, closing 13:00-13:10
	sales.Trigger(show)
	// Output:
	// --
	// 13:00-13:10 Europe     1200 cents in 2 orders
}

// Config.Windows lists the windows an event falls in.
func ExampleConfig_Windows() {
	cfg := window.Config{Size: 10 * time.Minute, Slide: 5 * time.Minute}
	for start, end := range cfg.Windows(at(12, 7)) {
		fmt.Println(clock(start), clock(end))
	}
	// Output:
	// 12:00 12:10
	// 12:05 12:15
}

// A checkpoint: Snapshot after a trigger, Restore into a new table, and
// carry on as if nothing happened.
func ExampleTable_Snapshot() {
	cfg := window.Config{Size: 10 * time.Minute, Delay: 10 * time.Minute, Mode: window.Update}
	before, _ := window.New[string](cfg, window.AddSum)
	before.Add("Europe", at(13, 4), 1199)
	before.Trigger(nil)
	state := before.Snapshot()

	after, _ := window.New[string](cfg, window.AddSum)
	if err := after.Restore(state); err != nil {
		panic(err)
	}
	after.Add("Europe", at(13, 5), 1)
	after.Trigger(show)
	// Output:
	// 13:00-13:10 Europe     1200 cents in 2 orders
}

// Changes feeds an incremental changelog: upserts, and drops once the
// watermark closes a window.
func ExampleTable_Changes() {
	t, _ := window.New[string](window.Config{Size: 10 * time.Minute, Mode: window.Update}, window.AddSum)
	logChanges := func(r window.Row[string, window.Sum], deleted bool) {
		if deleted {
			fmt.Println("delete", clock(r.Start), r.Key)
			return
		}
		fmt.Println("upsert", clock(r.Start), r.Key, r.Agg.Total)
	}
	t.Add("Europe", at(13, 4), 1199)
	t.Trigger(nil)
	t.Changes(logChanges)
	t.Add("Asia", at(13, 12), 299) // watermark 13:12 closes 13:00-13:10
	t.Trigger(nil)
	t.Changes(logChanges)
	// Output:
	// upsert 13:00 Europe 1199
	// delete 13:00 Europe
	// upsert 13:10 Asia 299
}

func ExampleParseMode() {
	m, err := window.ParseMode("append")
	fmt.Println(m, err)
	_, err = window.ParseMode("upsert")
	fmt.Println(err)
	// Output:
	// append <nil>
	// unknown output mode "upsert": use update, complete or append
}

// A query spread over two tables, one per partition, has one watermark:
// each Trigger is given the largest event time of both, so the quiet
// table closes its windows too. Alone, it would wait for its own events.
func ExampleTable_TriggerAt() {
	cfg := window.Config{Size: 10 * time.Minute, Delay: 10 * time.Minute, Mode: window.Append}
	europe, _ := window.New[string](cfg, window.AddSum)
	asia, _ := window.New[string](cfg, window.AddSum)
	europe.Add("Europe", at(13, 4), 1199)
	asia.Add("Asia", at(13, 6), 299)
	query := max(europe.MaxEventTime(), asia.MaxEventTime())
	europe.TriggerAt(query, show)
	asia.TriggerAt(query, show)

	europe.Add("Europe", at(13, 31), 499) // only Europe takes events now
	query = max(query, europe.MaxEventTime())
	europe.TriggerAt(query, show)
	asia.TriggerAt(query, show) // Asia's window closes all the same
	fmt.Println("watermarks", clock(europe.Watermark()), clock(asia.Watermark()))
	// Output:
	// 13:00-13:10 Europe     1199 cents in 1 orders
	// 13:00-13:10 Asia        299 cents in 1 orders
	// watermarks 13:21 13:21
}
