package registryserver

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// dumpState renders the whole state deterministically, ids and times
// included, to compare two servers.
func dumpState(s *Server) string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var b strings.Builder
	st := s.st
	fmt.Fprintf(&b, "lastGlobal=%d lastContent=%d\n", st.lastGlobal, st.lastContent)
	for _, k := range sortedKeys(st.globalRules) {
		fmt.Fprintf(&b, "global rule %s=%s\n", k, st.globalRules[k])
	}
	for _, gid := range sortedKeys(st.groups) {
		g := st.groups[gid]
		fmt.Fprintf(&b, "group %s %q %v %s %s\n", g.id, g.description, g.labels, g.created, g.modified)
		for _, aid := range sortedKeys(g.artifacts) {
			a := g.artifacts[aid]
			fmt.Fprintf(&b, " artifact %s %s %q %q %v %s %s next=%d\n", a.id, a.typ, a.name, a.description, a.labels, a.created, a.modified, a.nextOrder)
			for _, k := range sortedKeys(a.rules) {
				fmt.Fprintf(&b, "  rule %s=%s\n", k, a.rules[k])
			}
			for _, v := range a.versions {
				fmt.Fprintf(&b, "  version %s order=%d global=%d content=%d %q %s\n", v.version, v.order, v.globalID, v.contentID, v.name, v.created)
			}
		}
	}
	for _, id := range sortedKeys(st.contents) {
		c := st.contents[id]
		fmt.Fprintf(&b, "content %d %s %s %d bytes\n", c.id, c.hash, c.contentType, len(c.data))
	}
	return b.String()
}

// registrar registers a schema under an artifact through one API and returns
// the globalId and contentId of the resulting version.
type registrar struct {
	name     string
	register func(t *testing.T, h http.Handler, artifactID, schema string) (globalID, contentID int64)
}

var registrars = []registrar{
	{"v3 FIND_OR_CREATE_VERSION", func(t *testing.T, h http.Handler, artifactID, schema string) (int64, int64) {
		var out v3CreateArtifactResponse
		mustCall(t, h, 200, &out, "POST", prefixV3+"/groups/default/artifacts?ifExists=FIND_OR_CREATE_VERSION", v3Create(artifactID, "AVRO", schema))
		return out.Version.GlobalID, out.Version.ContentID
	}},
	{"v2 RETURN_OR_UPDATE", func(t *testing.T, h http.Handler, artifactID, schema string) (int64, int64) {
		var out v2ArtifactMeta
		mustCall(t, h, 200, &out, "POST", prefixV2+"/groups/default/artifacts?ifExists=RETURN_OR_UPDATE", schema,
			"X-Registry-ArtifactId", artifactID, "X-Registry-ArtifactType", "AVRO")
		return out.GlobalID, out.ContentID
	}},
	{"ccompat register", func(t *testing.T, h http.Handler, artifactID, schema string) (int64, int64) {
		var out map[string]int64
		mustCall(t, h, 200, &out, "POST", prefixCcompat+"/subjects/"+artifactID+"/versions", ccBody(schema))
		var meta v3Version
		// The ccompat answer is the contentId only; find the version by it.
		var list v3VersionList
		mustCall(t, h, 200, &list, "GET", prefixV3+"/groups/default/artifacts/"+artifactID+"/versions?limit=100", "")
		for _, v := range list.Versions {
			if v.ContentID == out["id"] {
				meta = v
			}
		}
		if meta.GlobalID == 0 {
			t.Fatalf("no version with contentId %d", out["id"])
		}
		return meta.GlobalID, meta.ContentID
	}},
}

func versionCount(t *testing.T, h http.Handler, artifactID string) int {
	t.Helper()
	var list v3VersionList
	mustCall(t, h, 200, &list, "GET", prefixV3+"/groups/default/artifacts/"+artifactID+"/versions", "")
	return list.Count
}

