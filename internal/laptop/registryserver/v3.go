package registryserver

import (
	"cmp"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"time"
)

// v3 response bodies, as the v3 OpenAPI document names them.

type v3SystemInfo struct {
	Name        string `json:"name"`
	Description string `json:"description"`
	Version     string `json:"version"`
	BuiltOn     string `json:"builtOn"`
}

// v3Audit are the fields, in the order they are written, that say who
// made and changed a group, an artifact or a version, and when. The
// registry has no users: the owner and modifier are empty.
type v3Audit struct {
	Owner      string `json:"owner"`
	CreatedOn  string `json:"createdOn"`
	ModifiedBy string `json:"modifiedBy"`
	ModifiedOn string `json:"modifiedOn"`
}

func toV3Audit(created, modified time.Time) v3Audit {
	return v3Audit{CreatedOn: formatTime(created), ModifiedOn: formatTime(modified)}
}

type v3Group struct {
	GroupID     string `json:"groupId"`
	Description string `json:"description,omitempty"`
	v3Audit
	Labels map[string]string `json:"labels,omitempty"`
}

type v3GroupList struct {
	Groups []v3Group `json:"groups"`
	Count  int       `json:"count"`
}

// v3Artifact serves as both ArtifactMetaData and SearchedArtifact.
type v3Artifact struct {
	GroupID      string `json:"groupId"`
	ArtifactID   string `json:"artifactId"`
	Name         string `json:"name,omitempty"`
	Description  string `json:"description,omitempty"`
	ArtifactType string `json:"artifactType"`
	v3Audit
	Labels map[string]string `json:"labels,omitempty"`
}

type v3ArtifactList struct {
	Artifacts []v3Artifact `json:"artifacts"`
	Count     int          `json:"count"`
}

// v3Version serves as both VersionMetaData and SearchedVersion.
type v3Version struct {
	GroupID      string `json:"groupId"`
	ArtifactID   string `json:"artifactId"`
	Version      string `json:"version"`
	Name         string `json:"name,omitempty"`
	Description  string `json:"description,omitempty"`
	ArtifactType string `json:"artifactType"`
	State        string `json:"state"`
	v3Audit
	GlobalID  int64             `json:"globalId"`
	ContentID int64             `json:"contentId"`
	Labels    map[string]string `json:"labels,omitempty"`
}

type v3VersionList struct {
	Versions []v3Version `json:"versions"`
	Count    int         `json:"count"`
}

type v3CreateArtifactResponse struct {
	Artifact v3Artifact `json:"artifact"`
	Version  *v3Version `json:"version,omitempty"`
}

type v3Rule struct {
	RuleType string `json:"ruleType"`
	Config   string `json:"config"`
}

// v3 request bodies.

type v3VersionContent struct {
	Content     *string           `json:"content"`
	ContentType string            `json:"contentType"`
	References  []json.RawMessage `json:"references"`
	Encoding    string            `json:"encoding"`
}

type v3CreateVersion struct {
	Version     string            `json:"version"`
	Content     *v3VersionContent `json:"content"`
	Name        string            `json:"name"`
	Description string            `json:"description"`
	Labels      map[string]string `json:"labels"`
	Branches    []string          `json:"branches"`
	IsDraft     bool              `json:"isDraft"`
}

type v3CreateArtifact struct {
	ArtifactID   string            `json:"artifactId"`
	ArtifactType string            `json:"artifactType"`
	Name         string            `json:"name"`
	Description  string            `json:"description"`
	Labels       map[string]string `json:"labels"`
	FirstVersion *v3CreateVersion  `json:"firstVersion"`
}

type v3CreateGroup struct {
	GroupID     string            `json:"groupId"`
	Description string            `json:"description"`
	Labels      map[string]string `json:"labels"`
}

func toV3Group(g groupView) v3Group {
	return v3Group{GroupID: g.id, Description: g.description, v3Audit: toV3Audit(g.created, g.modified), Labels: g.labels}
}

func toV3Artifact(a artifactView) v3Artifact {
	return v3Artifact{GroupID: a.groupID, ArtifactID: a.artifactID, Name: a.name, Description: a.description,
		ArtifactType: a.typ, v3Audit: toV3Audit(a.created, a.modified), Labels: a.labels}
}

