package audit

import (
	"errors"
	"maps"
	"strings"
	"testing"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"

	"github.com/salesstream/salesstream/internal/domain/sales"
	"github.com/salesstream/salesstream/internal/pipeline/enricher"
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