func TestIdempotentRegistration(t *testing.T) {
	for _, reg := range registrars {
		t.Run(reg.name, func(t *testing.T) {
			h := newTestServer(t).Handler()
			g1, c1 := reg.register(t, h, "sales-value", saleV1)
			g2, c2 := reg.register(t, h, "sales-value", saleV1)
			if g2 != g1 || c2 != c1 {
				t.Fatalf("same content again: ids (%d,%d), want (%d,%d)", g2, c2, g1, c1)
			}
			g3, c3 := reg.register(t, h, "sales-value", saleV1Spaced)
			if g3 != g1 || c3 != c1 {
				t.Fatalf("same schema with other whitespace and key order: ids (%d,%d), want (%d,%d)", g3, c3, g1, c1)
			}
			if n := versionCount(t, h, "sales-value"); n != 1 {
				t.Fatalf("%d versions after registering one schema three times, want 1", n)
			}
			g4, c4 := reg.register(t, h, "sales-value", saleAddOptional)
			if g4 <= g1 || c4 == c1 {
				t.Fatalf("changed content: ids (%d,%d) after (%d,%d); want a new, higher globalId and a new contentId", g4, c4, g1, c1)
			}
			if n := versionCount(t, h, "sales-value"); n != 2 {
				t.Fatalf("%d versions after a change, want 2", n)
			}
			// Registering the first schema again finds its version.
			if g5, _ := reg.register(t, h, "sales-value", saleV1); g5 != g1 {
				t.Fatalf("re-registering the first schema gave globalId %d, want %d", g5, g1)
			}
		})
	}
}

// TestCanonicalComparisonKeepsRealChanges checks that only formatting is
// ignored: a changed default makes a new version.
func TestCanonicalComparisonKeepsRealChanges(t *testing.T) {
	h := newTestServer(t).Handler()
	withDefault := strings.Replace(saleAddOptional, `"default":null`, `"default":null,"doc":"city of the sale"`, 1)
	reg := registrars[0]
	g1, _ := reg.register(t, h, "a", saleAddOptional)
	g2, _ := reg.register(t, h, "a", withDefault)
	if g1 == g2 {
		t.Fatalf("a documented field was taken for the same schema")
	}
}

func TestIDsConsistentAcrossViews(t *testing.T) {
	h := newTestServer(t).Handler()
	var created v3CreateArtifactResponse
	mustCall(t, h, 200, &created, "POST", prefixV3+"/groups/default/artifacts", v3Create("pagila.sales.avro-value", "AVRO", saleV1))
	var second v3Version
	mustCall(t, h, 200, &second, "POST", prefixV3+"/groups/default/artifacts/pagila.sales.avro-value/versions", v3VersionBody(saleAddOptional))
	if second.GlobalID <= created.Version.GlobalID {
		t.Fatalf("globalIds do not increase: %d then %d", created.Version.GlobalID, second.GlobalID)
	}

	// v2 sees the same ids.
	var v2meta v2ArtifactMeta
	mustCall(t, h, 200, &v2meta, "GET", prefixV2+"/groups/default/artifacts/pagila.sales.avro-value/meta", "")
	if v2meta.GlobalID != second.GlobalID || v2meta.ContentID != second.ContentID || v2meta.Version != second.Version {
		t.Fatalf("v2 meta %+v does not match v3 latest %+v", v2meta, second)
	}
	var v2v1 v2VersionMeta
	mustCall(t, h, 200, &v2v1, "GET", prefixV2+"/groups/default/artifacts/pagila.sales.avro-value/versions/1/meta", "")
	if v2v1.GlobalID != created.Version.GlobalID || v2v1.ContentID != created.Version.ContentID {
		t.Fatalf("v2 version 1 %+v does not match v3 %+v", v2v1, created.Version)
	}

	// ccompat: version n is the n-th version, id is the contentId.
	for i, want := range []v3Version{*created.Version, second} {
		var sch ccSchema
		mustCall(t, h, 200, &sch, "GET", fmt.Sprintf("%s/subjects/pagila.sales.avro-value/versions/%d", prefixCcompat, i+1), "")
		if sch.ID != want.ContentID || sch.Version != i+1 || sch.Subject != "pagila.sales.avro-value" {
			t.Fatalf("ccompat version %d = %+v, want id %d", i+1, sch, want.ContentID)
		}
	}

	// Content by every id is the same text.
	for _, path := range []string{
		fmt.Sprintf("%s/ids/globalIds/%d", prefixV3, created.Version.GlobalID),
		fmt.Sprintf("%s/ids/contentIds/%d", prefixV3, created.Version.ContentID),
		fmt.Sprintf("%s/ids/contentHashes/%s", prefixV3, contentHashOf([]byte(saleV1))),
		fmt.Sprintf("%s/ids/globalIds/%d", prefixV2, created.Version.GlobalID),
		fmt.Sprintf("%s/ids/contentIds/%d", prefixV2, created.Version.ContentID),
		fmt.Sprintf("%s/schemas/ids/%d/schema", prefixCcompat, created.Version.ContentID),
		prefixV3 + "/groups/default/artifacts/pagila.sales.avro-value/versions/1/content",
		prefixV2 + "/groups/default/artifacts/pagila.sales.avro-value/versions/1",
	} {
		if got := mustCall(t, h, 200, nil, "GET", path, "").Body.String(); got != saleV1 {
			t.Fatalf("GET %s = %q, want the first schema", path, got)
		}
	}

	// The same bytes under another artifact (through ccompat): same
	// contentId, a new globalId.
	var reg map[string]int64
	mustCall(t, h, 200, &reg, "POST", prefixCcompat+"/subjects/other-value/versions", ccBody(saleV1))
	if reg["id"] != created.Version.ContentID {
		t.Fatalf("same content under another subject got id %d, want contentId %d", reg["id"], created.Version.ContentID)
	}
	var other v3Version
	mustCall(t, h, 200, &other, "GET", prefixV3+"/groups/default/artifacts/other-value/versions/branch=latest", "")
	if other.ContentID != created.Version.ContentID || other.GlobalID <= second.GlobalID {
		t.Fatalf("other artifact version %+v: want contentId %d and a globalId above %d", other, created.Version.ContentID, second.GlobalID)
	}
	var subjects []ccSubjectVersion
	mustCall(t, h, 200, &subjects, "GET", fmt.Sprintf("%s/schemas/ids/%d/versions", prefixCcompat, reg["id"]), "")
	if len(subjects) != 2 {
		t.Fatalf("schema %d is used by %v, want two subjects", reg["id"], subjects)
	}
}