func toV3Version(v versionView) v3Version {
	return v3Version{GroupID: v.groupID, ArtifactID: v.artifactID, Version: v.version, Name: v.name,
		Description: v.description, ArtifactType: v.typ, State: "ENABLED", v3Audit: toV3Audit(v.created, v.created),
		GlobalID: v.globalID, ContentID: v.contentID, Labels: v.labels}
}

func (s *Server) v3Routes() []route {
	const art = "/groups/{groupId}/artifacts/{artifactId}"
	routes := []route{
		{apiV3, http.MethodGet, "/system/info", s.v3SystemInfo},
		{apiV3, http.MethodGet, "/groups", s.v3ListGroups},
		{apiV3, http.MethodPost, "/groups", s.v3CreateGroup},
		{apiV3, http.MethodGet, "/groups/{groupId}", s.v3GetGroup},
		{apiV3, http.MethodGet, "/groups/{groupId}/artifacts", s.v3ListArtifacts},
		{apiV3, http.MethodPost, "/groups/{groupId}/artifacts", s.v3CreateArtifact},
		{apiV3, http.MethodGet, art, s.v3GetArtifact},
		{apiV3, http.MethodDelete, art, s.v3DeleteArtifact},
		{apiV3, http.MethodGet, art + "/versions", s.v3ListVersions},
		{apiV3, http.MethodPost, art + "/versions", s.v3CreateVersion},
		{apiV3, http.MethodGet, art + "/versions/{versionExpression}", s.v3GetVersion},
		{apiV3, http.MethodGet, art + "/versions/{versionExpression}/content", s.v3GetVersionContent},
		{apiV3, http.MethodGet, "/ids/globalIds/{globalId}", s.v3ContentByGlobalID},
		{apiV3, http.MethodGet, "/ids/contentIds/{contentId}", s.v3ContentByID},
		{apiV3, http.MethodGet, "/ids/contentHashes/{contentHash}", s.v3ContentByHash},
		{apiV3, http.MethodGet, "/search/artifacts", s.v3SearchArtifacts},
	}
	rules := ruleHandlers[v3Rule]{s: s, api: apiV3, field: "ruleType", param: "ruleType",
		body:  func(t, cfg string) v3Rule { return v3Rule{RuleType: t, Config: cfg} },
		split: func(r v3Rule) (string, string) { return r.RuleType, r.Config }}
	return append(routes, rules.routes(art)...)
}

func (s *Server) systemInfo() v3SystemInfo {
	return v3SystemInfo{
		Name:        "salesstream registry",
		Description: "The embedded Apicurio-compatible schema registry of salesstream (core v3 and v2, ccompat v7).",
		Version:     "3.3.0",
		BuiltOn:     formatTime(s.started),
	}
}

func (s *Server) v3SystemInfo(w http.ResponseWriter, _ *http.Request) error {
	writeJSON(w, http.StatusOK, "application/json", s.systemInfo())
	return nil
}

// listParams are the paging and ordering query parameters.
type listParams struct {
	offset, limit int
	desc          bool
	orderBy       string
}

func parseListParams(r *http.Request, defOrderBy string, orderBys ...string) (listParams, error) {
	q := r.URL.Query()
	var p listParams
	var err error
	if p.offset, err = queryInt(q, "offset", 0, 0); err != nil {
		return p, err
	}
	if p.limit, err = queryInt(q, "limit", 20, 0); err != nil {
		return p, err
	}
	order, err := queryEnum(q, "order", "asc", "asc", "desc")
	if err != nil {
		return p, err
	}
	p.desc = order == "desc"
	if p.orderBy, err = queryEnum(q, "orderby", defOrderBy, orderBys...); err != nil {
		return p, err
	}
	if _, err := queryBool(q, "skipCount"); err != nil {
		return p, err
	}
	return p, nil
}

