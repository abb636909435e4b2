package devstack

import (
	"slices"
	"testing"

	"github.com/salesstream/salesstream/internal/domain/schema"
	"github.com/salesstream/salesstream/internal/pipeline/registrar"
	"github.com/salesstream/salesstream/pkg/registry"
)

// TestStartPipeline: the stack holds the pipeline's artifacts, reported
// by the registration, and its serde encodes a sale key that it decodes
// again through the registry; a stack that cannot start is an error.
func TestStartPipeline(t *testing.T) {
	ctx := testContext(t)
	p, err := StartPipeline(ctx, Config{KafkaAddr: "127.0.0.1:0", RegistryAddr: "127.0.0.1:0", Logger: quiet}, registrar.Rules{}, registry.WithLogger(quiet))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	metas, err := p.Registry.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, m := range metas {
		got = append(got, m.ArtifactID)
	}
	want := slices.Clone(schema.ArtifactIDs())
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("artifacts %v, want %v", got, want)
	}
	if len(p.Registered) != len(want) {
		t.Errorf("the registration reported %d results, want one for each of the %d artifacts", len(p.Registered), len(want))
	}
	enc, err := p.Serde.Encoder(ctx, schema.KeyArtifact(schema.SalesTopic))
	if err != nil {
		t.Fatal(err)
	}
	msg, err := enc.Append(nil, &schema.SaleKey{CustomerID: 42})
	if err != nil {
		t.Fatal(err)
	}
	var k schema.SaleKey
	if err := p.Serde.Decode(ctx, msg, nil, true, &k); err != nil || k.CustomerID != 42 {
		t.Fatalf("decoded %+v, %v; want customer 42", k, err)
	}

	if _, err := StartPipeline(ctx, Config{KafkaAddr: "127.0.0.1:x", Logger: quiet}, registrar.Rules{}); err == nil {
		t.Fatal("StartPipeline with a bad Kafka port: want an error")
	}
}
