package registryserver

import (
	"bytes"
	"embed"
	"encoding/json"
	"html/template"
	"net/http"
	"slices"
	"strings"
	"time"
)

// The read-only browser pages at /ui: the artifacts with their versions,
// and each artifact's versions with their schemas and rules, so a user
// can look at the registered schemas as Apicurio's own UI shows them.

//go:embed ui.html
var uiFiles embed.FS

var uiTemplates = template.Must(template.New("ui.html").Funcs(template.FuncMap{
	"time": func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05 UTC") },
}).ParseFS(uiFiles, "ui.html"))

// uiArtifact is an artifact as the pages show it.
type uiArtifact struct {
	Group, ID, Type, Name, Description string
	Created, Modified                  time.Time
	Latest                             string
	Versions                           []uiVersion
	Rules                              []uiRule
}

// uiVersion is a version as the pages show it, its schema indented.
type uiVersion struct {
	Version             string
	GlobalID, ContentID int64
	Created             time.Time
	ContentType         string
	Schema              string
}

// uiRule is a rule and where it applies from.
type uiRule struct{ Type, Config, Scope string }

// uiPage is what the template renders: the list, or one artifact.
type uiPage struct {
	Artifacts   []uiArtifact
	Artifact    *uiArtifact
	GlobalRules []uiRule
	Started     time.Time
}

// registerUI serves the pages.
func (s *Server) registerUI() {
	s.mux.HandleFunc("GET /ui", s.uiList)
	s.mux.HandleFunc("GET /ui/{$}", s.uiList)
	s.mux.HandleFunc("GET /ui/groups/{group}/artifacts/{artifact}", s.uiArtifact)
}

func (s *Server) uiList(w http.ResponseWriter, r *http.Request) {
	s.mu.RLock()
	page := uiPage{GlobalRules: uiRules(s.st.globalRules, "global"), Started: s.started}
	for _, g := range s.st.groups {
		for _, a := range g.artifacts {
			page.Artifacts = append(page.Artifacts, s.uiArtifactOf(a, false))
		}
	}
	s.mu.RUnlock()
	slices.SortFunc(page.Artifacts, func(a, b uiArtifact) int {
		return strings.Compare(a.Group+"\x00"+a.ID, b.Group+"\x00"+b.ID)
	})
	s.renderUI(w, page)
}

func (s *Server) uiArtifact(w http.ResponseWriter, r *http.Request) {
	s.mu.RLock()
	a := s.st.artifact(r.PathValue("group"), r.PathValue("artifact"))
	var page uiPage
	if a != nil {
		ua := s.uiArtifactOf(a, true)
		page = uiPage{Artifact: &ua, GlobalRules: uiRules(s.st.globalRules, "global"), Started: s.started}
	}
	s.mu.RUnlock()
	if a == nil {
		http.Error(w, "no artifact "+r.PathValue("artifact")+" in group "+r.PathValue("group")+"; the list is at /ui", http.StatusNotFound)
		return
	}
	s.renderUI(w, page)
}

// uiArtifactOf returns a's page data, with its schemas if withContent.
// The caller holds s.mu.
func (s *Server) uiArtifactOf(a *artifact, withContent bool) uiArtifact {
	ua := uiArtifact{Group: a.groupID, ID: a.id, Type: a.typ, Name: a.name, Description: a.description,
		Created: a.created, Modified: a.modified, Rules: uiRules(a.rules, "artifact")}
	if l := a.latest(); l != nil {
		ua.Latest = l.version
	}
	for _, v := range a.versions {
		uv := uiVersion{Version: v.version, GlobalID: v.globalID, ContentID: v.contentID, Created: v.created}
		if c := s.st.contents[v.contentID]; c != nil && withContent {
			uv.ContentType, uv.Schema = c.contentType, indentJSON(c.data)
		}
		ua.Versions = append(ua.Versions, uv)
	}
	if withContent {
		slices.Reverse(ua.Versions) // latest first
	}
	return ua
}

func uiRules(m map[string]string, scope string) []uiRule {
	var out []uiRule
	for _, k := range sortedKeys(m) {
		out = append(out, uiRule{Type: k, Config: m[k], Scope: scope})
	}
	return out
}

// indentJSON indents JSON content; other content is returned as it is.
func indentJSON(data []byte) string {
	var b bytes.Buffer
	if json.Indent(&b, data, "", "  ") != nil {
		return string(data)
	}
	return b.String()
}

func (s *Server) renderUI(w http.ResponseWriter, page uiPage) {
	var b bytes.Buffer
	if err := uiTemplates.Execute(&b, page); err != nil {
		s.logger.Error("registry: render the UI", "err", err)
		http.Error(w, "render the page: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Write(b.Bytes())
}
