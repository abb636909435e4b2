// Command producer replays a sales CSV into Kafka as a live event stream
// of Avro sales, or generates synthetic load.
//
//	producer [--input data/sales.csv | s3://bucket/key] [--event-time now|original|shifted]
//	         [--delay 750ms | --rate 100 | --speedup 60] [--strict] [--synthetic --limit N]
package main

import (
	"github.com/salesstream/salesstream/internal/app/producerapp"
	"github.com/salesstream/salesstream/internal/platform/cli"
)

func main() { cli.Main("producer", producerapp.Declare) }
