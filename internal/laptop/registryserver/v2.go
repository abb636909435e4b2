package registryserver

import (
	"encoding/base64"
	"encoding/json"
	"mime"
	"net/http"
	"strings"
	"time"
)

// v2 response bodies, as the v2 OpenAPI document names them. v3 labels are
// shown as v2 properties; v2 labels are always empty.

type v2ArtifactMeta struct {
	GroupID     string `json:"groupId"`
	ID          string `json:"id"`
	Name        string `json:"name,omitempty"`
	Description string `json:"description,omitempty"`
	CreatedBy   string `json:"createdBy"`
	CreatedOn   string `json:"createdOn"`
	ModifiedBy  string `json:"modifiedBy"`
	ModifiedOn  string `json:"modifiedOn"`
	Version     string `json:"version"`
	v2VersionFields
	References []any `json:"references"`
}

type v2VersionMeta struct {
	GroupID     string `json:"groupId"`
	ID          string `json:"id"`
	Version     string `json:"version"`
	Name        string `json:"name,omitempty"`
	Description string `json:"description,omitempty"`
	CreatedBy   string `json:"createdBy"`
	CreatedOn   string `json:"createdOn"`
	v2VersionFields
}

// v2VersionFields are the fields, in the order they are written, that v2's
// ArtifactMetaData (of the latest version) and VersionMetaData share.
type v2VersionFields struct {
	Type       string            `json:"type"`
	GlobalID   int64             `json:"globalId"`
	State      string            `json:"state"`
	Labels     []string          `json:"labels"`
	Properties map[string]string `json:"properties"`
	ContentID  int64             `json:"contentId"`
}

// toV2VersionFields shows v3 labels as v2 properties; v2 labels are always
// empty, and every version is ENABLED. v is nil for an artifact without
// versions.
func toV2VersionFields(typ string, labels map[string]string, v *versionView) v2VersionFields {
	out := v2VersionFields{Type: typ, State: "ENABLED", Labels: []string{}, Properties: props(labels)}
	if v != nil {
		out.GlobalID, out.ContentID = v.globalID, v.contentID
	}
	return out
}

// v2Searched are the fields, in the order they are written, that v2's
// SearchedArtifact and SearchedVersion share.
type v2Searched struct {
	Name        string   `json:"name,omitempty"`
	Description string   `json:"description,omitempty"`
	CreatedOn   string   `json:"createdOn"`
	CreatedBy   string   `json:"createdBy"`
	Type        string   `json:"type"`
	Labels      []string `json:"labels"`
	State       string   `json:"state"`
}

// toV2Searched makes the shared fields of a search result; v2 labels are
// always empty, and everything is ENABLED.
func toV2Searched(name, description string, created time.Time, typ string) v2Searched {
	return v2Searched{Name: name, Description: description, CreatedOn: formatTime(created), Type: typ,
		Labels: []string{}, State: "ENABLED"}
}

type v2SearchedArtifact struct {
	GroupID string `json:"groupId"`
	ID      string `json:"id"`
	v2Searched
	ModifiedOn string `json:"modifiedOn"`
	ModifiedBy string `json:"modifiedBy"`
}

type v2ArtifactList struct {
	Artifacts []v2SearchedArtifact `json:"artifacts"`
	Count     int                  `json:"count"`
}

type v2SearchedVersion struct {
	v2Searched
	GlobalID   int64             `json:"globalId"`
	Version    string            `json:"version"`
	Properties map[string]string `json:"properties"`
	ContentID  int64             `json:"contentId"`
	References []any             `json:"references"`
}

type v2VersionList struct {
	Versions []v2SearchedVersion `json:"versions"`
	Count    int                 `json:"count"`
}

type v2Rule struct {
	Type   string `json:"type"`
	Config string `json:"config"`
}

func props(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}

func toV2ArtifactMeta(a artifactView, v *versionView) v2ArtifactMeta {
	if v == nil {
		v = a.latest
	}
	out := v2ArtifactMeta{GroupID: a.groupID, ID: a.artifactID, Name: a.name, Description: a.description,
		CreatedOn: formatTime(a.created), ModifiedOn: formatTime(a.modified),
		v2VersionFields: toV2VersionFields(a.typ, a.labels, v), References: []any{}}
	if v != nil {
		out.Version = v.version
	}
	return out
}

func toV2VersionMeta(v versionView) v2VersionMeta {
	return v2VersionMeta{GroupID: v.groupID, ID: v.artifactID, Version: v.version, Name: v.name,
		Description: v.description, CreatedOn: formatTime(v.created), v2VersionFields: toV2VersionFields(v.typ, v.labels, &v)}
}

