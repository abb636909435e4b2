// Command enricher is the streaming job: it joins each sale with its sales
// region and aggregates sales and orders per region over sliding
// event-time windows with a watermark, writing summaries to Kafka at each
// trigger, exactly once.
//
//	enricher [--regions data/regions.csv] [--window 10m --slide 5m --watermark 10m]
//	         [--trigger 2m | --trigger 0 | --once] [--output-mode update|complete|append]
//	         [--watermark-policy max|min] [--idle-timeout 5m]
package main

import (
	"github.com/salesstream/salesstream/internal/app/enricherapp"
	"github.com/salesstream/salesstream/internal/platform/cli"
)

func main() { cli.Main("enricher", enricherapp.Declare) }
