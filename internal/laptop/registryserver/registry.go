package registryserver

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"
)

// createMode says what creating an existing artifact does.
type createMode int

const (
	modeFail          createMode = iota // 409
	modeCreateVersion                   // always add a version
	modeFindOrCreate                    // return the version with the same content, else add one
	modeReturnLatest                    // return the artifact and its latest version
)

// versionInput is a version to create.
type versionInput struct {
	version     string
	name        string
	description string
	labels      map[string]string
	data        []byte
	contentType string
}

// artifactInput is an artifact to create, with its optional first version.
type artifactInput struct {
	groupID      string
	artifactID   string
	artifactType string
	name         string
	description  string
	labels       map[string]string
	first        *versionInput
	mode         createMode
	dryRun       bool
	strictAvro   bool // reject AVRO content that does not parse (ccompat)
}

// artifactView is a copy of an artifact's metadata, safe to use unlocked.
type artifactView struct {
	groupID, artifactID, typ, name, description string
	labels                                      map[string]string
	created, modified                           time.Time
	latest                                      *versionView
}

// versionView is a copy of a version and its content, safe to use unlocked.
type versionView struct {
	groupID, artifactID, typ, version string
	order                             int
	globalID, contentID               int64
	name, description                 string
	labels                            map[string]string
	created                           time.Time
	content                           []byte
	contentType                       string
}

var versionPattern = regexp.MustCompile(`^[a-zA-Z0-9._\-+]{1,256}$`)

// checkID checks a group or artifact id against the spec's ^.{1,512}$.
func checkID(what, id string) error {
	n := utf8.RuneCountInString(id)
	if n == 0 || n > 512 || strings.ContainsAny(id, "\n\r") || !utf8.ValidString(id) {
		return badRequest("invalid %s %q: it must be 1 to 512 characters on one line", what, id)
	}
	return nil
}

func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

func (s *Server) now() time.Time { return time.Now().UTC().Truncate(time.Millisecond) }

// commit persists e and applies it. The caller holds s.mu for writing.
func (s *Server) commit(ctx context.Context, e Event) error {
	if s.closed {
		return newAPIError(http.StatusServiceUnavailable, "ServiceUnavailableException", "the registry is shutting down; retry against a running registry")
	}
	if s.journal != nil {
		// The outcome of an append must not depend on the client staying
		// connected: the change is either persisted and applied, or neither.
		if err := s.journal.Append(context.WithoutCancel(ctx), e); err != nil {
			s.logger.ErrorContext(ctx, "registry: persist change", "kind", e.Kind, "err", err)
			return fmt.Errorf("persist %s: %w", e.Kind, err)
		}
	}
	if err := s.st.apply(e); err != nil {
		s.logger.ErrorContext(ctx, "registry: apply change", "kind", e.Kind, "err", err)
		return fmt.Errorf("apply %s: %w", e.Kind, err)
	}
	return nil
}

func (s *Server) viewArtifact(a *artifact) artifactView {
	v := artifactView{groupID: a.groupID, artifactID: a.id, typ: a.typ, name: a.name, description: a.description,
		labels: a.labels, created: a.created, modified: a.modified}
	if l := a.latest(); l != nil {
		lv := s.viewVersion(l)
		v.latest = &lv
	}
	return v
}

func (s *Server) viewVersion(v *version) versionView {
	vv := versionView{groupID: v.groupID, artifactID: v.artifactID, typ: v.typ, version: v.version, order: v.order,
		globalID: v.globalID, contentID: v.contentID, name: v.name, description: v.description,
		labels: v.labels, created: v.created}
	if c := s.st.contents[v.contentID]; c != nil {
		vv.content, vv.contentType = c.data, c.contentType
	}
	return vv
}

