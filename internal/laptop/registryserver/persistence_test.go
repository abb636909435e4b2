package registryserver

import (
	"context"
	"fmt"
	"net/http"
	"testing"
)

func openJournaled(t *testing.T, dir string) *Server {
	t.Helper()
	j, err := OpenFileJournalWithLogger(dir, quietLogger())
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(context.Background(), WithJournal(j), WithLogger(quietLogger()))
	if err != nil {
		t.Fatalf("New with journal: %v", err)
	}
	return s
}

// TestPersistence writes through every API, closes, reopens from the same
// journal and expects the same state and ids; new ids then continue above
// every id used before, deleted artifacts included.
func TestPersistence(t *testing.T) {
	dir := t.TempDir()
	s := openJournaled(t, dir)
	doomed := writeThroughEveryAPI(t, s)

	before := dumpState(s)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	// A closed server refuses changes.
	mustCall(t, s.Handler(), http.StatusServiceUnavailable, nil, "POST", prefixV3+"/groups", `{"groupId":"late"}`)

	s2 := openJournaled(t, dir)
	defer s2.Close()
	checkReopened(t, s2, before, doomed)
	var sch ccSchema
	mustCall(t, s2.Handler(), 200, &sch, "GET", prefixCcompat+"/subjects/pagila.sales.avro-key/versions/latest", "")
	if sch.Schema != `"int"` {
		t.Fatalf("ccompat schema after reopen = %+v", sch)
	}
	if _, err := s2.versionByGlobalID(doomed.GlobalID); err == nil {
		t.Fatalf("the deleted artifact's globalId %d resolves after reopen", doomed.GlobalID)
	}
}

// writeThroughEveryAPI changes the registry through every API and returns
// the version of an artifact it deleted last.
func writeThroughEveryAPI(t *testing.T, s *Server) v3Version {
	t.Helper()
	h := s.Handler()
	mustCall(t, h, 200, nil, "POST", prefixV3+"/groups", `{"groupId":"sales","description":"d","labels":{"k":"v"}}`)
	mustCall(t, h, 200, nil, "POST", prefixV3+"/groups/sales/artifacts", v3Create("pagila.sales.avro-value", "AVRO", saleV1))
	mustCall(t, h, 200, nil, "POST", prefixV3+"/groups/sales/artifacts/pagila.sales.avro-value/versions", v3VersionBody(saleAddOptional))
	mustCall(t, h, 200, nil, "POST", prefixV2+"/groups/default/artifacts", regionV1, "X-Registry-ArtifactId", "regions", "X-Registry-ArtifactType", "AVRO")
	mustCall(t, h, 200, nil, "POST", prefixCcompat+"/subjects/pagila.sales.avro-key/versions", ccBody(`"int"`))
	mustCall(t, h, 204, nil, "POST", prefixV3+"/admin/rules", `{"ruleType":"VALIDITY","config":"FULL"}`)
	mustCall(t, h, 204, nil, "POST", prefixV3+"/groups/sales/artifacts/pagila.sales.avro-value/rules", `{"ruleType":"COMPATIBILITY","config":"BACKWARD"}`)
	mustCall(t, h, 204, nil, "DELETE", prefixV3+"/admin/rules/VALIDITY", "")
	mustCall(t, h, 204, nil, "POST", prefixV3+"/admin/rules", `{"ruleType":"INTEGRITY","config":"NONE"}`)
	// The newest artifact is deleted: its ids must not come back.
	mustCall(t, h, 200, nil, "POST", prefixV3+"/groups/default/artifacts", v3Create("doomed", "AVRO", `{"type":"enum","name":"E","symbols":["A"]}`))
	var doomed v3Version
	mustCall(t, h, 200, &doomed, "GET", prefixV3+"/groups/default/artifacts/doomed/versions/1", "")
	mustCall(t, h, 204, nil, "DELETE", prefixV3+"/groups/default/artifacts/doomed", "")
	return doomed
}

// checkReopened checks that s2 has before's state and hands out ids past
// the deleted artifact's.
func checkReopened(t *testing.T, s2 *Server, before string, doomed v3Version) {
	t.Helper()
	if after := dumpState(s2); after != before {
		t.Fatalf("state differs after reopening.\nbefore:\n%s\nafter:\n%s", before, after)
	}
	h := s2.Handler()
	// The artifact rule survived: an incompatible change is refused.
	mustCall(t, h, 409, nil, "POST", prefixV3+"/groups/sales/artifacts/pagila.sales.avro-value/versions", v3VersionBody(saleAmountInt))
	var next v3CreateArtifactResponse
	mustCall(t, h, 200, &next, "POST", prefixV3+"/groups/default/artifacts", v3Create("fresh", "AVRO", `{"type":"fixed","name":"F","size":4}`))
	if next.Version.GlobalID != doomed.GlobalID+1 || next.Version.ContentID != doomed.ContentID+1 {
		t.Fatalf("new ids (%d,%d) after reopen, want (%d,%d): ids must continue past the deleted ones",
			next.Version.GlobalID, next.Version.ContentID, doomed.GlobalID+1, doomed.ContentID+1)
	}
}

// failingJournal refuses appends after a number of them.
type failingJournal struct {
	ok int
}

func (f *failingJournal) Append(context.Context, Event) error {
	if f.ok == 0 {
		return fmt.Errorf("disk full")
	}
	f.ok--
	return nil
}
func (f *failingJournal) Replay(context.Context, func(Event) error) error { return nil }
func (f *failingJournal) Close() error                                    { return nil }

// TestUnpersistedChangeIsNotApplied: when the journal refuses an event the
// client gets a 500 and the state stays as it was.
func TestUnpersistedChangeIsNotApplied(t *testing.T) {
	s := newTestServer(t, WithJournal(&failingJournal{ok: 1}))
	h := s.Handler()
	mustCall(t, h, 200, nil, "POST", prefixV3+"/groups/default/artifacts", v3Create("a", "AVRO", saleV1))
	before := dumpState(s)
	var pd problemDetails
	mustCall(t, h, 500, &pd, "POST", prefixV3+"/groups/default/artifacts/a/versions", v3VersionBody(saleAddOptional))
	if pd.Status != 500 {
		t.Fatalf("error body %+v", pd)
	}
	if after := dumpState(s); after != before {
		t.Fatalf("a change the journal refused was applied:\n%s", after)
	}
}

func TestReplayOfInconsistentJournalFails(t *testing.T) {
	j := &sliceJournal{events: []Event{{Kind: EventVersionCreated, GroupID: "g", ArtifactID: "missing",
		Version: &VersionEvent{Version: "1", GlobalID: 1, ContentID: 1, Content: "x"}}}}
	if _, err := New(context.Background(), WithJournal(j), WithLogger(quietLogger())); err == nil {
		t.Fatal("New accepted a journal whose version belongs to no artifact")
	}
}

// sliceJournal keeps events in memory.
type sliceJournal struct{ events []Event }

func (j *sliceJournal) Append(_ context.Context, e Event) error {
	j.events = append(j.events, e)
	return nil
}

func (j *sliceJournal) Replay(_ context.Context, fn func(Event) error) error {
	for _, e := range j.events {
		if err := fn(e); err != nil {
			return err
		}
	}
	return nil
}
func (j *sliceJournal) Close() error { return nil }
