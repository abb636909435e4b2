// Package sales is the domain of the pipeline's input: one Sale per row of
// the sales CSV, and the country-to-region table the enricher joins with.
package sales

import (
	"time"

	"github.com/salesstream/salesstream/internal/domain/money"
)

// Sale is one payment: a row of the sales CSV and the value of one event on
// the sales topic.
type Sale struct {
	PaymentID  int32
	CustomerID int32
	Amount     money.Cents
	// PaymentDate is the event time, in UTC.
	PaymentDate time.Time
	// City and District are empty when the CSV field is empty; on the wire
	// they are then Avro null.
	City     string
	District string
	Country  string
}

// Unassigned is the region of a sale whose country has no region.
const Unassigned = "Unassigned"
