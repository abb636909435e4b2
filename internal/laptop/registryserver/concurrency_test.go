package registryserver

import (
	"fmt"
	"sync"
	"testing"
)

// TestConcurrentRegistrations registers overlapping schemas from many
// goroutines through all three APIs: every request succeeds, ids are unique,
// each artifact holds each distinct schema once, equal contents share one
// contentId, and the journal replays to the same state.
func TestConcurrentRegistrations(t *testing.T) {
	const (
		workers  = 8
		perWork  = 30
		subjects = 4
		schemas  = 5
	)
	schema := func(k int) string {
		return fmt.Sprintf(`{"type":"record","name":"R%d","fields":[{"name":"f","type":"int"}]}`, k)
	}
	dir := t.TempDir()
	s := openJournaled(t, dir)
	h := s.Handler()

	type registration struct{ subject, schema int }
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		seen = map[registration]bool{}
	)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range perWork {
				r := registration{subject: (w + i) % subjects, schema: (w*7 + i*3) % schemas}
				subject, body := fmt.Sprintf("subject-%d", r.subject), schema(r.schema)
				var rec int
				switch (w + i) % 3 {
				case 0:
					rec = call(h, "POST", prefixV3+"/groups/default/artifacts?ifExists=FIND_OR_CREATE_VERSION", v3Create(subject, "AVRO", body)).Code
				case 1:
					rec = call(h, "POST", prefixV2+"/groups/default/artifacts?ifExists=RETURN_OR_UPDATE", body,
						"X-Registry-ArtifactId", subject, "X-Registry-ArtifactType", "AVRO").Code
				default:
					rec = call(h, "POST", prefixCcompat+"/subjects/"+subject+"/versions", ccBody(body)).Code
				}
				if rec != 200 {
					t.Errorf("worker %d request %d: status %d", w, i, rec)
					return
				}
				mu.Lock()
				seen[r] = true
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if t.Failed() {
		return
	}

	s.mu.RLock()
	globalIDs := map[int64]bool{}
	contentOf := map[string]int64{} // content -> contentId
	versions := 0
	for _, a := range s.st.groups[defaultGroup].artifacts {
		inArtifact := map[int64]bool{}
		for _, v := range a.versions {
			versions++
			if globalIDs[v.globalID] {
				t.Errorf("globalId %d used twice", v.globalID)
			}
			globalIDs[v.globalID] = true
			if inArtifact[v.contentID] {
				t.Errorf("artifact %s holds content %d twice", a.id, v.contentID)
			}
			inArtifact[v.contentID] = true
			data := string(s.st.contents[v.contentID].data)
			if id, ok := contentOf[data]; ok && id != v.contentID {
				t.Errorf("one content has contentIds %d and %d", id, v.contentID)
			}
			contentOf[data] = v.contentID
		}
	}
	s.mu.RUnlock()
	if versions != len(seen) {
		t.Errorf("%d versions stored for %d distinct (subject, schema) registrations", versions, len(seen))
	}
	if len(contentOf) > schemas {
		t.Errorf("%d distinct contents for %d schemas", len(contentOf), schemas)
	}

	before := dumpState(s)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s2 := openJournaled(t, dir)
	defer s2.Close()
	if after := dumpState(s2); after != before {
		t.Fatalf("state differs after replaying the journal written concurrently")
	}
}