// resolveType checks a declared artifact type, or detects it from content.
func resolveType(declared string, first *versionInput) (string, error) {
	if declared != "" {
		t := strings.ToUpper(strings.TrimSpace(declared))
		if _, ok := artifactTypes[t]; !ok {
			return "", badRequest("unsupported artifact type %q: use one of AVRO, PROTOBUF, JSON, KCONNECT, OPENAPI, ASYNCAPI, GRAPHQL, WSDL, XSD, XML", declared)
		}
		return t, nil
	}
	if first == nil {
		return "", badRequest("artifact type missing: set the artifact type when creating an artifact without content")
	}
	t, ok := detectType(first.data)
	if !ok {
		return "", badRequest("could not determine the artifact type from the content: set the artifact type (artifactType, or header X-Registry-ArtifactType)")
	}
	return t, nil
}

// createArtifact creates an artifact, or handles an existing one as in.mode
// says. It returns the artifact and the version created or found (nil when
// none is involved).
func (s *Server) createArtifact(ctx context.Context, in artifactInput) (artifactView, *versionView, error) {
	if in.groupID == "" {
		in.groupID = defaultGroup
	}
	if err := checkID("group id", in.groupID); err != nil {
		return artifactView{}, nil, err
	}
	if in.artifactID == "" {
		in.artifactID = newUUID()
	}
	if err := checkID("artifact id", in.artifactID); err != nil {
		return artifactView{}, nil, err
	}
	if in.first != nil && len(bytes.TrimSpace(in.first.data)) == 0 {
		return artifactView{}, nil, badRequest("the content is empty: send the schema as the content")
	}
	typ, err := resolveType(in.artifactType, in.first)
	if err != nil {
		return artifactView{}, nil, err
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	if a := s.st.artifact(in.groupID, in.artifactID); a != nil {
		if in.artifactType != "" && typ != a.typ {
			return artifactView{}, nil, conflict("ArtifactAlreadyExistsException",
				"artifact '%s' in group '%s' exists with type %s, not %s: use its type or another artifact id", a.id, a.groupID, a.typ, typ)
		}
		switch in.mode {
		case modeReturnLatest:
			v := s.viewArtifact(a)
			return v, v.latest, nil
		case modeFindOrCreate:
			if in.first == nil {
				return s.viewArtifact(a), nil, nil
			}
			if found := s.findByContent(a, in.first.data); found != nil {
				vv := s.viewVersion(found)
				return s.viewArtifact(a), &vv, nil
			}
		case modeCreateVersion:
			if in.first == nil {
				return artifactView{}, nil, badRequest("no content given to create a version of artifact '%s': send the content as the first version", a.id)
			}
		default:
			return artifactView{}, nil, conflict("ArtifactAlreadyExistsException",
				"An artifact with ID '%s' in group '%s' already exists: use ifExists to add a version or find the existing one", a.id, a.groupID)
		}
		vv, err := s.createVersionLocked(ctx, a, *in.first, in.dryRun, in.strictAvro)
		if err != nil {
			return artifactView{}, nil, err
		}
		av := s.viewArtifact(a)
		return av, &vv, nil
	}

	t := s.now()
	e := Event{Kind: EventArtifactCreated, Time: t, GroupID: in.groupID, ArtifactID: in.artifactID,
		ArtifactType: typ, Name: in.name, Description: in.description, Labels: in.labels}
	if in.first != nil {
		ve, err := s.prepareVersion(nil, typ, s.st.globalRules, *in.first, in.strictAvro)
		if err != nil {
			return artifactView{}, nil, err
		}
		e.Version = ve
	}
	if in.dryRun {
		av := artifactView{groupID: in.groupID, artifactID: in.artifactID, typ: typ, name: in.name,
			description: in.description, labels: in.labels, created: t, modified: t}
		if e.Version == nil {
			return av, nil, nil
		}
		vv := dryVersion(e, typ, 1)
		av.latest = &vv
		return av, &vv, nil
	}
	if err := s.commit(ctx, e); err != nil {
		return artifactView{}, nil, err
	}
	av := s.viewArtifact(s.st.artifact(in.groupID, in.artifactID))
	return av, av.latest, nil
}

func dryVersion(e Event, typ string, order int) versionView {
	ve := e.Version
	return versionView{groupID: e.GroupID, artifactID: e.ArtifactID, typ: typ, version: ve.Version, order: order,
		globalID: ve.GlobalID, contentID: ve.ContentID, name: ve.Name, description: ve.Description,
		labels: ve.Labels, created: e.Time, content: []byte(ve.Content), contentType: ve.ContentType}
}

// findArtifact returns an artifact, or artifactNotFound. The caller holds
// s.mu.
func (s *Server) findArtifact(groupID, artifactID string) (*artifact, error) {
	a := s.st.artifact(groupID, artifactID)
	if a == nil {
		return nil, artifactNotFound(groupID, artifactID)
	}
	return a, nil
}

// readArtifact returns what read makes of an artifact under the read lock,
// or artifactNotFound.
func readArtifact[T any](s *Server, groupID, artifactID string, read func(a *artifact) (T, error)) (T, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	a, err := s.findArtifact(groupID, artifactID)
	if err != nil {
		var zero T
		return zero, err
	}
	return read(a)
}

// viewVersions returns views of an artifact's versions, oldest first.
func (s *Server) viewVersions(a *artifact) []versionView {
	out := make([]versionView, 0, len(a.versions))
	for _, v := range a.versions {
		out = append(out, s.viewVersion(v))
	}
	return out
}

// createVersion adds a version to an existing artifact.
func (s *Server) createVersion(ctx context.Context, groupID, artifactID string, in versionInput, dryRun bool) (versionView, error) {
	if len(bytes.TrimSpace(in.data)) == 0 {
		return versionView{}, badRequest("the content is empty: send the schema as the content")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	a, err := s.findArtifact(groupID, artifactID)
	if err != nil {
		return versionView{}, err
	}
	return s.createVersionLocked(ctx, a, in, dryRun, false)
}

func (s *Server) createVersionLocked(ctx context.Context, a *artifact, in versionInput, dryRun, strictAvro bool) (versionView, error) {
	ve, err := s.prepareVersion(a, a.typ, s.st.effectiveRules(a), in, strictAvro)
	if err != nil {
		return versionView{}, err
	}
	e := Event{Kind: EventVersionCreated, Time: s.now(), GroupID: a.groupID, ArtifactID: a.id, Version: ve}
	if dryRun {
		return dryVersion(e, a.typ, a.nextOrder), nil
	}
	if err := s.commit(ctx, e); err != nil {
		return versionView{}, err
	}
	return s.viewVersion(a.byVersion[ve.Version]), nil
}

// prepareVersion validates a new version of artifact a (nil for a new
// artifact) against the rules and assigns its ids. The caller holds s.mu.
func (s *Server) prepareVersion(a *artifact, typ string, rules map[string]string, in versionInput, strictAvro bool) (*VersionEvent, error) {
	name := in.version
	if name != "" {
		if !versionPattern.MatchString(name) {
			return nil, badRequest("invalid version %q: use 1 to 256 letters, digits or ._-+", name)
		}
		if a != nil && a.byVersion[name] != nil {
			return nil, conflict("VersionAlreadyExistsException",
				"version '%s' of artifact '%s' in group '%s' already exists: give another version or none", name, a.id, a.groupID)
		}
	} else if a != nil {
		name = a.nextVersionName()
	} else {
		name = "1"
	}
	if strictAvro && typ == typeAvro {
		if _, err := parseAvro(in.data); err != nil {
			return nil, newAPIError(http.StatusUnprocessableEntity, "InvalidSchemaException", "Invalid schema: %v", err).withCode(42201)
		}
	}
	var prior []priorVersion
	if a != nil {
		for _, v := range a.versions {
			if c := s.st.contents[v.contentID]; c != nil {
				prior = append(prior, priorVersion{version: v.version, data: c.data})
			}
		}
	}
	if causes := checkRules(typ, rules, in.data, prior); len(causes) > 0 {
		return nil, ruleViolation(causes)
	}
	contentID, ok := s.st.contentHash[contentHashOf(in.data)]
	if !ok {
		contentID = s.st.lastContent + 1
	}
	ct := in.contentType
	if ct == "" {
		ct = artifactTypes[typ]
	}
	return &VersionEvent{Version: name, GlobalID: s.st.lastGlobal + 1, ContentID: contentID, Content: string(in.data),
		ContentType: ct, Name: in.name, Description: in.description, Labels: in.labels}, nil
}

// findByContent returns the newest version of a whose content matches data:
// canonically for AVRO, byte for byte otherwise.
func (s *Server) findByContent(a *artifact, data []byte) *version {
	hash := contentHashOf(data)
	canon := ""
	if a.typ == typeAvro {
		canon, _ = canonicalAvro(data)
	}
	for i := len(a.versions) - 1; i >= 0; i-- {
		v := a.versions[i]
		c := s.st.contents[v.contentID]
		if c == nil {
			continue
		}
		if c.hash == hash || (canon != "" && c.avroCanon == canon) {
			return v
		}
	}
	return nil
}

// lookupByContent finds the version of an artifact whose content matches.
func (s *Server) lookupByContent(groupID, artifactID string, data []byte) (versionView, error) {
	return readArtifact(s, groupID, artifactID, func(a *artifact) (versionView, error) {
		v := s.findByContent(a, data)
		if v == nil {
			return versionView{}, notFound("VersionNotFoundException",
				"No version of artifact '%s' in group '%s' has this content.", artifactID, groupID).withCode(40403)
		}
		return s.viewVersion(v), nil
	})
}

// deleteArtifact deletes an artifact and returns its versions.
func (s *Server) deleteArtifact(ctx context.Context, groupID, artifactID string) ([]versionView, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, err := s.findArtifact(groupID, artifactID)
	if err != nil {
		return nil, err
	}
	vs := s.viewVersions(a)
	if err := s.commit(ctx, Event{Kind: EventArtifactDeleted, Time: s.now(), GroupID: groupID, ArtifactID: artifactID}); err != nil {
		return nil, err
	}
	return vs, nil
}

// createGroup creates an empty group.
func (s *Server) createGroup(ctx context.Context, id, description string, labels map[string]string) (groupView, error) {
	if err := checkID("group id", id); err != nil {
		return groupView{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.st.groups[id] != nil {
		return groupView{}, conflict("GroupAlreadyExistsException", "Group '%s' already exists: use it or choose another id", id)
	}
	if err := s.commit(ctx, Event{Kind: EventGroupCreated, Time: s.now(), GroupID: id, Description: description, Labels: labels}); err != nil {
		return groupView{}, err
	}
	return viewGroup(s.st.groups[id]), nil
}

// groupView is a copy of a group's metadata.
type groupView struct {
	id, description   string
	labels            map[string]string
	created, modified time.Time
}

func viewGroup(g *group) groupView {
	return groupView{id: g.id, description: g.description, labels: g.labels, created: g.created, modified: g.modified}
}

func (s *Server) getGroup(id string) (groupView, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	g := s.st.groups[id]
	if g == nil {
		return groupView{}, notFound("GroupNotFoundException", "No group '%s' was found.", id)
	}
	return viewGroup(g), nil
}

func (s *Server) listGroups() []groupView {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]groupView, 0, len(s.st.groups))
	for _, g := range s.st.groups {
		out = append(out, viewGroup(g))
	}
	return out
}

func (s *Server) getArtifact(groupID, artifactID string) (artifactView, error) {
	return readArtifact(s, groupID, artifactID, func(a *artifact) (artifactView, error) {
		return s.viewArtifact(a), nil
	})
}

// artifactsWhere returns the artifacts that match keep, in no set order.
func (s *Server) artifactsWhere(keep func(a *artifact) bool) []artifactView {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var out []artifactView
	for _, g := range s.st.groups {
		for _, a := range g.artifacts {
			if keep(a) {
				out = append(out, s.viewArtifact(a))
			}
		}
	}
	return out
}

// listVersions returns an artifact's versions, oldest first.
func (s *Server) listVersions(groupID, artifactID string) ([]versionView, error) {
	return readArtifact(s, groupID, artifactID, func(a *artifact) ([]versionView, error) {
		return s.viewVersions(a), nil
	})
}

// getVersion resolves a version expression: a version name, "latest" or
// "branch=latest" (the only branch).
func (s *Server) getVersion(groupID, artifactID, expr string) (versionView, error) {
	return readArtifact(s, groupID, artifactID, func(a *artifact) (versionView, error) {
		v := a.byVersion[expr]
		if v == nil {
			switch {
			case expr == "latest" || expr == "branch=latest":
				v = a.latest()
			case strings.HasPrefix(expr, "branch="):
				return versionView{}, notFound("BranchNotFoundException",
					"No branch '%s' of artifact '%s' in group '%s': only branch=latest exists here.", strings.TrimPrefix(expr, "branch="), artifactID, groupID)
			}
		}
		if v == nil {
			return versionView{}, versionNotFound(groupID, artifactID, expr)
		}
		return s.viewVersion(v), nil
	})
}

// getVersionByOrder returns the version at a 1-based position (ccompat).
func (s *Server) getVersionByOrder(groupID, artifactID string, order int) (versionView, error) {
	return readArtifact(s, groupID, artifactID, func(a *artifact) (versionView, error) {
		for _, v := range a.versions {
			if v.order == order {
				return s.viewVersion(v), nil
			}
		}
		return versionView{}, versionNotFound(groupID, artifactID, fmt.Sprint(order))
	})
}

func (s *Server) versionByGlobalID(id int64) (versionView, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	v := s.st.byGlobalID[id]
	if v == nil {
		return versionView{}, notFound("ArtifactNotFoundException", "No artifact version with global ID '%d' was found.", id)
	}
	return s.viewVersion(v), nil
}

// contentView is a stored content.
type contentView struct {
	id          int64
	data        []byte
	contentType string
}

func (s *Server) contentByID(id int64) (contentView, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	c := s.st.contents[id]
	if c == nil {
		return contentView{}, notFound("ContentNotFoundException", "No content with ID '%d' was found.", id).withCode(40403)
	}
	return contentView{id: c.id, data: c.data, contentType: c.contentType}, nil
}

func (s *Server) contentByHash(hash string) (contentView, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	id, ok := s.st.contentHash[strings.ToLower(hash)]
	if !ok {
		return contentView{}, notFound("ContentNotFoundException", "No content with hash '%s' was found.", hash)
	}
	c := s.st.contents[id]
	return contentView{id: c.id, data: c.data, contentType: c.contentType}, nil
}

// versionsWithContent returns every live version using a contentId.
func (s *Server) versionsWithContent(contentID int64) []versionView {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var out []versionView
	for _, v := range s.st.byGlobalID {
		if v.contentID == contentID {
			out = append(out, s.viewVersion(v))
		}
	}
	return out
}

// ruleScope names where a rule lives: global when artifactID is empty.
type ruleScope struct {
	groupID, artifactID string
}

func (r ruleScope) global() bool { return r.artifactID == "" }

// rulesOf returns the rules of a scope. The caller holds s.mu.
func (s *Server) rulesOf(sc ruleScope) (map[string]string, error) {
	if sc.global() {
		return s.st.globalRules, nil
	}
	a, err := s.findArtifact(sc.groupID, sc.artifactID)
	if err != nil {
		return nil, err
	}
	return a.rules, nil
}

func ruleNotFound(sc ruleScope, ruleType string) *apiError {
	if sc.global() {
		return notFound("RuleNotFoundException", "No global rule '%s' is configured.", ruleType)
	}
	return notFound("RuleNotFoundException", "No rule '%s' is configured for artifact '%s' in group '%s'.", ruleType, sc.artifactID, sc.groupID).withCode(40408)
}

func checkRuleType(ruleType string) error {
	if !knownRuleType(ruleType) {
		return badRequest("unknown rule type %q: use VALIDITY, COMPATIBILITY or INTEGRITY", ruleType)
	}
	return nil
}

// listRules returns the rule types configured in a scope, sorted.
func (s *Server) listRules(sc ruleScope) ([]string, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	rules, err := s.rulesOf(sc)
	if err != nil {
		return nil, err
	}
	return sortedKeys(rules), nil
}

// getRule returns a rule's config.
func (s *Server) getRule(sc ruleScope, ruleType string) (string, error) {
	if err := checkRuleType(ruleType); err != nil {
		return "", err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	rules, err := s.rulesOf(sc)
	if err != nil {
		return "", err
	}
	cfg, ok := rules[ruleType]
	if !ok {
		return "", ruleNotFound(sc, ruleType)
	}
	return cfg, nil
}

// ruleWrite says how setRule treats an existing rule.
type ruleWrite int

const (
	ruleCreate ruleWrite = iota // fail if it exists
	ruleUpdate                  // fail if it does not exist
	ruleUpsert                  // either
)

// setRule creates or updates a rule.
func (s *Server) setRule(ctx context.Context, sc ruleScope, ruleType, config string, how ruleWrite) error {
	if err := checkRuleType(ruleType); err != nil {
		return err
	}
	if msg := checkRuleConfig(ruleType, config); msg != "" {
		return badRequest("%s", msg)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	rules, err := s.rulesOf(sc)
	if err != nil {
		return err
	}
	_, exists := rules[ruleType]
	switch {
	case how == ruleCreate && exists:
		return conflict("RuleAlreadyExistsException", "A rule '%s' is already configured: update it instead", ruleType)
	case how == ruleUpdate && !exists:
		return ruleNotFound(sc, ruleType)
	}
	return s.commit(ctx, Event{Kind: EventRuleConfigured, Time: s.now(), GroupID: sc.groupID, ArtifactID: sc.artifactID,
		RuleType: ruleType, RuleConfig: config})
}

// deleteRule deletes one rule, or every rule of the scope when ruleType is
// empty.
func (s *Server) deleteRule(ctx context.Context, sc ruleScope, ruleType string) error {
	if ruleType != "" {
		if err := checkRuleType(ruleType); err != nil {
			return err
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	rules, err := s.rulesOf(sc)
	if err != nil {
		return err
	}
	if _, ok := rules[ruleType]; ruleType != "" && !ok {
		return ruleNotFound(sc, ruleType)
	}
	return s.commit(ctx, Event{Kind: EventRuleDeleted, Time: s.now(), GroupID: sc.groupID, ArtifactID: sc.artifactID, RuleType: ruleType})
}

// effectiveRule returns the config of a rule for an artifact (its own, else
// the global one), "" when neither is set.
func (s *Server) effectiveRule(groupID, artifactID, ruleType string) (string, error) {
	return readArtifact(s, groupID, artifactID, func(a *artifact) (string, error) {
		return s.st.effectiveRules(a)[ruleType], nil
	})
}

// priorOf returns an artifact's versions as compatibility inputs.
func (s *Server) priorOf(groupID, artifactID string) ([]priorVersion, error) {
	return readArtifact(s, groupID, artifactID, func(a *artifact) ([]priorVersion, error) {
		out := make([]priorVersion, 0, len(a.versions))
		for _, v := range a.versions {
			if c := s.st.contents[v.contentID]; c != nil {
				out = append(out, priorVersion{version: v.version, data: c.data})
			}
		}
		return out, nil
	})
}
