// Package money holds exact amounts of money as integer cents.
//
// Sales amounts are never floating point: 11.99 has no exact binary
// representation, and summing floats drifts. A Cents value is the amount
// times 100, so sums are exact up to ±92 quadrillion dollars.
package money

import (
	"errors"
	"fmt"
	"strconv"
)

// Cents is an amount of money in hundredths of the currency unit.
type Cents int64

// ErrSyntax reports text that is not a decimal amount with at most two
// fraction digits.
var ErrSyntax = errors.New("not a decimal amount with at most two fraction digits")

// Parse reads a decimal amount such as "11.99", "-3.5", "7" or "+0.01".
// It rejects exponents, more than two fraction digits, and anything that
// does not fit in an int64 of cents.
func Parse(s string) (Cents, error) {
	if s == "" {
		return 0, fmt.Errorf("parse amount %q: %w", s, ErrSyntax)
	}
	neg := false
	i := 0
	switch s[0] {
	case '-':
		neg, i = true, 1
	case '+':
		i = 1
	}
	var units, frac int64
	digits, fracDigits := 0, 0
	inFrac := false
	for ; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '.' && !inFrac:
			inFrac = true
		case c >= '0' && c <= '9':
			d := int64(c - '0')
			if inFrac {
				if fracDigits == 2 {
					return 0, fmt.Errorf("parse amount %q: %w", s, ErrSyntax)
				}
				frac = frac*10 + d
				fracDigits++
			} else {
				if units > (1<<63-1-d)/1000 {
					return 0, fmt.Errorf("parse amount %q: out of range", s)
				}
				units = units*10 + d
			}
			digits++
		default:
			return 0, fmt.Errorf("parse amount %q: %w", s, ErrSyntax)
		}
	}
	if digits == 0 {
		return 0, fmt.Errorf("parse amount %q: %w", s, ErrSyntax)
	}
	if fracDigits == 1 {
		frac *= 10
	}
	v := units*100 + frac
	if neg {
		v = -v
	}
	return Cents(v), nil
}

// String formats c with exactly two fraction digits, as "11.99" or "-0.05".
func (c Cents) String() string {
	return string(c.Append(nil))
}

// Append appends the text form of c to b and returns the extended slice.
func (c Cents) Append(b []byte) []byte {
	v := int64(c)
	if v < 0 {
		b = append(b, '-')
	}
	u := uint64(v)
	if v < 0 {
		u = uint64(-v)
	}
	b = strconv.AppendUint(b, u/100, 10)
	f := u % 100
	return append(b, '.', byte('0'+f/10), byte('0'+f%10))
}
