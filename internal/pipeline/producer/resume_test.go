package producer

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/salesstream/salesstream/internal/platform/kafkatest"
)

// TestScan checks the read back of a range of a partition: the last line
// of the source in the range, and a range that retention deleted under
// the read, which ends instead of waiting for offsets that never come.
func TestScan(t *testing.T) {
	for _, tc := range []struct {
		name      string
		deleteTo  int64 // records below it are deleted before the scan
		lo, hi    int64
		wantLine  int
		wantFound bool
	}{
		{"whole range", 0, 0, 10, 10, true},
		{"part of it", 0, 2, 6, 6, true},
		{"other source only", 0, 10, 12, 0, false},
		{"deleted under the read", 8, 0, 5, 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			brokers := newCluster(t, salesTopic)
			cl := kafkatest.Client(t, brokers, kgo.RecordPartitioner(kgo.ManualPartitioner()), kgo.KeepControlRecords())
			for i := 1; i <= 12; i++ {
				src := "a.csv"
				if i > 10 {
					src = "b.csv"
				}
				r := &kgo.Record{Topic: salesTopic, Partition: 0, Value: []byte("sale"), Headers: []kgo.RecordHeader{
					{Key: HeaderSource, Value: []byte(src)}, {Key: HeaderLine, Value: []byte(strconv.Itoa(i))},
				}}
				if err := cl.ProduceSync(ctx, r).FirstErr(); err != nil {
					t.Fatal(err)
				}
			}
			if tc.deleteTo > 0 {
				adm := kadm.NewClient(cl)
				os := kadm.Offsets{}
				os.Add(kadm.Offset{Topic: salesTopic, Partition: 0, At: tc.deleteTo})
				resp, err := adm.DeleteRecords(ctx, os)
				if err == nil {
					err = resp.Error()
				}
				if err != nil {
					t.Fatal(err)
				}
			}
			line, found, err := scan(ctx, cl, salesTopic, 0, tc.lo, tc.hi, "a.csv")
			if err != nil {
				t.Fatal(err)
			}
			if line != tc.wantLine || found != tc.wantFound {
				t.Fatalf("scan = line %d found %v, want %d %v", line, found, tc.wantLine, tc.wantFound)
			}
		})
	}
}
