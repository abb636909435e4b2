package registryserver

import "net/http"

// ruleHandlers serves the rules endpoints of one API version, global
// (/admin/rules) and an artifact's (…/rules). v2 and v3 differ only in
// spelling: B is the version's rule body, field names its rule-type field
// and param the path segment that names a rule type.
type ruleHandlers[B any] struct {
	s     *Server
	api   apiKind
	field string // "type" (v2) or "ruleType" (v3)
	param string // "rule" (v2) or "ruleType" (v3)
	// body makes a rule body; split reads one.
	body  func(ruleType, config string) B
	split func(B) (ruleType, config string)
}

// routes lists the rules endpoints; art is the path of an artifact.
func (h ruleHandlers[B]) routes(art string) []route {
	one := "/{" + h.param + "}"
	return []route{
		{h.api, http.MethodGet, art + "/rules", inArtifact(h.list)},
		{h.api, http.MethodPost, art + "/rules", inArtifact(h.create)},
		{h.api, http.MethodDelete, art + "/rules", inArtifact(h.deleteAll)},
		{h.api, http.MethodGet, art + "/rules" + one, inArtifact(h.get)},
		{h.api, http.MethodPut, art + "/rules" + one, inArtifact(h.update)},
		{h.api, http.MethodDelete, art + "/rules" + one, inArtifact(h.delete)},
		{h.api, http.MethodGet, "/admin/rules", global(h.list)},
		{h.api, http.MethodPost, "/admin/rules", global(h.create)},
		{h.api, http.MethodDelete, "/admin/rules", global(h.deleteAll)},
		{h.api, http.MethodGet, "/admin/rules" + one, global(h.get)},
		{h.api, http.MethodPut, "/admin/rules" + one, global(h.update)},
		{h.api, http.MethodDelete, "/admin/rules" + one, global(h.delete)},
	}
}

// scoped is a handler of the rules of one scope.
type scoped func(w http.ResponseWriter, r *http.Request, sc ruleScope) error

// global serves h on the global rules.
func global(h scoped) func(http.ResponseWriter, *http.Request) error {
	return func(w http.ResponseWriter, r *http.Request) error { return h(w, r, ruleScope{}) }
}

// inArtifact serves h on the rules of the artifact the path names.
func inArtifact(h scoped) func(http.ResponseWriter, *http.Request) error {
	return func(w http.ResponseWriter, r *http.Request) error { return h(w, r, artifactScope(r)) }
}

func artifactScope(r *http.Request) ruleScope {
	return ruleScope{groupID: r.PathValue("groupId"), artifactID: r.PathValue("artifactId")}
}

func (h ruleHandlers[B]) list(w http.ResponseWriter, _ *http.Request, sc ruleScope) error {
	types, err := h.s.listRules(sc)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, "application/json", types)
	return nil
}

func (h ruleHandlers[B]) create(w http.ResponseWriter, r *http.Request, sc ruleScope) error {
	var req B
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	t, cfg := h.split(req)
	if t == "" {
		return badRequest(`%s is missing: send {%q: "COMPATIBILITY", "config": "BACKWARD"}`, h.field, h.field)
	}
	if err := h.s.setRule(r.Context(), sc, t, cfg, ruleCreate); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (h ruleHandlers[B]) get(w http.ResponseWriter, r *http.Request, sc ruleScope) error {
	t := r.PathValue(h.param)
	cfg, err := h.s.getRule(sc, t)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, "application/json", h.body(t, cfg))
	return nil
}

func (h ruleHandlers[B]) update(w http.ResponseWriter, r *http.Request, sc ruleScope) error {
	t := r.PathValue(h.param)
	if err := checkRuleType(t); err != nil {
		return err
	}
	var req B
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	_, cfg := h.split(req)
	if err := h.s.setRule(r.Context(), sc, t, cfg, ruleUpdate); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, "application/json", h.body(t, cfg))
	return nil
}

// delete deletes the rule the path names.
func (h ruleHandlers[B]) delete(w http.ResponseWriter, r *http.Request, sc ruleScope) error {
	return h.deleteType(w, r, sc, r.PathValue(h.param))
}

// deleteAll deletes every rule of the scope.
func (h ruleHandlers[B]) deleteAll(w http.ResponseWriter, r *http.Request, sc ruleScope) error {
	return h.deleteType(w, r, sc, "")
}

func (h ruleHandlers[B]) deleteType(w http.ResponseWriter, r *http.Request, sc ruleScope, ruleType string) error {
	if err := h.s.deleteRule(r.Context(), sc, ruleType); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