func TestCompatibilityRules(t *testing.T) {
	// saleAmountIntDefault can read data of saleDropAmount (amount has a
	// default) but not of saleV1 (amount was a string): BACKWARD against the
	// latest version only passes, BACKWARD_TRANSITIVE fails.
	const saleAmountIntDefault = `{"type":"record","name":"Sale","namespace":"salesstream","fields":[
		{"name":"payment_id","type":"int"},{"name":"amount","type":"int","default":0}]}`
	const saleTwoOptional = `{"type":"record","name":"Sale","namespace":"salesstream","fields":[
		{"name":"payment_id","type":"int"},{"name":"amount","type":"string"},
		{"name":"city","type":["null","string"],"default":null},
		{"name":"district","type":["null","string"],"default":null}]}`
	tests := []struct {
		level        string
		history      []string
		compatible   string
		incompatible string // "" when every change is allowed
	}{
		{"BACKWARD", []string{saleV1}, saleDropAmount, saleAddRequired},
		{"BACKWARD_TRANSITIVE", []string{saleV1, saleDropAmount}, saleDropAmount + " ", saleAmountIntDefault},
		{"FORWARD", []string{saleV1}, saleAddRequired, saleDropAmount},
		{"FORWARD_TRANSITIVE", []string{saleV1, saleAddOptional}, saleAddRequired, saleDropAmount},
		{"FULL", []string{saleV1}, saleAddOptional, saleAddRequired},
		{"FULL_TRANSITIVE", []string{saleV1, saleAddOptional}, saleTwoOptional, saleAddRequired},
		{"NONE", []string{saleV1}, saleAmountInt, ""},
	}
	for _, tt := range tests {
		t.Run(tt.level, func(t *testing.T) {
			h := newTestServer(t).Handler()
			const art = prefixV3 + "/groups/default/artifacts/sale"
			mustCall(t, h, 200, nil, "POST", prefixV3+"/groups/default/artifacts", v3Create("sale", "AVRO", tt.history[0]))
			for _, sch := range tt.history[1:] {
				mustCall(t, h, 200, nil, "POST", art+"/versions", v3VersionBody(sch))
			}
			mustCall(t, h, 204, nil, "POST", art+"/rules", `{"ruleType":"COMPATIBILITY","config":"`+tt.level+`"}`)
			before := versionCount(t, h, "sale")
			if tt.incompatible != "" {
				var pd problemDetails
				mustCall(t, h, 409, &pd, "POST", art+"/versions", v3VersionBody(tt.incompatible))
				if pd.Name != "RuleViolationException" || len(pd.Causes) == 0 {
					t.Fatalf("incompatible change answered %+v, want RuleViolationException with causes", pd)
				}
				if n := versionCount(t, h, "sale"); n != before {
					t.Fatalf("a rejected version was stored: %d versions, want %d", n, before)
				}
				// ccompat reports the same verdict and refuses to register it.
				var res ccCompatResult
				mustCall(t, h, 200, &res, "POST", prefixCcompat+"/compatibility/subjects/sale/versions", ccBody(tt.incompatible))
				if res.IsCompatible {
					t.Fatalf("ccompat says the incompatible change is compatible")
				}
				var ce ccompatError
				mustCall(t, h, 409, &ce, "POST", prefixCcompat+"/subjects/sale/versions", ccBody(tt.incompatible))
				if ce.ErrorCode != 409 {
					t.Fatalf("ccompat rejection %+v, want error_code 409", ce)
				}
			}
			var res ccCompatResult
			mustCall(t, h, 200, &res, "POST", prefixCcompat+"/compatibility/subjects/sale/versions", ccBody(tt.compatible))
			if !res.IsCompatible {
				t.Fatalf("ccompat says the compatible change is incompatible")
			}
			mustCall(t, h, 200, nil, "POST", art+"/versions", v3VersionBody(tt.compatible))
			if n := versionCount(t, h, "sale"); n != before+1 {
				t.Fatalf("%d versions after a compatible change, want %d", n, before+1)
			}
		})
	}
}

