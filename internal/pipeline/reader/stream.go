package reader

import (
	"context"

	"github.com/twmb/franz-go/pkg/kgo"
)

// streamChunk is the most changes streamTable hands over at once.
const streamChunk = 1000

// streamTable reads topic with cl up to its current end, as readTable
// does, but hands the records to committed as they are read, at most
// streamChunk at a time, instead of gathering the table: it holds no more
// than a chunk. It returns the counts and errors (no Rows), the error of
// committed, if any, which ends the read, and the error of the read.
func streamTable(ctx context.Context, cl *kgo.Client, dec Decoder, topic string, committed func([]Change) error) (res Result, failed, err error) {
	ends, err := tableEnds(ctx, cl, topic)
	if err != nil {
		return Result{}, nil, err
	}
	var changes []Change
	flush := func() error {
		if len(changes) == 0 {
			return nil
		}
		failed = committed(changes)
		changes = changes[:0]
		return failed
	}
	err = ends.Consume(ctx, cl, func(r *kgo.Record) error {
		res.Records++
		row, deleted, err := decodeRow(ctx, dec, r)
		if err != nil {
			res.undecodable(err)
			return nil
		}
		changes = append(changes, Change{Row: row, Deleted: deleted})
		if len(changes) < streamChunk {
			return nil
		}
		return flush()
	})
	if failed != nil {
		return res, failed, nil
	}
	// What was read is handed over even if the read failed.
	if failed = flush(); failed != nil || err != nil {
		return res, failed, err
	}
	return res, nil, nil
}
