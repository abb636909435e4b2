// Package app holds what the wiring of the salesstream binaries shares: the
// defaults of settings that more than one binary declares. Each binary's
// wiring (its settings, and the clients, serdes and topics it builds around
// a stage of internal/pipeline) lives in a package of its own below it:
// enricherapp, producerapp, readerapp, schemasapp. cmd/* call them.
package app

// DefaultPartitions is the partition count of the topics the producer and
// the enricher create when --partitions is not given.
const DefaultPartitions = 3

// The input files the producer, the enricher and the demo read unless told
// otherwise, relative to the repository's root.
const (
	DefaultSalesCSV   = "data/sales.csv"
	DefaultRegionsCSV = "data/regions.csv"
)