func (s *Server) v3ListGroups(w http.ResponseWriter, r *http.Request) error {
	p, err := parseListParams(r, "groupId", "groupId", "createdOn", "modifiedOn")
	if err != nil {
		return err
	}
	groups := s.listGroups()
	slices.SortFunc(groups, func(a, b groupView) int {
		var c int
		switch p.orderBy {
		case "createdOn":
			c = a.created.Compare(b.created)
		case "modifiedOn":
			c = a.modified.Compare(b.modified)
		}
		if c == 0 {
			c = cmp.Compare(a.id, b.id)
		}
		if p.desc {
			c = -c
		}
		return c
	})
	out := v3GroupList{Groups: pageOf(groups, p.offset, p.limit, toV3Group), Count: len(groups)}
	writeJSON(w, http.StatusOK, "application/json", out)
	return nil
}

func (s *Server) v3CreateGroup(w http.ResponseWriter, r *http.Request) error {
	var req v3CreateGroup
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	if req.GroupID == "" {
		return badRequest("groupId is missing: send {\"groupId\": \"...\"}")
	}
	g, err := s.createGroup(r.Context(), req.GroupID, req.Description, req.Labels)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, "application/json", toV3Group(g))
	return nil
}

func (s *Server) v3GetGroup(w http.ResponseWriter, r *http.Request) error {
	g, err := s.getGroup(r.PathValue("groupId"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, "application/json", toV3Group(g))
	return nil
}

var artifactOrderBys = []string{"groupId", "artifactId", "createdOn", "modifiedOn", "artifactType", "name"}

func sortArtifacts(as []artifactView, orderBy string, desc bool) {
	slices.SortFunc(as, func(a, b artifactView) int {
		var c int
		switch orderBy {
		case "name":
			c = cmp.Compare(cmp.Or(a.name, a.artifactID), cmp.Or(b.name, b.artifactID))
		case "createdOn":
			c = a.created.Compare(b.created)
		case "modifiedOn":
			c = a.modified.Compare(b.modified)
		case "artifactType":
			c = cmp.Compare(a.typ, b.typ)
		case "groupId":
			c = cmp.Compare(a.groupID, b.groupID)
		}
		if c == 0 {
			c = cmp.Or(cmp.Compare(a.groupID, b.groupID), cmp.Compare(a.artifactID, b.artifactID))
		}
		if desc {
			c = -c
		}
		return c
	})
}

func (s *Server) v3ListArtifacts(w http.ResponseWriter, r *http.Request) error {
	p, err := parseListParams(r, "name", artifactOrderBys...)
	if err != nil {
		return err
	}
	groupID := r.PathValue("groupId")
	if _, err := s.getGroup(groupID); err != nil && groupID != defaultGroup {
		return err
	}
	as := s.artifactsWhere(func(a *artifact) bool { return a.groupID == groupID })
	writeJSON(w, http.StatusOK, "application/json", v3PageOfArtifacts(as, p))
	return nil
}

func v3PageOfArtifacts(as []artifactView, p listParams) v3ArtifactList {
	sortArtifacts(as, p.orderBy, p.desc)
	return v3ArtifactList{Artifacts: pageOf(as, p.offset, p.limit, toV3Artifact), Count: len(as)}
}

// v3VersionInput checks a CreateVersion body.
func v3VersionInput(cv *v3CreateVersion, where string) (*versionInput, error) {
	if cv.Content == nil || cv.Content.Content == nil {
		return nil, badRequest("%s.content.content is missing: send the schema text in it", where)
	}
	if len(cv.Content.References) > 0 {
		return nil, badRequest("%s.content.references: artifact references are not supported by this registry; inline the referenced types", where)
	}
	if cv.IsDraft {
		return nil, badRequest("%s.isDraft: draft versions are not supported by this registry; create the version without isDraft", where)
	}
	for _, b := range cv.Branches {
		if b != "latest" {
			return nil, badRequest("%s.branches: only the branch 'latest' exists in this registry, not %q", where, b)
		}
	}
	data := []byte(*cv.Content.Content)
	switch cv.Content.Encoding {
	case "":
	case "base64":
		dec, err := base64.StdEncoding.DecodeString(*cv.Content.Content)
		if err != nil {
			return nil, badRequest("%s.content.content is not valid base64 although encoding is base64: %v", where, err)
		}
		data = dec
	default:
		return nil, badRequest("%s.content.encoding %q is not supported: use base64 or leave it out", where, cv.Content.Encoding)
	}
	return &versionInput{version: cv.Version, name: cv.Name, description: cv.Description, labels: cv.Labels,
		data: data, contentType: cv.Content.ContentType}, nil
}

func (s *Server) v3CreateArtifact(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	ifExists, err := queryEnum(q, "ifExists", "FAIL", "FAIL", "CREATE_VERSION", "FIND_OR_CREATE_VERSION")
	if err != nil {
		return err
	}
	if _, err := queryBool(q, "canonical"); err != nil {
		return err
	}
	dryRun, err := queryBool(q, "dryRun")
	if err != nil {
		return err
	}
	var req v3CreateArtifact
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	in := artifactInput{groupID: r.PathValue("groupId"), artifactID: req.ArtifactID, artifactType: req.ArtifactType,
		name: req.Name, description: req.Description, labels: req.Labels, dryRun: dryRun,
		mode: map[string]createMode{"FAIL": modeFail, "CREATE_VERSION": modeCreateVersion, "FIND_OR_CREATE_VERSION": modeFindOrCreate}[ifExists]}
	if req.FirstVersion != nil {
		if in.first, err = v3VersionInput(req.FirstVersion, "firstVersion"); err != nil {
			return err
		}
	}
	a, v, err := s.createArtifact(r.Context(), in)
	if err != nil {
		return err
	}
	resp := v3CreateArtifactResponse{Artifact: toV3Artifact(a)}
	if v != nil {
		vv := toV3Version(*v)
		resp.Version = &vv
	}
	writeJSON(w, http.StatusOK, "application/json", resp)
	return nil
}

func (s *Server) v3GetArtifact(w http.ResponseWriter, r *http.Request) error {
	a, err := s.getArtifact(r.PathValue("groupId"), r.PathValue("artifactId"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, "application/json", toV3Artifact(a))
	return nil
}

func (s *Server) v3DeleteArtifact(w http.ResponseWriter, r *http.Request) error {
	if _, err := s.deleteArtifact(r.Context(), r.PathValue("groupId"), r.PathValue("artifactId")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) v3ListVersions(w http.ResponseWriter, r *http.Request) error {
	p, err := parseListParams(r, "globalId", "groupId", "artifactId", "version", "name", "createdOn", "modifiedOn", "globalId")
	if err != nil {
		return err
	}
	vs, err := s.listVersions(r.PathValue("groupId"), r.PathValue("artifactId"))
	if err != nil {
		return err
	}
	slices.SortFunc(vs, func(a, b versionView) int {
		var c int
		switch p.orderBy {
		case "version":
			c = cmp.Compare(a.version, b.version)
		case "name":
			c = cmp.Compare(a.name, b.name)
		}
		if c == 0 {
			c = cmp.Compare(a.globalID, b.globalID)
		}
		if p.desc {
			c = -c
		}
		return c
	})
	out := v3VersionList{Versions: pageOf(vs, p.offset, p.limit, toV3Version), Count: len(vs)}
	writeJSON(w, http.StatusOK, "application/json", out)
	return nil
}

func (s *Server) v3CreateVersion(w http.ResponseWriter, r *http.Request) error {
	dryRun, err := queryBool(r.URL.Query(), "dryRun")
	if err != nil {
		return err
	}
	var req v3CreateVersion
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	in, err := v3VersionInput(&req, "body")
	if err != nil {
		return err
	}
	v, err := s.createVersion(r.Context(), r.PathValue("groupId"), r.PathValue("artifactId"), *in, dryRun)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, "application/json", toV3Version(v))
	return nil
}

func (s *Server) v3GetVersion(w http.ResponseWriter, r *http.Request) error {
	v, err := s.getVersion(r.PathValue("groupId"), r.PathValue("artifactId"), r.PathValue("versionExpression"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, "application/json", toV3Version(v))
	return nil
}

func (s *Server) v3GetVersionContent(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	if _, err := queryEnum(q, "references", "PRESERVE", "PRESERVE", "DEREFERENCE", "REWRITE"); err != nil {
		return err
	}
	canonical, err := queryBool(q, "canonical")
	if err != nil {
		return err
	}
	v, err := s.getVersion(r.PathValue("groupId"), r.PathValue("artifactId"), r.PathValue("versionExpression"))
	if err != nil {
		return err
	}
	data := v.content
	if canonical && v.typ == typeAvro {
		if c, err := canonicalAvro(data); err == nil {
			data = []byte(c)
		}
	}
	writeContent(w, v.typ, v.contentType, data)
	return nil
}

func (s *Server) v3ContentByGlobalID(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	if _, err := queryEnum(q, "references", "PRESERVE", "PRESERVE", "DEREFERENCE", "REWRITE"); err != nil {
		return err
	}
	if _, err := queryBool(q, "returnArtifactType"); err != nil {
		return err
	}
	id, err := pathInt64(r, "globalId")
	if err != nil {
		return err
	}
	v, err := s.versionByGlobalID(id)
	if err != nil {
		return err
	}
	writeContent(w, v.typ, v.contentType, v.content)
	return nil
}

func (s *Server) v3ContentByID(w http.ResponseWriter, r *http.Request) error {
	id, err := pathInt64(r, "contentId")
	if err != nil {
		return err
	}
	c, err := s.contentByID(id)
	if err != nil {
		return err
	}
	writeContent(w, "", c.contentType, c.data)
	return nil
}

func (s *Server) v3ContentByHash(w http.ResponseWriter, r *http.Request) error {
	c, err := s.contentByHash(r.PathValue("contentHash"))
	if err != nil {
		return err
	}
	writeContent(w, "", c.contentType, c.data)
	return nil
}

// labelFilter matches labels against "key" or "key:value" filters.
func labelFilter(filters []string, labels map[string]string) bool {
	for _, f := range filters {
		k, v, hasValue := strings.Cut(f, ":")
		got, ok := labels[k]
		if !ok || (hasValue && got != v) {
			return false
		}
	}
	return true
}

func containsFold(s, sub string) bool {
	return strings.Contains(strings.ToLower(s), strings.ToLower(sub))
}

// artifactFilter holds the search filters shared by v3 and v2.
type artifactFilter struct {
	name, description, groupID, artifactID, artifactType string
	labels                                               []string
	globalID, contentID                                  int64
	hasGlobalID, hasContentID                            bool
}

// match reports whether an artifact passes the filters. The caller holds s.mu.
func (f artifactFilter) match(a *artifact) bool {
	switch {
	case f.groupID != "" && a.groupID != f.groupID,
		f.artifactID != "" && a.id != f.artifactID,
		f.artifactType != "" && a.typ != f.artifactType,
		f.name != "" && !containsFold(cmp.Or(a.name, a.id), f.name),
		f.description != "" && !containsFold(a.description, f.description),
		!labelFilter(f.labels, a.labels):
		return false
	}
	if f.hasGlobalID || f.hasContentID {
		for _, v := range a.versions {
			if (!f.hasGlobalID || v.globalID == f.globalID) && (!f.hasContentID || v.contentID == f.contentID) {
				return true
			}
		}
		return false
	}
	return true
}

func parseArtifactFilter(r *http.Request, groupParam string) (artifactFilter, error) {
	q := r.URL.Query()
	f := artifactFilter{name: q.Get("name"), description: q.Get("description"), groupID: q.Get(groupParam),
		artifactID: q.Get("artifactId"), artifactType: q.Get("artifactType"), labels: q["labels"]}
	f.labels = append(f.labels, q["properties"]...)
	var err error
	if f.globalID, f.hasGlobalID, err = queryInt64(q, "globalId"); err != nil {
		return f, err
	}
	if f.contentID, f.hasContentID, err = queryInt64(q, "contentId"); err != nil {
		return f, err
	}
	return f, nil
}

func (s *Server) v3SearchArtifacts(w http.ResponseWriter, r *http.Request) error {
	p, err := parseListParams(r, "name", artifactOrderBys...)
	if err != nil {
		return err
	}
	f, err := parseArtifactFilter(r, "groupId")
	if err != nil {
		return err
	}
	as := s.artifactsWhere(f.match)
	writeJSON(w, http.StatusOK, "application/json", v3PageOfArtifacts(as, p))
	return nil
}
