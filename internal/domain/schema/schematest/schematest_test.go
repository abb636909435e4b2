package schematest

import (
	"context"
	"errors"
	"testing"

	"github.com/salesstream/salesstream/internal/domain/schema"
	"github.com/salesstream/salesstream/pkg/serde"
)

// TestDecoder: a known message decodes to its value; RegistryDown fails
// as an unreachable registry; anything else fails, not as the registry.
func TestDecoder(t *testing.T) {
	d := Decoder{"a": {PaymentID: 7}}
	var v schema.SaleValue
	if err := d.Decode(context.Background(), []byte("a"), nil, false, &v); err != nil || v.PaymentID != 7 {
		t.Fatalf("Decode(a) = %+v, %v; want payment 7", v, err)
	}
	if err := d.Decode(context.Background(), []byte(RegistryDown), nil, false, &v); !errors.Is(err, serde.ErrRegistryUnavailable) {
		t.Fatalf("Decode(%q) = %v, want serde.ErrRegistryUnavailable", RegistryDown, err)
	}
	if err := d.Decode(context.Background(), []byte("b"), nil, false, &v); err == nil || errors.Is(err, serde.ErrRegistryUnavailable) {
		t.Fatalf("Decode(b) = %v, want a decode error", err)
	}
}
