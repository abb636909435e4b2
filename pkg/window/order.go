package window

import (
	"cmp"
	"fmt"
	"reflect"
	"strings"
	"unsafe"
)

// Option adjusts a Table made by New.
type Option[K comparable] func(*options[K])

type options[K comparable] struct {
	compare func(a, b K) int
}

// OrderKeys sets the order of keys among rows of the same window start in
// everything a Table emits. compare returns a negative number, zero or a
// positive number as a sorts before, with or after b (like strings.Compare);
// it must be a total order in which only equal keys compare as zero.
func OrderKeys[K comparable](compare func(a, b K) int) Option[K] {
	return func(o *options[K]) { o.compare = compare }
}

// defaultCompare orders keys whose underlying type is a string, integer,
// float or bool by value, and any other key by its Go syntax
// representation (fmt's %#v), which is deterministic for structs and arrays
// of such values but not for pointers, channels or interfaces holding them.
func defaultCompare[K comparable]() func(a, b K) int {
	switch reflect.TypeFor[K]().Kind() {
	case reflect.String:
		return func(a, b K) int { return strings.Compare(as[string](&a), as[string](&b)) }
	case reflect.Int:
		return func(a, b K) int { return cmp.Compare(as[int](&a), as[int](&b)) }
	case reflect.Int8:
		return func(a, b K) int { return cmp.Compare(as[int8](&a), as[int8](&b)) }
	case reflect.Int16:
		return func(a, b K) int { return cmp.Compare(as[int16](&a), as[int16](&b)) }
	case reflect.Int32:
		return func(a, b K) int { return cmp.Compare(as[int32](&a), as[int32](&b)) }
	case reflect.Int64:
		return func(a, b K) int { return cmp.Compare(as[int64](&a), as[int64](&b)) }
	case reflect.Uint:
		return func(a, b K) int { return cmp.Compare(as[uint](&a), as[uint](&b)) }
	case reflect.Uint8:
		return func(a, b K) int { return cmp.Compare(as[uint8](&a), as[uint8](&b)) }
	case reflect.Uint16:
		return func(a, b K) int { return cmp.Compare(as[uint16](&a), as[uint16](&b)) }
	case reflect.Uint32:
		return func(a, b K) int { return cmp.Compare(as[uint32](&a), as[uint32](&b)) }
	case reflect.Uint64:
		return func(a, b K) int { return cmp.Compare(as[uint64](&a), as[uint64](&b)) }
	case reflect.Uintptr:
		return func(a, b K) int { return cmp.Compare(as[uintptr](&a), as[uintptr](&b)) }
	case reflect.Float32:
		return func(a, b K) int { return cmp.Compare(as[float32](&a), as[float32](&b)) }
	case reflect.Float64:
		return func(a, b K) int { return cmp.Compare(as[float64](&a), as[float64](&b)) }
	case reflect.Bool:
		return func(a, b K) int { return cmpBool(as[bool](&a), as[bool](&b)) }
	}
	return func(a, b K) int { return strings.Compare(fmt.Sprintf("%#v", a), fmt.Sprintf("%#v", b)) }
}

// as reads a key as the predeclared type T that is its underlying type.
// defaultCompare calls it only after checking the key's kind, so the two
// types have the same memory layout.
func as[T, K any](k *K) T { return *(*T)(unsafe.Pointer(k)) }

func cmpBool(a, b bool) int {
	switch {
	case a == b:
		return 0
	case !a:
		return -1
	}
	return 1
}
