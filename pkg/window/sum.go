package window

// Sum is the default aggregate: the exact sum of int64 values (for example
// cents) and how many values were added.
type Sum struct {
	Total int64
	Count int64
}

// AddSum folds v into a. It is the add function for a Table of Sum.
func AddSum(a *Sum, v int64) {
	a.Total += v
	a.Count++
}
