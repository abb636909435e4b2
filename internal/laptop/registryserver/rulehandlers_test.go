package registryserver

import (
	"maps"
	"net/http"
	"slices"
	"testing"
)

// TestRuleBodiesPerAPI checks that the shared rules handlers speak each
// API version's spelling: v2 names the rule type "type", v3 "ruleType", in
// what they read and in what they answer.
func TestRuleBodiesPerAPI(t *testing.T) {
	tests := []struct {
		name, prefix, field string
	}{
		{"v2", prefixV2, "type"},
		{"v3", prefixV3, "ruleType"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newTestServer(t).Handler()
			var apiErr map[string]any
			mustCall(t, h, http.StatusBadRequest, &apiErr, "POST", tt.prefix+"/admin/rules", `{"config":"FULL"}`)
			want := tt.field + ` is missing: send {"` + tt.field + `": "COMPATIBILITY", "config": "BACKWARD"}`
			if !slices.Contains(slices.Collect(maps.Values(apiErr)), any(want)) {
				t.Errorf("POST without a type answered %v, want the message %q", apiErr, want)
			}
			mustCall(t, h, http.StatusNoContent, nil, "POST", tt.prefix+"/admin/rules", `{"`+tt.field+`":"VALIDITY","config":"FULL"}`)
			var got map[string]string
			mustCall(t, h, http.StatusOK, &got, "GET", tt.prefix+"/admin/rules/VALIDITY", "")
			if len(got) != 2 || got[tt.field] != "VALIDITY" || got["config"] != "FULL" {
				t.Errorf("GET answered %v, want {%q: VALIDITY, config: FULL}", got, tt.field)
			}
			got = nil
			mustCall(t, h, http.StatusOK, &got, "PUT", tt.prefix+"/admin/rules/VALIDITY", `{"config":"SYNTAX_ONLY"}`)
			if len(got) != 2 || got[tt.field] != "VALIDITY" || got["config"] != "SYNTAX_ONLY" {
				t.Errorf("PUT answered %v, want {%q: VALIDITY, config: SYNTAX_ONLY}", got, tt.field)
			}
		})
	}
}
