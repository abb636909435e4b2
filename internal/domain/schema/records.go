package schema

import (
	"errors"
	"fmt"
	"time"

	"github.com/salesstream/salesstream/internal/domain/money"
	"github.com/salesstream/salesstream/internal/domain/sales"
)

// SaleKey is the key of a message on SalesTopic.
type SaleKey struct {
	CustomerID int32 `avro:"customer_id"`
}

// SaleValue is the value of a message on SalesTopic, as Avro sees it.
type SaleValue struct {
	PaymentID  int32 `avro:"payment_id"`
	CustomerID int32 `avro:"customer_id"`
	// Amount is the decimal's unscaled value (cents), two's complement,
	// big-endian.
	Amount      []byte  `avro:"amount"`
	PaymentDate int64   `avro:"payment_date"`
	City        *string `avro:"city"`
	District    *string `avro:"district"`
	// Country is nil when the sale has none (it counts under the region
	// Unassigned).
	Country *string `avro:"country"`
}

// SummaryKey is the key of a message on SummaryTopic.
type SummaryKey struct {
	Region      string `avro:"region"`
	WindowStart int64  `avro:"window_start"`
}

// SummaryValue is the value of a message on SummaryTopic, as Avro sees it.
type SummaryValue struct {
	Region string `avro:"region"`
	// Sales is the decimal's unscaled value (cents), two's complement,
	// big-endian.
	Sales       []byte `avro:"sales"`
	Orders      int64  `avro:"orders"`
	WindowStart int64  `avro:"window_start"`
	WindowEnd   int64  `avro:"window_end"`
}

// Sane event times in Unix milliseconds: a payment_date outside
// [MinEventMillis, MaxEventMillis), 1970-01-01 to 2200-01-01 UTC, is a defect
// of its producer, not a sale.
const (
	MinEventMillis int64 = 0
	MaxEventMillis int64 = 7258118400000
)

// Errors of SaleValue.Sale, for dead-letter reasons.
var (
	ErrMissingField = errors.New("missing required field")
	ErrBadDecimal   = errors.New("decimal out of range")
	ErrBadEventTime = errors.New("payment_date out of range")
)

// NewSaleValue returns the Avro record of s. It reuses buf for the amount.
func NewSaleValue(s sales.Sale, buf []byte) SaleValue { return SaleValueOf(&s, buf) }

// SaleValueOf is NewSaleValue with the optional strings pointing into *s
// rather than into a copy of it, which saves an allocation a sale; the
// value must not be used after *s changes.
func SaleValueOf(s *sales.Sale, buf []byte) SaleValue {
	v := SaleValue{
		PaymentID:   s.PaymentID,
		CustomerID:  s.CustomerID,
		Amount:      AppendDecimal(buf[:0], s.Amount),
		PaymentDate: s.PaymentDate.UnixMilli(),
	}
	if s.Country != "" {
		v.Country = &s.Country
	}
	if s.City != "" {
		v.City = &s.City
	}
	if s.District != "" {
		v.District = &s.District
	}
	return v
}

// Sale returns the sale v holds, checking what Avro cannot: the amount is
// present (a decimal has at least one byte; a value written with a schema
// that lacks it has none) and fits in cents, and the event time is sane. A
// missing country is a sale without one.
func (v *SaleValue) Sale() (sales.Sale, error) {
	if len(v.Amount) == 0 {
		return sales.Sale{}, fmt.Errorf("amount: %w", ErrMissingField)
	}
	amt, err := Decimal(v.Amount)
	if err != nil {
		return sales.Sale{}, fmt.Errorf("amount: %w", err)
	}
	if v.PaymentDate < MinEventMillis || v.PaymentDate >= MaxEventMillis {
		return sales.Sale{}, fmt.Errorf("%w: %d ms is %s", ErrBadEventTime, v.PaymentDate,
			time.UnixMilli(v.PaymentDate).UTC().Format(time.RFC3339))
	}
	t := time.UnixMilli(v.PaymentDate).UTC()
	s := sales.Sale{
		PaymentID:   v.PaymentID,
		CustomerID:  v.CustomerID,
		Amount:      amt,
		PaymentDate: t,
	}
	if v.Country != nil {
		s.Country = *v.Country
	}
	if v.City != nil {
		s.City = *v.City
	}
	if v.District != nil {
		s.District = *v.District
	}
	return s, nil
}

// AppendDecimal appends the unscaled value c as the shortest two's
// complement big-endian bytes, as Avro's decimal logical type stores it.
func AppendDecimal(dst []byte, c money.Cents) []byte {
	v := int64(c)
	n := 8
	for n > 1 {
		// Drop a leading byte while the next byte's sign bit repeats it.
		top := byte(v >> (8 * (n - 1)))
		next := byte(v >> (8 * (n - 2)))
		if (top == 0 && next&0x80 == 0) || (top == 0xff && next&0x80 != 0) {
			n--
			continue
		}
		break
	}
	for i := n - 1; i >= 0; i-- {
		dst = append(dst, byte(v>>(8*i)))
	}
	return dst
}

// Decimal reads an Avro decimal's unscaled two's complement big-endian
// bytes as cents. More than eight significant bytes is ErrBadDecimal.
func Decimal(b []byte) (money.Cents, error) {
	if len(b) == 0 {
		return 0, nil
	}
	// Skip redundant sign-extension bytes of over-long encodings.
	for len(b) > 8 && (b[0] == 0 && b[1]&0x80 == 0 || b[0] == 0xff && b[1]&0x80 != 0) {
		b = b[1:]
	}
	if len(b) > 8 {
		return 0, fmt.Errorf("%w: %d bytes", ErrBadDecimal, len(b))
	}
	var v int64
	if b[0]&0x80 != 0 {
		v = -1
	}
	for _, c := range b {
		v = v<<8 | int64(c)
	}
	return money.Cents(v), nil
}