// TestTransitiveLevelsCheckOlderVersions shows the difference between a
// level and its transitive form on the same history.
func TestTransitiveLevelsCheckOlderVersions(t *testing.T) {
	const candidate = `{"type":"record","name":"Sale","namespace":"salesstream","fields":[
		{"name":"payment_id","type":"int"},{"name":"amount","type":"int","default":0}]}`
	for _, tt := range []struct {
		level string
		want  int
	}{{"BACKWARD", 200}, {"BACKWARD_TRANSITIVE", 409}} {
		t.Run(tt.level, func(t *testing.T) {
			h := newTestServer(t).Handler()
			const art = prefixV3 + "/groups/default/artifacts/sale"
			mustCall(t, h, 200, nil, "POST", prefixV3+"/groups/default/artifacts", v3Create("sale", "AVRO", saleV1))
			mustCall(t, h, 200, nil, "POST", art+"/versions", v3VersionBody(saleDropAmount))
			mustCall(t, h, 204, nil, "POST", art+"/rules", `{"ruleType":"COMPATIBILITY","config":"`+tt.level+`"}`)
			mustCall(t, h, tt.want, nil, "POST", art+"/versions", v3VersionBody(candidate))
		})
	}
}

func TestValidityRule(t *testing.T) {
	const notAvro = `{"type":"record","name":"Sale","fields":[{"name":"amount"}]}`
	tests := []struct {
		config string
		typ    string
		body   string
		want   int
	}{
		{"FULL", "AVRO", saleV1, 200},
		{"FULL", "AVRO", notAvro, 409},
		{"FULL", "AVRO", "not json", 409},
		{"SYNTAX_ONLY", "AVRO", notAvro, 200},
		{"SYNTAX_ONLY", "AVRO", "not json", 409},
		{"NONE", "AVRO", notAvro, 200},
		// Other types are opaque: no rule validates them.
		{"FULL", "JSON", "not json either", 200},
		{"FULL", "PROTOBUF", "syntax = \"proto3\"; message Sale { int32 id = 1; }", 200},
	}
	for _, tt := range tests {
		t.Run(tt.config+"/"+tt.typ+"/"+fmt.Sprint(tt.want), func(t *testing.T) {
			h := newTestServer(t).Handler()
			mustCall(t, h, 204, nil, "POST", prefixV3+"/admin/rules", `{"ruleType":"VALIDITY","config":"`+tt.config+`"}`)
			rec := mustCall(t, h, tt.want, nil, "POST", prefixV3+"/groups/default/artifacts", v3Create("a", tt.typ, tt.body))
			if tt.want == 409 && !strings.Contains(rec.Body.String(), `"causes":[{`) {
				t.Fatalf("validity violation without causes: %s", rec.Body.String())
			}
		})
	}
}

func TestArtifactRuleOverridesGlobalRule(t *testing.T) {
	h := newTestServer(t).Handler()
	const art = prefixV3 + "/groups/default/artifacts/sale"
	mustCall(t, h, 200, nil, "POST", prefixV3+"/groups/default/artifacts", v3Create("sale", "AVRO", saleV1))
	mustCall(t, h, 204, nil, "POST", prefixV3+"/admin/rules", `{"ruleType":"COMPATIBILITY","config":"BACKWARD"}`)
	mustCall(t, h, 409, nil, "POST", art+"/versions", v3VersionBody(saleAmountInt))
	mustCall(t, h, 204, nil, "POST", art+"/rules", `{"ruleType":"COMPATIBILITY","config":"NONE"}`)
	mustCall(t, h, 200, nil, "POST", art+"/versions", v3VersionBody(saleAmountInt))
}

