package registryserver

import (
	"strings"
	"testing"
)

func TestUIPages(t *testing.T) {
	h := newTestServer(t).Handler()
	if rec := call(h, "GET", "/ui", ""); rec.Code != 200 || !strings.Contains(rec.Body.String(), "No artifacts yet") {
		t.Fatalf("empty registry: %d\n%s", rec.Code, rec.Body)
	}
	v1 := `{"type":"record","name":"Sale","fields":[{"name":"id","type":"long"}]}`
	v2 := `{"type":"record","name":"Sale","fields":[{"name":"id","type":"long"},{"name":"note","type":["null","string"],"default":null}]}`
	grp := prefixV3 + "/groups/default/artifacts"
	mustCall(t, h, 200, nil, "POST", grp, v3Create("sales-value", "AVRO", v1))
	mustCall(t, h, 200, nil, "POST", grp+"/sales-value/versions", v3VersionBody(v2))
	mustCall(t, h, 204, nil, "POST", grp+"/sales-value/rules", `{"ruleType":"COMPATIBILITY","config":"BACKWARD"}`)
	mustCall(t, h, 200, nil, "POST", grp, v3Create("sales-key", "AVRO", `{"type":"record","name":"K","fields":[{"name":"c","type":"int"}]}`))
	mustCall(t, h, 204, nil, "POST", prefixV3+"/admin/rules", `{"ruleType":"VALIDITY","config":"FULL"}`)

	for _, tt := range []struct {
		path   string
		status int
		want   []string
	}{
		{"/ui", 200, []string{`href="/ui/groups/default/artifacts/sales-key"`, `href="/ui/groups/default/artifacts/sales-value"`,
			"<td>1, 2</td>", "COMPATIBILITY=BACKWARD", "VALIDITY</td><td>FULL"}},
		{"/ui/", 200, []string{"sales-value"}},
		{"/ui/groups/default/artifacts/sales-value", 200, []string{"version 2", "version 1", "&#34;name&#34;: &#34;note&#34;",
			"<td>COMPATIBILITY</td><td>BACKWARD</td>", "global id 1", "global id 2"}},
		{"/ui/groups/default/artifacts/nope", 404, []string{"no artifact nope in group default"}},
	} {
		rec := call(h, "GET", tt.path, "")
		if rec.Code != tt.status {
			t.Errorf("GET %s: %d, want %d\n%s", tt.path, rec.Code, tt.status, rec.Body)
			continue
		}
		for _, w := range tt.want {
			if !strings.Contains(rec.Body.String(), w) {
				t.Errorf("GET %s lacks %q:\n%s", tt.path, w, rec.Body)
			}
		}
	}
	if rec := call(h, "POST", "/ui", "x"); rec.Code != 405 {
		t.Errorf("POST /ui: %d, want 405 (read-only)", rec.Code)
	}
	// Versions listed latest first on the artifact page.
	body := call(h, "GET", "/ui/groups/default/artifacts/sales-value", "").Body.String()
	if strings.Index(body, "version 2") > strings.Index(body, "version 1") {
		t.Errorf("versions not latest first")
	}
}
