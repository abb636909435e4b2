package audit

import (
	"context"
	"errors"
	"maps"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/salesstream/salesstream/internal/domain/sales"
	"github.com/salesstream/salesstream/internal/pipeline/enricher"
	"github.com/salesstream/salesstream/internal/platform/kafkatest"
)

func offsetResponse(topic string, p int32, at int64, err error) kadm.OffsetResponse {
	return kadm.OffsetResponse{Offset: kadm.Offset{Topic: topic, Partition: p, At: at}, Err: err}
}

func offsetResponses(rs ...kadm.OffsetResponse) kadm.OffsetResponses {
	out := kadm.OffsetResponses{}
	for _, r := range rs {
		out.Add(r)
	}
	return out
}

// TestCommittedOffsets checks how the group's fetched offsets are read: a
// partition's error is never dropped, and offsets pending in an open
// transaction (reported per partition) ask for another try.
func TestCommittedOffsets(t *testing.T) {
	for _, tc := range []struct {
		name    string
		resp    kadm.OffsetResponses
		want    offsets
		err     error  // errors.Is target
		errText string // or a CannotAudit / plain error containing this
	}{
		{"committed", offsetResponses(offsetResponse("sales", 0, 7, nil), offsetResponse("sales", 1, -1, nil), offsetResponse("rep", 2, 3, nil), offsetResponse("other", 0, 9, nil)),
			offsets{"sales": {0: 7}, "rep": {2: 3}}, nil, ""},
		{"pending in a transaction", offsetResponses(offsetResponse("sales", 0, -1, kerr.UnstableOffsetCommit), offsetResponse("rep", 0, -1, kerr.UnstableOffsetCommit)),
			nil, errUnstable, ""},
		{"one partition pending", offsetResponses(offsetResponse("sales", 0, 7, nil), offsetResponse("sales", 1, -1, kerr.UnstableOffsetCommit)),
			nil, errUnstable, ""},
		{"partition error", offsetResponses(offsetResponse("sales", 0, 7, nil), offsetResponse("sales", 1, -1, kerr.UnknownTopicOrPartition)),
			nil, nil, "sales[1]"},
		{"another topic's error is not ours", offsetResponses(offsetResponse("sales", 0, 7, nil), offsetResponse("other", 1, -1, kerr.UnknownTopicOrPartition)),
			offsets{"sales": {0: 7}, "rep": {}}, nil, ""},
		{"nothing committed", offsetResponses(), nil, nil, "has no committed offsets of the sales topic sales"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := committedOffsets(tc.resp, "g", "sales", "rep")
			switch {
			case tc.err != nil:
				if !errors.Is(err, tc.err) {
					t.Fatalf("err %v, want %v", err, tc.err)
				}
			case tc.errText != "":
				if err == nil || !strings.Contains(err.Error(), tc.errText) {
					t.Fatalf("err %v, want one saying %q", err, tc.errText)
				}
			case err != nil:
				t.Fatal(err)
			case !got.equal(tc.want):
				t.Fatalf("offsets %v, want %v", got, tc.want)
			}
		})
	}
}

// TestReached checks when committed offsets have caught up with the ends:
// a partition the group never committed counts as at 0, so an empty one
// does not hold the audit back forever.
func TestReached(t *testing.T) {
	for _, tc := range []struct {
		name      string
		committed map[int32]int64
		ends      map[int32]int64
		want      bool
	}{
		{"equal", map[int32]int64{0: 5, 1: 3}, map[int32]int64{0: 5, 1: 3}, true},
		{"behind", map[int32]int64{0: 5, 1: 2}, map[int32]int64{0: 5, 1: 3}, false},
		{"empty partition never committed", map[int32]int64{0: 5}, map[int32]int64{0: 5, 1: 0}, true},
		{"partition with sales never committed", map[int32]int64{0: 5}, map[int32]int64{0: 5, 1: 4}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := offsets{"t": maps.Clone(tc.committed)}
			if got := c.reached(offsets{"t": tc.ends}, "t"); got != tc.want {
				t.Fatalf("reached = %v, want %v", got, tc.want)
			}
		})
	}
}

