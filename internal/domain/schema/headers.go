package schema

// Kafka record headers salesstream sets, beside the Avro key and value.
// They are part of the topics' format: a consumer of a dead-letter, reject
// or late topic reads them.
const (
	// HeaderError is why a record was dead-lettered, rejected or found
	// late.
	HeaderError = "salesstream.error"
	// HeaderField names the CSV field of a rejected row that did not
	// parse.
	HeaderField = "salesstream.field"

	// HeaderSource and HeaderLine tie a sale to the CSV row it was read
	// from: the input's name and the line number (the header is line 1).
	// A resumed producer reads them back to know what was delivered.
	HeaderSource = "salesstream.source"
	HeaderLine   = "salesstream.line"

	// HeaderSourceTopic, HeaderSourcePartition and HeaderSourceOffset are
	// where a dead-lettered or late record was read.
	HeaderSourceTopic     = "salesstream.source.topic"
	HeaderSourcePartition = "salesstream.source.partition"
	HeaderSourceOffset    = "salesstream.source.offset"

	// HeaderWatermark is the watermark in force when a late record was
	// found, in Unix milliseconds: the event was dropped from exactly its
	// windows ending at or before it (reader --audit relies on this).
	HeaderWatermark = "salesstream.watermark"
	// HeaderLateWindows counts the windows of a late event that had
	// closed; it still counts in its other windows.
	HeaderLateWindows = "salesstream.late.windows"
)
