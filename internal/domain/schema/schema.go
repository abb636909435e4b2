// Package schema holds the pipeline's Avro schemas, the topic names that
// carry them, and the Go records that encode and decode them.
//
// Artifact ids follow the TopicIdStrategy: the key schema of topic T is the
// artifact "T-key", its value schema "T-value". The two CSV schemas describe
// the input files, so the producer can check a file's header before it sends
// anything. Money is an Avro decimal (bytes, scale 2) whose unscaled value
// is the amount in cents; times are timestamp-millis longs.
package schema

import (
	"embed"
	"fmt"
	"strings"

	"github.com/hamba/avro/v2"
)

// Topics and artifact ids.
const (
	// SalesTopic carries one Sale per payment, keyed by SaleKey.
	SalesTopic = "pagila.sales.avro"
	// SummaryTopic carries one Summary per (region, window), keyed by
	// SummaryKey; it is compacted and reads as a table.
	SummaryTopic = "pagila.sales.summary.avro"
	// DeadLetterTopic receives the sales messages the enricher cannot read.
	DeadLetterTopic = SalesTopic + ".dlq"
	// LateTopic is where the demo keeps late sales (the enricher's
	// --late-topic), each with the watermark that refused it.
	LateTopic = SalesTopic + ".late"

	// SalesCSV is the artifact describing a row of the sales CSV.
	SalesCSV = "pagila.sales.csv"
	// RegionsCSV is the artifact describing a row of the regions CSV.
	RegionsCSV = "pagila.sales.regions.csv"
)

// KeyArtifact returns the artifact id of topic's key schema.
func KeyArtifact(topic string) string { return topic + "-key" }

// ValueArtifact returns the artifact id of topic's value schema.
func ValueArtifact(topic string) string { return topic + "-value" }

//go:embed avsc/*.avsc
var files embed.FS

// Artifact is one schema to register.
type Artifact struct {
	// ID is the artifact id in the registry.
	ID string
	// Content is the Avro schema, as JSON text.
	Content string
}

// ArtifactIDs lists the six artifacts in registration order.
func ArtifactIDs() []string {
	return []string{
		SalesCSV,
		RegionsCSV,
		KeyArtifact(SalesTopic),
		ValueArtifact(SalesTopic),
		KeyArtifact(SummaryTopic),
		ValueArtifact(SummaryTopic),
	}
}

// Artifacts returns the six artifacts with their content, in registration
// order.
func Artifacts() []Artifact {
	ids := ArtifactIDs()
	out := make([]Artifact, len(ids))
	for i, id := range ids {
		c, err := Content(id)
		if err != nil {
			panic(err) // the files are embedded: a missing one is a build defect
		}
		out[i] = Artifact{ID: id, Content: c}
	}
	return out
}

// ArtifactsFor returns the six artifacts as Artifacts does, with the key
// and value schemas of the sales and summary topics registered under the
// artifact ids of salesTopic and summaryTopic (TopicIdStrategy), for a
// pipeline that uses other topic names.
func ArtifactsFor(salesTopic, summaryTopic string) []Artifact {
	ids := map[string]string{
		KeyArtifact(SalesTopic):     KeyArtifact(salesTopic),
		ValueArtifact(SalesTopic):   ValueArtifact(salesTopic),
		KeyArtifact(SummaryTopic):   KeyArtifact(summaryTopic),
		ValueArtifact(SummaryTopic): ValueArtifact(summaryTopic),
	}
	out := Artifacts()
	for i, a := range out {
		if id, ok := ids[a.ID]; ok {
			out[i].ID = id
		}
	}
	return out
}

// Content returns the schema text of artifact id.
func Content(id string) (string, error) {
	b, err := files.ReadFile("avsc/" + id + ".avsc")
	if err != nil {
		return "", fmt.Errorf("no schema for artifact %q: %w", id, err)
	}
	return string(b), nil
}

// Parse returns the parsed schema of artifact id.
func Parse(id string) (avro.Schema, error) {
	c, err := Content(id)
	if err != nil {
		return nil, err
	}
	s, err := avro.Parse(c)
	if err != nil {
		return nil, fmt.Errorf("parse schema %s: %w", id, err)
	}
	return s, nil
}

// FieldNames returns the names of a record schema's fields, in order: for a
// CSV artifact, the file's expected header.
func FieldNames(s avro.Schema) ([]string, error) {
	rec, ok := s.(*avro.RecordSchema)
	if !ok {
		return nil, fmt.Errorf("schema %s is a %s, not a record", s.Type(), strings.ToLower(string(s.Type())))
	}
	names := make([]string, len(rec.Fields()))
	for i, f := range rec.Fields() {
		names[i] = f.Name()
	}
	return names, nil
}

// ParseContent parses schema text fetched from a registry.
func ParseContent(content string) (avro.Schema, error) {
	s, err := avro.Parse(content)
	if err != nil {
		return nil, fmt.Errorf("parse Avro schema: %w", err)
	}
	return s, nil
}
