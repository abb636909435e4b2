package registryserver

import (
	"cmp"
	"net/http"
	"slices"
	"strconv"
	"strings"
)

// The Confluent-compatible view: a subject is an artifact of the group named
// by the X-Registry-GroupId header ("default" without it), a schema id is a
// contentId and a version number is the version's position in its artifact.

type ccSchema struct {
	Subject    string `json:"subject"`
	Version    int    `json:"version"`
	ID         int64  `json:"id"`
	Schema     string `json:"schema"`
	SchemaType string `json:"schemaType,omitempty"`
}

type ccRegisterRequest struct {
	Schema     *string `json:"schema"`
	SchemaType string  `json:"schemaType"`
	References []any   `json:"references"`
}

type ccSubjectVersion struct {
	Subject string `json:"subject"`
	Version int    `json:"version"`
}

func ccSchemaType(typ string) string {
	if typ == typeAvro {
		return ""
	}
	return typ
}

func toCCSchema(v versionView) ccSchema {
	return ccSchema{Subject: v.artifactID, Version: v.order, ID: v.contentID, Schema: string(v.content), SchemaType: ccSchemaType(v.typ)}
}

func ccGroup(r *http.Request) string {
	return cmp.Or(r.Header.Get("X-Registry-GroupId"), defaultGroup)
}

func ccInvalidSchema(format string, args ...any) *apiError {
	return newAPIError(http.StatusUnprocessableEntity, "InvalidSchemaException", format, args...).withCode(42201)
}

func subjectNotFound(subject string) *apiError {
	return notFound("SubjectNotFoundException", "Subject '%s' not found.", subject).withCode(40401)
}

func writeCC(w http.ResponseWriter, v any) {
	writeJSON(w, http.StatusOK, ccompatContentType, v)
}

func (s *Server) ccompatRoutes() []route {
	return []route{
		{apiCcompat, http.MethodGet, "/subjects", s.ccListSubjects},
		{apiCcompat, http.MethodPost, "/subjects/{subject}", s.ccLookup},
		{apiCcompat, http.MethodDelete, "/subjects/{subject}", s.ccDeleteSubject},
		{apiCcompat, http.MethodGet, "/subjects/{subject}/versions", s.ccListVersions},
		{apiCcompat, http.MethodPost, "/subjects/{subject}/versions", s.ccRegister},
		{apiCcompat, http.MethodGet, "/subjects/{subject}/versions/{version}", s.ccGetVersion},
		{apiCcompat, http.MethodGet, "/subjects/{subject}/versions/{version}/schema", s.ccGetVersionSchema},
		{apiCcompat, http.MethodGet, "/schemas", s.ccListSchemas},
		{apiCcompat, http.MethodGet, "/schemas/ids/{id}", s.ccSchemaByID},
		{apiCcompat, http.MethodGet, "/schemas/ids/{id}/schema", s.ccSchemaContentByID},
		{apiCcompat, http.MethodGet, "/schemas/ids/{id}/versions", s.ccVersionsByID},
		{apiCcompat, http.MethodGet, "/schemas/ids/{id}/subjects", s.ccSubjectsByID},
		{apiCcompat, http.MethodGet, "/schemas/types", s.ccSchemaTypes},
		{apiCcompat, http.MethodPost, "/compatibility/subjects/{subject}/versions/{version}", s.ccCheckVersion},
		{apiCcompat, http.MethodPost, "/compatibility/subjects/{subject}/versions", s.ccCheckAll},
		{apiCcompat, http.MethodGet, "/config", s.ccGetGlobalConfig},
		{apiCcompat, http.MethodPut, "/config", s.ccPutGlobalConfig},
		{apiCcompat, http.MethodGet, "/config/{subject}", s.ccGetSubjectConfig},
		{apiCcompat, http.MethodPut, "/config/{subject}", s.ccPutSubjectConfig},
		{apiCcompat, http.MethodDelete, "/config/{subject}", s.ccDeleteSubjectConfig},
		{apiCcompat, http.MethodGet, "/mode", s.ccGetMode},
	}
}

