package registryserver

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

// TestBadRequestsGetErrorBodies: requests a client can fix get a 4xx with
// the error body of the API they address.
func TestBadRequestsGetErrorBodies(t *testing.T) {
	s := newTestServer(t, WithMaxBodyBytes(1024))
	h := s.Handler()
	mustCall(t, h, 200, nil, "POST", prefixV3+"/groups/default/artifacts", v3Create("known", "AVRO", saleV1))
	big := strings.Repeat("x", 2048)
	tests := []struct {
		name         string
		method, path string
		body         string
		headers      []string
		want         int
	}{
		{"v3 malformed JSON", "POST", prefixV3 + "/groups/default/artifacts", `{"artifactId":`, nil, 400},
		{"v3 wrong JSON type", "POST", prefixV3 + "/groups/default/artifacts", `{"artifactId":5}`, nil, 400},
		{"v3 empty body", "POST", prefixV3 + "/groups", "", nil, 400},
		{"v3 no content", "POST", prefixV3 + "/groups/default/artifacts", `{"artifactId":"x","artifactType":"AVRO","firstVersion":{}}`, nil, 400},
		{"v3 bad base64", "POST", prefixV3 + "/groups/default/artifacts/known/versions", `{"content":{"content":"%%%","contentType":"application/json","encoding":"base64"}}`, nil, 400},
		{"v3 references", "POST", prefixV3 + "/groups/default/artifacts/known/versions", `{"content":{"content":"{}","contentType":"application/json","references":[{"groupId":"g","artifactId":"a","name":"n"}]}}`, nil, 400},
		{"v3 bad version name", "POST", prefixV3 + "/groups/default/artifacts/known/versions", `{"version":"a b","content":{"content":"\"int\"","contentType":"application/json"}}`, nil, 400},
		{"v3 unknown artifact", "GET", prefixV3 + "/groups/default/artifacts/unknown", "", nil, 404},
		{"v3 unknown branch", "GET", prefixV3 + "/groups/default/artifacts/known/versions/branch=feature", "", nil, 404},
		{"v3 bad globalId", "GET", prefixV3 + "/ids/globalIds/abc", "", nil, 400},
		{"v3 huge globalId", "GET", prefixV3 + "/ids/globalIds/99999999999999999999", "", nil, 400},
		{"v3 bad offset", "GET", prefixV3 + "/search/artifacts?offset=-1", "", nil, 400},
		{"v3 huge limit", "GET", prefixV3 + "/search/artifacts?limit=9223372036854775807&offset=5", "", nil, 200},
		{"v3 bad order", "GET", prefixV3 + "/groups?order=sideways", "", nil, 400},
		{"v3 bad rule type", "GET", prefixV3 + "/admin/rules/SPEED", "", nil, 400},
		{"v3 bad rule config", "POST", prefixV3 + "/admin/rules", `{"ruleType":"VALIDITY","config":"MOST"}`, nil, 400},
		{"v3 bad group id", "POST", prefixV3 + "/groups", `{"groupId":"line\nbreak"}`, nil, 400},
		{"v3 body too large", "POST", prefixV3 + "/groups", `{"groupId":"` + big + `"}`, nil, 413},
		{"v3 unknown path", "GET", prefixV3 + "/nothing/here", "", nil, 404},
		{"v3 wrong method", "PATCH", prefixV3 + "/groups", "", nil, 405},
		{"v2 unknown artifact type", "POST", prefixV2 + "/groups/default/artifacts", saleV1, []string{"X-Registry-ArtifactType", "COBOL"}, 400},
		{"v2 bad ifExists", "POST", prefixV2 + "/groups/default/artifacts?ifExists=SOMETIMES", saleV1, nil, 400},
		{"v2 bad encoded name", "POST", prefixV2 + "/groups/default/artifacts", saleV1, []string{"X-Registry-Name-Encoded", "%%"}, 400},
		{"v2 body too large", "POST", prefixV2 + "/groups/default/artifacts", big, nil, 413},
		{"v2 unknown version", "GET", prefixV2 + "/groups/default/artifacts/known/versions/9", "", nil, 404},
		{"v2 unknown path", "GET", prefixV2 + "/nothing", "", nil, 404},
		{"ccompat malformed JSON", "POST", prefixCcompat + "/subjects/s/versions", `{"schema":`, nil, 400},
		{"ccompat unknown type", "POST", prefixCcompat + "/subjects/s/versions", `{"schema":"x","schemaType":"XML"}`, nil, 422},
		{"ccompat bad version", "GET", prefixCcompat + "/subjects/known/versions/0", "", nil, 422},
		{"ccompat bad id", "GET", prefixCcompat + "/schemas/ids/x", "", nil, 400},
		{"ccompat bad limit", "GET", prefixCcompat + "/subjects?limit=-2", "", nil, 400},
		{"ccompat body too large", "POST", prefixCcompat + "/subjects/s/versions", ccBody(big), nil, 413},
		{"ccompat unknown subject config", "PUT", prefixCcompat + "/config/unknown", `{"compatibility":"FULL"}`, nil, 404},
		{"ccompat wrong method", "PUT", prefixCcompat + "/subjects", "", nil, 405},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := call(h, tt.method, tt.path, tt.body, tt.headers...)
			if rec.Code != tt.want {
				t.Fatalf("status %d, want %d; body %s", rec.Code, tt.want, rec.Body.String())
			}
			if tt.want < 400 {
				return
			}
			var body map[string]any
			if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
				t.Fatalf("error body is not JSON: %q", rec.Body.String())
			}
			switch apiOf(tt.path) {
			case apiV3:
				if body["status"] != float64(tt.want) || body["title"] == "" || body["name"] == nil {
					t.Fatalf("v3 error body %v lacks status/title/name", body)
				}
			case apiV2:
				if body["error_code"] != float64(tt.want) || body["message"] == "" {
					t.Fatalf("v2 error body %v lacks error_code/message", body)
				}
			case apiCcompat:
				if _, ok := body["error_code"].(float64); !ok || body["message"] == "" {
					t.Fatalf("ccompat error body %v lacks error_code/message", body)
				}
			}
		})
	}
	// None of that changed the registered artifact.
	if got := mustCall(t, h, 200, nil, "GET", prefixV3+"/groups/default/artifacts/known/versions/branch=latest/content", "").Body.String(); got != saleV1 {
		t.Fatalf("artifact content changed to %q", got)
	}
}

// TestPanicIsRecovered: a panicking handler is answered 500 with the API's
// error body and logged; the server keeps serving.
func TestPanicIsRecovered(t *testing.T) {
	s := newTestServer(t)
	s.mux.HandleFunc("GET "+prefixV3+"/test-panic", func(http.ResponseWriter, *http.Request) { panic("boom") })
	var pd problemDetails
	mustCall(t, s.Handler(), 500, &pd, "GET", prefixV3+"/test-panic", "")
	if pd.Status != 500 || pd.Title == "" {
		t.Fatalf("panic answered with %+v", pd)
	}
	mustCall(t, s.Handler(), 200, nil, "GET", prefixV3+"/system/info", "")
}

func TestHealth(t *testing.T) {
	h := newTestServer(t).Handler()
	for _, p := range []string{"/health", "/health/ready", "/health/live"} {
		var out map[string]any
		mustCall(t, h, 200, &out, "GET", p, "")
		if out["status"] != "UP" {
			t.Fatalf("%s = %v", p, out)
		}
	}
}
