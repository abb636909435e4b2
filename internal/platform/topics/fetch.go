package topics

import "github.com/twmb/franz-go/pkg/kgo"

// maxBatchBytes bounds one record batch as a broker does by default
// (message.max.bytes, 1 MiB, and the batch's header): a fetch returns a
// partition's first batch whole, even past the partition's bound.
const maxBatchBytes = 1<<20 + 64<<10

// minPartitionFetch is the least CommittedFetch gives a partition.
const minPartitionFetch = 64 << 10

// CommittedFetch returns the fetch bounds of a read_committed consumer of
// at most partitions partitions that should fetch about total bytes at a
// time: each partition may bring its share of total (at least 64 KiB),
// and the request may bring more than all the partitions together can
// (their shares and one whole batch). A broker then never cuts a fetch at
// the request's bound in the middle of a partition. The embedded stack's
// broker (kfake) answers such a cut partition without the list of its
// aborted transactions, and the client then hands out the records of
// aborted transactions as if committed: a reader of a transactional topic
// would count them.
func CommittedFetch(total int32, partitions int) []kgo.Opt {
	n := int32(max(partitions, 1))
	per := max(total/n, minPartitionFetch)
	return []kgo.Opt{kgo.FetchMaxPartitionBytes(per), kgo.FetchMaxBytes(per*n + maxBatchBytes)}
}