// ccPaging reads offset and limit (-1: all).
func ccPaging(r *http.Request) (int, int, error) {
	q := r.URL.Query()
	offset, err := queryInt(q, "offset", 0, 0)
	if err != nil {
		return 0, 0, err
	}
	limit, err := queryInt(q, "limit", -1, -1)
	if err != nil {
		return 0, 0, err
	}
	for _, b := range []string{"deleted", "deletedOnly", "latestOnly", "permanent", "normalize", "verbose", "defaultToGlobal"} {
		if _, err := queryBool(q, b); err != nil {
			return 0, 0, err
		}
	}
	return offset, limit, nil
}

func (s *Server) ccListSubjects(w http.ResponseWriter, r *http.Request) error {
	offset, limit, err := ccPaging(r)
	if err != nil {
		return err
	}
	groupID, prefix := ccGroup(r), r.URL.Query().Get("subjectPrefix")
	as := s.artifactsWhere(func(a *artifact) bool {
		return a.groupID == groupID && strings.HasPrefix(a.id, prefix) && len(a.versions) > 0
	})
	names := make([]string, 0, len(as))
	for _, a := range as {
		names = append(names, a.artifactID)
	}
	slices.Sort(names)
	from, to := page(len(names), offset, limit)
	writeCC(w, names[from:to])
	return nil
}

// ccReadSchema reads a RegisterSchemaRequest and resolves its type.
func ccReadSchema(r *http.Request) ([]byte, string, error) {
	var req ccRegisterRequest
	if err := decodeJSON(r, &req); err != nil {
		return nil, "", err
	}
	if req.Schema == nil || strings.TrimSpace(*req.Schema) == "" {
		return nil, "", ccInvalidSchema("Empty schema: send {\"schema\": \"<the schema as a string>\"}")
	}
	if len(req.References) > 0 {
		return nil, "", ccInvalidSchema("Schema references are not supported by this registry: inline the referenced types")
	}
	typ := strings.ToUpper(cmp.Or(req.SchemaType, typeAvro))
	if typ != typeAvro && typ != "JSON" && typ != "PROTOBUF" {
		return nil, "", ccInvalidSchema("Unknown schema type %q: use AVRO, JSON or PROTOBUF", req.SchemaType)
	}
	return []byte(*req.Schema), typ, nil
}

func (s *Server) ccRegister(w http.ResponseWriter, r *http.Request) error {
	if _, _, err := ccPaging(r); err != nil {
		return err
	}
	data, typ, err := ccReadSchema(r)
	if err != nil {
		return err
	}
	_, v, err := s.createArtifact(r.Context(), artifactInput{groupID: ccGroup(r), artifactID: r.PathValue("subject"),
		artifactType: typ, first: &versionInput{data: data}, mode: modeFindOrCreate, strictAvro: true})
	if err != nil {
		return err
	}
	writeCC(w, map[string]int64{"id": v.contentID})
	return nil
}

func (s *Server) ccLookup(w http.ResponseWriter, r *http.Request) error {
	if _, _, err := ccPaging(r); err != nil {
		return err
	}
	data, _, err := ccReadSchema(r)
	if err != nil {
		return err
	}
	v, err := s.lookupByContent(ccGroup(r), r.PathValue("subject"), data)
	if err != nil {
		return ccSubjectErr(err, r.PathValue("subject"))
	}
	writeCC(w, toCCSchema(v))
	return nil
}

// ccSubjectErr words an artifact-not-found error as a subject one.
func ccSubjectErr(err error, subject string) error {
	if ae := asAPIError(err); ae.name == "ArtifactNotFoundException" {
		return subjectNotFound(subject)
	}
	return err
}

func (s *Server) ccDeleteSubject(w http.ResponseWriter, r *http.Request) error {
	if _, _, err := ccPaging(r); err != nil {
		return err
	}
	vs, err := s.deleteArtifact(r.Context(), ccGroup(r), r.PathValue("subject"))
	if err != nil {
		return ccSubjectErr(err, r.PathValue("subject"))
	}
	orders := make([]int, 0, len(vs))
	for _, v := range vs {
		orders = append(orders, v.order)
	}
	writeCC(w, orders)
	return nil
}