func TestCcompatAlwaysRejectsInvalidAvro(t *testing.T) {
	h := newTestServer(t).Handler()
	var ce ccompatError
	mustCall(t, h, 422, &ce, "POST", prefixCcompat+"/subjects/s/versions", ccBody(`{"type":"record","name":"X","fields":[{"name":"a","type":"nosuch"}]}`))
	if ce.ErrorCode != 42201 {
		t.Fatalf("error_code %d, want 42201", ce.ErrorCode)
	}
	mustCall(t, h, 404, nil, "GET", prefixCcompat+"/subjects/s/versions", "")
}

// TestIfExistsModes checks what creating an existing artifact does in each
// mode of v3 and v2, with the same and with changed content.
func TestIfExistsModes(t *testing.T) {
	v3 := func(mode string) func(h http.Handler, content string) int {
		return func(h http.Handler, content string) int {
			return call(h, "POST", prefixV3+"/groups/default/artifacts?ifExists="+mode, v3Create("a", "AVRO", content)).Code
		}
	}
	v2 := func(mode string) func(h http.Handler, content string) int {
		return func(h http.Handler, content string) int {
			return call(h, "POST", prefixV2+"/groups/default/artifacts?ifExists="+mode, content, "X-Registry-ArtifactId", "a").Code
		}
	}
	tests := []struct {
		name         string
		create       func(h http.Handler, content string) int
		content      string
		wantStatus   int
		wantVersions int
	}{
		{"v3 FAIL", v3("FAIL"), saleV1, 409, 1},
		{"v3 CREATE_VERSION same content", v3("CREATE_VERSION"), saleV1, 200, 2},
		{"v3 FIND_OR_CREATE_VERSION same content", v3("FIND_OR_CREATE_VERSION"), saleV1Spaced, 200, 1},
		{"v3 FIND_OR_CREATE_VERSION new content", v3("FIND_OR_CREATE_VERSION"), saleAddOptional, 200, 2},
		{"v2 FAIL", v2("FAIL"), saleV1, 409, 1},
		{"v2 UPDATE same content", v2("UPDATE"), saleV1, 200, 2},
		{"v2 RETURN new content", v2("RETURN"), saleAddOptional, 200, 1},
		{"v2 RETURN_OR_UPDATE same content", v2("RETURN_OR_UPDATE"), saleV1Spaced, 200, 1},
		{"v2 RETURN_OR_UPDATE new content", v2("RETURN_OR_UPDATE"), saleAddOptional, 200, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newTestServer(t).Handler()
			mustCall(t, h, 200, nil, "POST", prefixV3+"/groups/default/artifacts", v3Create("a", "AVRO", saleV1))
			if got := tt.create(h, tt.content); got != tt.wantStatus {
				t.Fatalf("status %d, want %d", got, tt.wantStatus)
			}
			if n := versionCount(t, h, "a"); n != tt.wantVersions {
				t.Fatalf("%d versions, want %d", n, tt.wantVersions)
			}
		})
	}
}

// TestDryRunChangesNothing: dryRun answers as a real creation would, ids
// included, and stores nothing.
func TestDryRunChangesNothing(t *testing.T) {
	s := newTestServer(t)
	h := s.Handler()
	mustCall(t, h, 200, nil, "POST", prefixV3+"/groups/default/artifacts", v3Create("a", "AVRO", saleV1))
	before := dumpState(s)
	var dry v3CreateArtifactResponse
	mustCall(t, h, 200, &dry, "POST", prefixV3+"/groups/default/artifacts?dryRun=true", v3Create("b", "AVRO", saleAddOptional))
	var dryVersion v3Version
	mustCall(t, h, 200, &dryVersion, "POST", prefixV3+"/groups/default/artifacts/a/versions?dryRun=true", v3VersionBody(saleAddOptional))
	if after := dumpState(s); after != before {
		t.Fatalf("dry runs changed the state:\n%s", after)
	}
	var real v3CreateArtifactResponse
	mustCall(t, h, 200, &real, "POST", prefixV3+"/groups/default/artifacts", v3Create("b", "AVRO", saleAddOptional))
	if dry.Version == nil || dry.Version.GlobalID != real.Version.GlobalID || dry.Version.ContentID != real.Version.ContentID {
		t.Fatalf("dry run promised %+v, the real creation gave %+v", dry.Version, real.Version)
	}
	if dryVersion.Version != "2" {
		t.Fatalf("dry-run version named %q, want 2", dryVersion.Version)
	}
	// Dry runs are checked against the rules too.
	mustCall(t, h, 204, nil, "POST", prefixV3+"/groups/default/artifacts/a/rules", `{"ruleType":"COMPATIBILITY","config":"BACKWARD"}`)
	mustCall(t, h, 409, nil, "POST", prefixV3+"/groups/default/artifacts/a/versions?dryRun=true", v3VersionBody(saleAmountInt))
}