// TestCheckSettings checks the audits the settings record refuses, and
// that the refusal names the reader's flags.
func TestCheckSettings(t *testing.T) {
	regions := sales.NewRegions(map[string]string{"France": "Europe"})
	good := enricher.Settings{SummaryTopic: "summary", RegionsHash: regions.Hash(), SizeMs: 10, SlideMs: 5}
	for _, tc := range []struct {
		name string
		edit func(*enricher.Settings)
		want string // empty: no error
	}{
		{"agrees", func(*enricher.Settings) {}, ""},
		{"another summary topic", func(s *enricher.Settings) { s.SummaryTopic = "elsewhere" }, "give --summary-topic elsewhere"},
		{"another regions file", func(s *enricher.Settings) { s.RegionsHash = "abc" }, "give --regions the enricher's regions file"},
		{"slide past the window", func(s *enricher.Settings) { s.SlideMs = 20 }, "window 10 ms sliding 20 ms"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := good
			tc.edit(&st)
			err := checkSettings(Config{SummaryTopic: "summary", Regions: regions, RegionsSource: "regions.csv"}, st)
			if tc.want == "" && err != nil || tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)) {
				t.Fatalf("err %v, want one saying %q", err, tc.want)
			}
		})
	}
}

// TestTakeCutWaitsOutPendingOffsets: a fetch of the group's offsets that
// meets a commit in progress (UnstableOffsetCommit on its partitions, as
// the broker reports it) makes takeCut try again, not fail or read the
// group as having committed nothing.
func TestTakeCutWaitsOutPendingOffsets(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	names := []string{"sales", "rep", "summary"}
	c := kafkatest.Cluster(t, kfake.SeedTopics(1, names...))
	cl := kafkatest.Client(t, c.ListenAddrs())
	adm := kadm.NewClient(cl)
	var os kadm.Offsets
	os.Add(kadm.Offset{Topic: "sales", Partition: 0, At: 0})
	if err := adm.CommitAllOffsets(ctx, "g", os); err != nil {
		t.Fatal(err)
	}
	td, err := adm.ListTopics(ctx, "sales")
	if err != nil {
		t.Fatal(err)
	}
	// The first three fetches of the group's offsets find them pending.
	var pending atomic.Int32
	c.ControlKey(int16(kmsg.OffsetFetch), func(kr kmsg.Request) (kmsg.Response, error, bool) {
		if pending.Add(1) > 3 {
			return nil, nil, false
		}
		c.KeepControl()
		req := kr.(*kmsg.OffsetFetchRequest)
		resp := req.ResponseKind().(*kmsg.OffsetFetchResponse)
		resp.Version = req.Version
		p := kmsg.NewOffsetFetchResponseGroupTopicPartition()
		p.Partition, p.Offset, p.LeaderEpoch, p.ErrorCode = 0, -1, -1, kerr.UnstableOffsetCommit.Code
		if req.Version >= 8 {
			g := kmsg.NewOffsetFetchResponseGroup()
			g.Group = "g"
			gt := kmsg.NewOffsetFetchResponseGroupTopic()
			gt.Topic, gt.TopicID, gt.Partitions = "sales", td["sales"].ID, []kmsg.OffsetFetchResponseGroupTopicPartition{p}
			g.Topics = append(g.Topics, gt)
			resp.Groups = append(resp.Groups, g)
		} else {
			tp := kmsg.NewOffsetFetchResponseTopicPartition()
			tp.Partition, tp.Offset, tp.LeaderEpoch, tp.ErrorCode = 0, -1, -1, kerr.UnstableOffsetCommit.Code
			rt := kmsg.NewOffsetFetchResponseTopic()
			rt.Topic, rt.Partitions = "sales", []kmsg.OffsetFetchResponseTopicPartition{tp}
			resp.Topics = append(resp.Topics, rt)
		}
		return resp, nil, true
	})
	cut, err := takeCut(ctx, adm, "g", "sales", "rep", 0, names)
	if err != nil {
		t.Fatalf("takeCut: %v", err)
	}
	if pending.Load() <= 3 || cut.attempts < 2 {
		t.Fatalf("%d offset fetches, %d tries: the pending offsets were never met", pending.Load(), cut.attempts)
	}
	if !cut.committed.equal(offsets{"sales": {0: 0}, "rep": {}}) || !cut.caughtUp {
		t.Fatalf("cut %+v, want the group's committed sales offset 0, caught up", cut)
	}
}
