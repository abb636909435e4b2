// Package schematest gives the stages' tests a decoder of sales values
// that needs no registry: the enricher's and the audit's tests import it.
package schematest

import (
	"context"
	"errors"
	"fmt"

	"github.com/salesstream/salesstream/internal/domain/schema"
	"github.com/salesstream/salesstream/pkg/serde"
)

// RegistryDown is the message Decoder fails on as serde does when the
// registry cannot be reached.
const RegistryDown = "registry down"

// Decoder decodes the sales values it was given by their bytes. It fails
// on RegistryDown as serde does when the registry cannot be reached, and
// on any other message as on one that is not Avro.
type Decoder map[string]schema.SaleValue

// Decode sets v, a *schema.SaleValue, to the value msg stands for.
func (d Decoder) Decode(_ context.Context, msg []byte, _ func(string) ([]byte, bool), _ bool, v any) error {
	if string(msg) == RegistryDown {
		return fmt.Errorf("fetch schema: %w", serde.ErrRegistryUnavailable)
	}
	s, ok := d[string(msg)]
	if !ok {
		return errors.New("not framed")
	}
	*v.(*schema.SaleValue) = s
	return nil
}