func (s *Server) v2Routes() []route {
	const art = "/groups/{groupId}/artifacts/{artifactId}"
	routes := []route{
		{apiV2, http.MethodGet, "/system/info", s.v3SystemInfo},
		{apiV2, http.MethodGet, "/groups/{groupId}/artifacts", s.v2ListArtifacts},
		{apiV2, http.MethodPost, "/groups/{groupId}/artifacts", s.v2CreateArtifact},
		{apiV2, http.MethodGet, art, s.v2GetLatest},
		{apiV2, http.MethodPut, art, s.v2UpdateArtifact},
		{apiV2, http.MethodDelete, art, s.v3DeleteArtifact},
		{apiV2, http.MethodGet, art + "/meta", s.v2GetArtifactMeta},
		{apiV2, http.MethodPost, art + "/meta", s.v2LookupByContent},
		{apiV2, http.MethodGet, art + "/versions", s.v2ListVersions},
		{apiV2, http.MethodPost, art + "/versions", s.v2CreateVersion},
		{apiV2, http.MethodGet, art + "/versions/{version}", s.v2GetVersion},
		{apiV2, http.MethodGet, art + "/versions/{version}/meta", s.v2GetVersionMeta},
		{apiV2, http.MethodGet, "/ids/globalIds/{globalId}", s.v3ContentByGlobalID},
		{apiV2, http.MethodGet, "/ids/contentIds/{contentId}", s.v3ContentByID},
		{apiV2, http.MethodGet, "/ids/contentHashes/{contentHash}", s.v3ContentByHash},
		{apiV2, http.MethodGet, "/search/artifacts", s.v2SearchArtifacts},
	}
	rules := ruleHandlers[v2Rule]{s: s, api: apiV2, field: "type", param: "rule",
		body:  func(t, cfg string) v2Rule { return v2Rule{Type: t, Config: cfg} },
		split: func(r v2Rule) (string, string) { return r.Type, r.Config }}
	return append(routes, rules.routes(art)...)
}

// v2Header reads a plain or base64-encoded (the -Encoded form) header.
func v2Header(r *http.Request, name string) (string, error) {
	if enc := r.Header.Get(name + "-Encoded"); enc != "" {
		b, err := base64.StdEncoding.DecodeString(enc)
		if err != nil {
			return "", badRequest("header %s-Encoded is not valid base64: %v", name, err)
		}
		return string(b), nil
	}
	return r.Header.Get(name), nil
}

// v2Content reads a v2 content body: the raw schema, or for the extended
// content types a JSON {content, references} document.
func v2Content(r *http.Request) ([]byte, string, error) {
	body, err := readBody(r)
	if err != nil {
		return nil, "", err
	}
	ct := r.Header.Get("Content-Type")
	mt, _, _ := mime.ParseMediaType(ct)
	if strings.HasSuffix(mt, "create.extended+json") || strings.HasSuffix(mt, "get.extended+json") {
		var ext struct {
			Content    *string           `json:"content"`
			References []json.RawMessage `json:"references"`
		}
		if err := json.Unmarshal(body, &ext); err != nil {
			return nil, "", badRequest("malformed JSON in the extended content body: %v", err)
		}
		if ext.Content == nil {
			return nil, "", badRequest("the extended content body has no content: send {\"content\": \"...\", \"references\": []}")
		}
		if len(ext.References) > 0 {
			return nil, "", badRequest("artifact references are not supported by this registry; inline the referenced types")
		}
		return []byte(*ext.Content), "application/json", nil
	}
	if mt == "" || mt == "application/octet-stream" || mt == "*/*" {
		mt = ""
	}
	return body, mt, nil
}

func (s *Server) v2VersionInput(r *http.Request) (versionInput, error) {
	data, ct, err := v2Content(r)
	if err != nil {
		return versionInput{}, err
	}
	name, err := v2Header(r, "X-Registry-Name")
	if err != nil {
		return versionInput{}, err
	}
	desc, err := v2Header(r, "X-Registry-Description")
	if err != nil {
		return versionInput{}, err
	}
	return versionInput{version: r.Header.Get("X-Registry-Version"), name: name, description: desc,
		data: data, contentType: ct}, nil
}

func (s *Server) v2CreateArtifact(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	ifExists, err := queryEnum(q, "ifExists", "FAIL", "FAIL", "UPDATE", "RETURN", "RETURN_OR_UPDATE")
	if err != nil {
		return err
	}
	if _, err := queryBool(q, "canonical"); err != nil {
		return err
	}
	vi, err := s.v2VersionInput(r)
	if err != nil {
		return err
	}
	in := artifactInput{groupID: r.PathValue("groupId"), artifactID: r.Header.Get("X-Registry-ArtifactId"),
		artifactType: r.Header.Get("X-Registry-ArtifactType"), name: vi.name, description: vi.description, first: &vi,
		mode: map[string]createMode{"FAIL": modeFail, "UPDATE": modeCreateVersion, "RETURN": modeReturnLatest,
			"RETURN_OR_UPDATE": modeFindOrCreate}[ifExists]}
	a, v, err := s.createArtifact(r.Context(), in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, "application/json", toV2ArtifactMeta(a, v))
	return nil
}

