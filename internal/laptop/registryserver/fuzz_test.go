package registryserver

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

var fuzzMethods = []string{"GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS", "CONNECT", "BREW"}

// FuzzHandler sends random methods, paths, bodies and headers: no request
// may get a 5xx or panic, error answers must be JSON, and the artifact
// registered beforehand must be intact unless the request deleted it.
func FuzzHandler(f *testing.F) {
	seeds := []struct {
		method         byte
		path, body     string
		header, hvalue string
	}{
		{0, prefixV3 + "/system/info", "", "", ""},
		{1, prefixV3 + "/groups", `{"groupId":"g"}`, "Content-Type", "application/json"},
		{1, prefixV3 + "/groups/default/artifacts?ifExists=FIND_OR_CREATE_VERSION", v3Create("known", "AVRO", saleAddOptional), "", ""},
		{1, prefixV3 + "/groups/default/artifacts/known/versions?dryRun=true", v3VersionBody(saleAmountInt), "", ""},
		{0, prefixV3 + "/groups/default/artifacts/known/versions/branch=latest/content?canonical=true", "", "", ""},
		{0, prefixV3 + "/search/artifacts?name=kn&labels=a:b&offset=1&limit=2", "", "", ""},
		{1, prefixV3 + "/groups/default/artifacts/known/rules", `{"ruleType":"COMPATIBILITY","config":"FULL_TRANSITIVE"}`, "", ""},
		{2, prefixV3 + "/admin/rules/VALIDITY", `{"config":"FULL"}`, "", ""},
		{3, prefixV3 + "/groups/default/artifacts/known", "", "", ""},
		{0, prefixV3 + "/ids/globalIds/1", "", "", ""},
		{0, prefixV3 + "/ids/contentHashes/" + contentHashOf([]byte(saleV1)), "", "", ""},
		{1, prefixV2 + "/groups/default/artifacts?ifExists=RETURN_OR_UPDATE", saleV1, "X-Registry-ArtifactId", "known"},
		{1, prefixV2 + "/groups/default/artifacts", regionV1, "X-Registry-ArtifactType", "AVRO"},
		{1, prefixV2 + "/groups/default/artifacts/known/meta", `{"content":"x","references":[]}`, "Content-Type", "application/create.extended+json"},
		{0, prefixV2 + "/groups/default/artifacts/known/versions/latest", "", "", ""},
		{2, prefixV2 + "/groups/default/artifacts/known", saleAddOptional, "X-Registry-Version", "2.0"},
		{1, prefixCcompat + "/subjects/known/versions", ccBody(saleAddOptional), "X-Registry-GroupId", "default"},
		{1, prefixCcompat + "/subjects/known", ccBody(saleV1), "", ""},
		{0, prefixCcompat + "/subjects/known/versions/-1/schema", "", "", ""},
		{1, prefixCcompat + "/compatibility/subjects/known/versions/latest?verbose=true", ccBody(saleAmountInt), "", ""},
		{2, prefixCcompat + "/config/known", `{"compatibility":"BACKWARD"}`, "", ""},
		{3, prefixCcompat + "/subjects/known?permanent=true", "", "", ""},
		{0, prefixCcompat + "/schemas?latestOnly=true&limit=1", "", "", ""},
		{0, "/health/ready", "", "", ""},
		{4, "/../apis//registry/v3/./groups", "{", "Content-Length", "-1"},
		{1, prefixV3 + "/groups/%2F/artifacts", `{"artifactId":"\u0000","firstVersion":{"content":{"content":"[]","contentType":""}}}`, "", ""},
	}
	for _, s := range seeds {
		f.Add(s.method, s.path, s.body, s.header, s.hvalue)
	}
	f.Fuzz(func(t *testing.T, methodPick byte, path, body, header, hvalue string) {
		s, err := New(context.Background(), WithLogger(quietLogger()), WithMaxBodyBytes(64<<10))
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		h := s.Handler()
		var known v3CreateArtifactResponse
		mustCall(t, h, 200, &known, "POST", prefixV3+"/groups/default/artifacts", v3Create("known", "AVRO", saleV1))

		if !strings.HasPrefix(path, "/") {
			path = "/" + path
		}
		method := fuzzMethods[int(methodPick)%len(fuzzMethods)]
		req, err := http.NewRequest(method, "http://registry.test"+path, strings.NewReader(body))
		if err != nil {
			t.Skip("not a valid request URL")
		}
		req.RequestURI = req.URL.RequestURI()
		if header != "" {
			req.Header.Set(header, hvalue)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)

		if rec.Code >= 500 {
			t.Fatalf("%s %q: status %d: %s", method, path, rec.Code, rec.Body.String())
		}
		if rec.Code >= 400 && method != "HEAD" && !json.Valid(rec.Body.Bytes()) {
			t.Fatalf("%s %q: error %d with a body that is not JSON: %q", method, path, rec.Code, rec.Body.String())
		}
		if method == "DELETE" && rec.Code < 300 {
			return // may have deleted the known artifact on purpose
		}
		v, err := s.versionByGlobalID(known.Version.GlobalID)
		if err != nil || string(v.content) != saleV1 || v.contentID != known.Version.ContentID || v.artifactID != "known" {
			t.Fatalf("%s %q changed the registered artifact: %+v, %v", method, path, v, err)
		}
	})
}