func (s *Server) ccListVersions(w http.ResponseWriter, r *http.Request) error {
	offset, limit, err := ccPaging(r)
	if err != nil {
		return err
	}
	vs, err := s.listVersions(ccGroup(r), r.PathValue("subject"))
	if err != nil {
		return ccSubjectErr(err, r.PathValue("subject"))
	}
	orders := make([]int, 0, len(vs))
	for _, v := range vs {
		orders = append(orders, v.order)
	}
	from, to := page(len(orders), offset, limit)
	writeCC(w, orders[from:to])
	return nil
}

// ccVersion resolves a ccompat version: "latest", -1, or a position >= 1.
func (s *Server) ccVersion(r *http.Request) (versionView, error) {
	groupID, subject, raw := ccGroup(r), r.PathValue("subject"), r.PathValue("version")
	if raw == "latest" || raw == "-1" {
		v, err := s.getVersion(groupID, subject, "branch=latest")
		if err != nil {
			return v, ccSubjectErr(err, subject)
		}
		return v, nil
	}
	n, err := strconv.Atoi(raw)
	if err != nil || n < 1 {
		return versionView{}, newAPIError(http.StatusUnprocessableEntity, "InvalidVersionException",
			"The specified version '%s' is not a valid version id: use an integer from 1 or \"latest\".", raw).withCode(42202)
	}
	v, err := s.getVersionByOrder(groupID, subject, n)
	if err != nil {
		return v, ccSubjectErr(err, subject)
	}
	return v, nil
}

func (s *Server) ccGetVersion(w http.ResponseWriter, r *http.Request) error {
	if _, _, err := ccPaging(r); err != nil {
		return err
	}
	v, err := s.ccVersion(r)
	if err != nil {
		return err
	}
	writeCC(w, toCCSchema(v))
	return nil
}

func (s *Server) ccGetVersionSchema(w http.ResponseWriter, r *http.Request) error {
	if _, _, err := ccPaging(r); err != nil {
		return err
	}
	v, err := s.ccVersion(r)
	if err != nil {
		return err
	}
	writeContent(w, "", ccompatContentType, v.content)
	return nil
}