func (s *Server) v2UpdateArtifact(w http.ResponseWriter, r *http.Request) error {
	vi, err := s.v2VersionInput(r)
	if err != nil {
		return err
	}
	groupID, artifactID := r.PathValue("groupId"), r.PathValue("artifactId")
	v, err := s.createVersion(r.Context(), groupID, artifactID, vi, false)
	if err != nil {
		return err
	}
	a, err := s.getArtifact(groupID, artifactID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, "application/json", toV2ArtifactMeta(a, &v))
	return nil
}

func (s *Server) v2ListArtifacts(w http.ResponseWriter, r *http.Request) error {
	p, err := parseListParams(r, "name", "name", "createdOn")
	if err != nil {
		return err
	}
	groupID := r.PathValue("groupId")
	as := s.artifactsWhere(func(a *artifact) bool { return a.groupID == groupID })
	writeJSON(w, http.StatusOK, "application/json", v2PageOfArtifacts(as, p))
	return nil
}

func v2PageOfArtifacts(as []artifactView, p listParams) v2ArtifactList {
	sortArtifacts(as, p.orderBy, p.desc)
	out := v2ArtifactList{Count: len(as), Artifacts: pageOf(as, p.offset, p.limit, func(a artifactView) v2SearchedArtifact {
		return v2SearchedArtifact{GroupID: a.groupID, ID: a.artifactID,
			v2Searched: toV2Searched(a.name, a.description, a.created, a.typ), ModifiedOn: formatTime(a.modified)}
	})}
	return out
}

func (s *Server) v2SearchArtifacts(w http.ResponseWriter, r *http.Request) error {
	p, err := parseListParams(r, "name", "name", "createdOn")
	if err != nil {
		return err
	}
	f, err := parseArtifactFilter(r, "group")
	if err != nil {
		return err
	}
	as := s.artifactsWhere(f.match)
	writeJSON(w, http.StatusOK, "application/json", v2PageOfArtifacts(as, p))
	return nil
}

func (s *Server) v2GetLatest(w http.ResponseWriter, r *http.Request) error {
	return s.v2WriteContent(w, r, "branch=latest")
}

func (s *Server) v2GetArtifactMeta(w http.ResponseWriter, r *http.Request) error {
	a, err := s.getArtifact(r.PathValue("groupId"), r.PathValue("artifactId"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, "application/json", toV2ArtifactMeta(a, nil))
	return nil
}

func (s *Server) v2LookupByContent(w http.ResponseWriter, r *http.Request) error {
	if _, err := queryBool(r.URL.Query(), "canonical"); err != nil {
		return err
	}
	data, _, err := v2Content(r)
	if err != nil {
		return err
	}
	v, err := s.lookupByContent(r.PathValue("groupId"), r.PathValue("artifactId"), data)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, "application/json", toV2VersionMeta(v))
	return nil
}

func (s *Server) v2ListVersions(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	offset, err := queryInt(q, "offset", 0, 0)
	if err != nil {
		return err
	}
	limit, err := queryInt(q, "limit", 20, 0)
	if err != nil {
		return err
	}
	vs, err := s.listVersions(r.PathValue("groupId"), r.PathValue("artifactId"))
	if err != nil {
		return err
	}
	out := v2VersionList{Count: len(vs), Versions: pageOf(vs, offset, limit, func(v versionView) v2SearchedVersion {
		return v2SearchedVersion{v2Searched: toV2Searched(v.name, v.description, v.created, v.typ), GlobalID: v.globalID,
			Version: v.version, Properties: props(v.labels), ContentID: v.contentID, References: []any{}}
	})}
	writeJSON(w, http.StatusOK, "application/json", out)
	return nil
}

func (s *Server) v2CreateVersion(w http.ResponseWriter, r *http.Request) error {
	vi, err := s.v2VersionInput(r)
	if err != nil {
		return err
	}
	v, err := s.createVersion(r.Context(), r.PathValue("groupId"), r.PathValue("artifactId"), vi, false)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, "application/json", toV2VersionMeta(v))
	return nil
}

func (s *Server) v2GetVersion(w http.ResponseWriter, r *http.Request) error {
	return s.v2WriteContent(w, r, r.PathValue("version"))
}

// v2WriteContent answers a v2 GET of an artifact's content: that of the
// version the expression version names.
func (s *Server) v2WriteContent(w http.ResponseWriter, r *http.Request, version string) error {
	if _, err := queryBool(r.URL.Query(), "dereference"); err != nil {
		return err
	}
	v, err := s.getVersion(r.PathValue("groupId"), r.PathValue("artifactId"), version)
	if err != nil {
		return err
	}
	writeContent(w, v.typ, v.contentType, v.content)
	return nil
}

func (s *Server) v2GetVersionMeta(w http.ResponseWriter, r *http.Request) error {
	v, err := s.getVersion(r.PathValue("groupId"), r.PathValue("artifactId"), r.PathValue("version"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, "application/json", toV2VersionMeta(v))
	return nil
}
