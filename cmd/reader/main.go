// Command reader batch-reads the summary topic from its start to its
// current end and prints the latest row of every (region, window), latest
// windows first, then by sales; with --follow it then keeps printing rows
// as they are committed, like a console sink. Times are UTC.
//
//	reader [--format table|json|csv] [--limit 100] [--follow] [--region R] [--since T] [--until T]
package main

import (
	"github.com/salesstream/salesstream/internal/app/readerapp"
	"github.com/salesstream/salesstream/internal/platform/cli"
)

func main() { cli.Main("reader", readerapp.Declare) }