func (s *Server) ccListSchemas(w http.ResponseWriter, r *http.Request) error {
	offset, limit, err := ccPaging(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	latestOnly, _ := queryBool(q, "latestOnly")
	groupID, prefix := ccGroup(r), q.Get("subjectPrefix")
	var out []ccSchema
	for _, a := range s.artifactsWhere(func(a *artifact) bool { return a.groupID == groupID && strings.HasPrefix(a.id, prefix) }) {
		vs, err := s.listVersions(a.groupID, a.artifactID)
		if err != nil {
			continue // deleted meanwhile
		}
		if latestOnly && len(vs) > 0 {
			vs = vs[len(vs)-1:]
		}
		for _, v := range vs {
			out = append(out, toCCSchema(v))
		}
	}
	slices.SortFunc(out, func(a, b ccSchema) int {
		return cmp.Or(cmp.Compare(a.Subject, b.Subject), cmp.Compare(a.Version, b.Version))
	})
	from, to := page(len(out), offset, limit)
	writeCC(w, append([]ccSchema{}, out[from:to]...))
	return nil
}

// ccContent returns a content by schema id and the versions using it, oldest
// first.
func (s *Server) ccContent(r *http.Request) (contentView, []versionView, error) {
	id, err := pathInt64(r, "id")
	if err != nil {
		return contentView{}, nil, err
	}
	c, err := s.contentByID(id)
	if err != nil {
		return contentView{}, nil, notFound("SchemaNotFoundException", "Schema %d not found.", id).withCode(40403)
	}
	vs := s.versionsWithContent(id)
	slices.SortFunc(vs, func(a, b versionView) int { return cmp.Compare(a.globalID, b.globalID) })
	return c, vs, nil
}

func (s *Server) ccSchemaByID(w http.ResponseWriter, r *http.Request) error {
	c, vs, err := s.ccContent(r)
	if err != nil {
		return err
	}
	out := ccSchema{ID: c.id, Schema: string(c.data)}
	if subject := r.URL.Query().Get("subject"); subject != "" {
		vs = slices.DeleteFunc(vs, func(v versionView) bool { return v.artifactID != subject })
	}
	if len(vs) > 0 {
		out.Subject, out.Version, out.SchemaType = vs[0].artifactID, vs[0].order, ccSchemaType(vs[0].typ)
	} else if t, ok := detectType(c.data); ok {
		out.SchemaType = ccSchemaType(t)
	}
	writeCC(w, out)
	return nil
}

func (s *Server) ccSchemaContentByID(w http.ResponseWriter, r *http.Request) error {
	c, _, err := s.ccContent(r)
	if err != nil {
		return err
	}
	writeContent(w, "", ccompatContentType, c.data)
	return nil
}

func (s *Server) ccVersionsByID(w http.ResponseWriter, r *http.Request) error {
	_, vs, err := s.ccContent(r)
	if err != nil {
		return err
	}
	out := make([]ccSubjectVersion, 0, len(vs))
	for _, v := range vs {
		out = append(out, ccSubjectVersion{Subject: v.artifactID, Version: v.order})
	}
	writeCC(w, out)
	return nil
}

func (s *Server) ccSubjectsByID(w http.ResponseWriter, r *http.Request) error {
	_, vs, err := s.ccContent(r)
	if err != nil {
		return err
	}
	out := []string{}
	for _, v := range vs {
		if !slices.Contains(out, v.artifactID) {
			out = append(out, v.artifactID)
		}
	}
	slices.Sort(out)
	writeCC(w, out)
	return nil
}

func (s *Server) ccSchemaTypes(w http.ResponseWriter, _ *http.Request) error {
	writeCC(w, []string{"AVRO", "JSON", "PROTOBUF"})
	return nil
}

type ccCompatResult struct {
	IsCompatible bool     `json:"is_compatible"`
	Messages     []string `json:"messages,omitempty"`
}

// ccCheck checks a schema against versions of a subject at the subject's
// effective compatibility level.
func (s *Server) ccCheck(w http.ResponseWriter, r *http.Request, against func([]priorVersion) ([]priorVersion, error), transitive bool) error {
	if _, _, err := ccPaging(r); err != nil {
		return err
	}
	data, typ, err := ccReadSchema(r)
	if err != nil {
		return err
	}
	groupID, subject := ccGroup(r), r.PathValue("subject")
	level, err := s.effectiveRule(groupID, subject, ruleCompatibility)
	if err != nil {
		return ccSubjectErr(err, subject)
	}
	prior, err := s.priorOf(groupID, subject)
	if err != nil {
		return ccSubjectErr(err, subject)
	}
	if prior, err = against(prior); err != nil {
		return err
	}
	result := ccCompatResult{IsCompatible: true}
	if typ == typeAvro {
		candidate, err := parseAvro(data)
		if err != nil {
			return ccInvalidSchema("Invalid schema: %v", err)
		}
		if level != "" && level != "NONE" && len(prior) > 0 {
			if !transitive {
				level = strings.TrimSuffix(level, "_TRANSITIVE")
			}
			for _, c := range checkCompatibility(level, candidate, prior) {
				result.IsCompatible = false
				result.Messages = append(result.Messages, c.Description)
			}
		}
	}
	if verbose, _ := queryBool(r.URL.Query(), "verbose"); !verbose {
		result.Messages = nil
	}
	writeCC(w, result)
	return nil
}

func (s *Server) ccCheckVersion(w http.ResponseWriter, r *http.Request) error {
	raw := r.PathValue("version")
	return s.ccCheck(w, r, func(prior []priorVersion) ([]priorVersion, error) {
		if raw == "latest" || raw == "-1" {
			if len(prior) == 0 {
				return nil, notFound("VersionNotFoundException", "Subject '%s' has no versions.", r.PathValue("subject")).withCode(40402)
			}
			return prior[len(prior)-1:], nil
		}
		v, err := s.ccVersion(r)
		if err != nil {
			return nil, err
		}
		for _, p := range prior {
			if p.version == v.version {
				return []priorVersion{p}, nil
			}
		}
		return nil, versionNotFound(v.groupID, v.artifactID, raw)
	}, false)
}

func (s *Server) ccCheckAll(w http.ResponseWriter, r *http.Request) error {
	return s.ccCheck(w, r, func(prior []priorVersion) ([]priorVersion, error) { return prior, nil }, true)
}

type ccConfigRequest struct {
	Compatibility string `json:"compatibility"`
}

func ccCompatLevel(r *http.Request) (string, error) {
	var req ccConfigRequest
	if err := decodeJSON(r, &req); err != nil {
		return "", err
	}
	level := strings.ToUpper(req.Compatibility)
	if checkRuleConfig(ruleCompatibility, level) != "" || level == "" {
		return "", newAPIError(http.StatusUnprocessableEntity, "InvalidCompatibilityLevelException",
			"Invalid compatibility level %q: use one of %s", req.Compatibility, strings.Join(ruleConfigs[ruleCompatibility], ", ")).withCode(42203)
	}
	return level, nil
}

// ccGlobalLevel is the global compatibility rule's level, NONE when there
// is none.
func (s *Server) ccGlobalLevel() string {
	level, err := s.getRule(ruleScope{}, ruleCompatibility)
	if err != nil {
		return "NONE"
	}
	return level
}

func (s *Server) ccGetGlobalConfig(w http.ResponseWriter, _ *http.Request) error {
	writeCC(w, map[string]string{"compatibilityLevel": s.ccGlobalLevel()})
	return nil
}

func (s *Server) ccPutGlobalConfig(w http.ResponseWriter, r *http.Request) error {
	return s.ccPutConfig(w, r, ruleScope{})
}

// ccPutConfig sets the compatibility rule of a scope, global or a
// subject's, to the level the request body gives.
func (s *Server) ccPutConfig(w http.ResponseWriter, r *http.Request, sc ruleScope) error {
	level, err := ccCompatLevel(r)
	if err != nil {
		return err
	}
	if err := s.setRule(r.Context(), sc, ruleCompatibility, level, ruleUpsert); err != nil {
		return ccSubjectErr(err, sc.artifactID)
	}
	writeCC(w, map[string]string{"compatibility": level})
	return nil
}

func ccSubjectScope(r *http.Request) ruleScope {
	return ruleScope{groupID: ccGroup(r), artifactID: r.PathValue("subject")}
}

func (s *Server) ccGetSubjectConfig(w http.ResponseWriter, r *http.Request) error {
	defaultToGlobal, err := queryBool(r.URL.Query(), "defaultToGlobal")
	if err != nil {
		return err
	}
	sc := ccSubjectScope(r)
	level, err := s.getRule(sc, ruleCompatibility)
	if err != nil {
		if ae := asAPIError(err); ae.name != "RuleNotFoundException" {
			return ccSubjectErr(err, sc.artifactID)
		}
		if !defaultToGlobal {
			return notFound("SubjectCompatibilityNotConfiguredException",
				"Subject '%s' does not have subject-level compatibility configured: set it with PUT /config/%s or ask with defaultToGlobal=true.", sc.artifactID, sc.artifactID).withCode(40408)
		}
		level = s.ccGlobalLevel()
	}
	writeCC(w, map[string]string{"compatibilityLevel": level})
	return nil
}

func (s *Server) ccPutSubjectConfig(w http.ResponseWriter, r *http.Request) error {
	return s.ccPutConfig(w, r, ccSubjectScope(r))
}

func (s *Server) ccDeleteSubjectConfig(w http.ResponseWriter, r *http.Request) error {
	sc := ccSubjectScope(r)
	level, err := s.getRule(sc, ruleCompatibility)
	if err == nil {
		err = s.deleteRule(r.Context(), sc, ruleCompatibility)
	}
	if err != nil {
		return ccSubjectErr(err, sc.artifactID)
	}
	writeCC(w, map[string]string{"compatibilityLevel": level})
	return nil
}

func (s *Server) ccGetMode(w http.ResponseWriter, _ *http.Request) error {
	writeCC(w, map[string]string{"mode": "READWRITE"})
	return nil
}
