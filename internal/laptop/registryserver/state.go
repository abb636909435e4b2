package registryserver

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"time"
)

// defaultGroup is the group of artifacts created without one, and of ccompat
// subjects.
const defaultGroup = "default"

// state is the registry's data. It changes only through apply, so replaying
// the same events rebuilds it exactly. It is not safe for concurrent use: the
// Server guards it.
type state struct {
	groups      map[string]*group
	contents    map[int64]*content
	contentHash map[string]int64 // sha256 hex of the bytes -> contentId
	byGlobalID  map[int64]*version
	globalRules map[string]string
	lastGlobal  int64 // highest globalId ever assigned
	lastContent int64 // highest contentId ever assigned
}

type group struct {
	id          string
	description string
	labels      map[string]string
	created     time.Time
	modified    time.Time
	artifacts   map[string]*artifact
}

type artifact struct {
	groupID     string
	id          string
	typ         string
	name        string
	description string
	labels      map[string]string
	created     time.Time
	modified    time.Time
	versions    []*version // in creation order
	byVersion   map[string]*version
	rules       map[string]string
	nextOrder   int // order the next version gets
}

type version struct {
	groupID     string
	artifactID  string
	typ         string
	version     string
	order       int // 1-based position in the artifact; the ccompat version
	globalID    int64
	contentID   int64
	name        string
	description string
	labels      map[string]string
	created     time.Time
}

type content struct {
	id          int64
	hash        string
	data        []byte
	contentType string
	avroCanon   string // canonical Avro form; "" when data is not an Avro schema
}

func newState() *state {
	return &state{
		groups:      map[string]*group{},
		contents:    map[int64]*content{},
		contentHash: map[string]int64{},
		byGlobalID:  map[int64]*version{},
		globalRules: map[string]string{},
	}
}

func contentHashOf(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

func (st *state) artifact(groupID, artifactID string) *artifact {
	g := st.groups[groupID]
	if g == nil {
		return nil
	}
	return g.artifacts[artifactID]
}

// latest returns the artifact's newest version, nil when it has none.
func (a *artifact) latest() *version {
	if len(a.versions) == 0 {
		return nil
	}
	return a.versions[len(a.versions)-1]
}

// nextVersionName is the version name generated when the client gives none:
// the next order number, skipped forward past names already taken.
func (a *artifact) nextVersionName() string {
	for n := a.nextOrder; ; n++ {
		name := strconv.Itoa(n)
		if a.byVersion[name] == nil {
			return name
		}
	}
}

// rules returns the effective rules of an artifact: its own, over the
// global ones.
func (st *state) effectiveRules(a *artifact) map[string]string {
	out := make(map[string]string, len(st.globalRules)+len(a.rules))
	for k, v := range st.globalRules {
		out[k] = v
	}
	for k, v := range a.rules {
		out[k] = v
	}
	return out
}

// sortedKeys returns the keys of m in ascending order, as a non-nil slice
// (an empty one encodes to a JSON [], not null).
func sortedKeys[K cmp.Ordered, V any](m map[K]V) []K {
	keys := slices.AppendSeq(make([]K, 0, len(m)), maps.Keys(m))
	slices.Sort(keys)
	return keys
}

// apply changes the state by one event. It checks only what keeps the state
// consistent (a replayed journal from elsewhere cannot corrupt it); request
// validation happens before an event is made.
func (st *state) apply(e Event) error {
	switch e.Kind {
	case EventGroupCreated:
		return st.createGroup(e)
	case EventArtifactCreated:
		return st.createArtifact(e)
	case EventVersionCreated:
		return st.createVersion(e)
	case EventArtifactDeleted:
		return st.deleteArtifact(e)
	case EventRuleConfigured, EventRuleDeleted:
		return st.changeRule(e)
	default:
		return fmt.Errorf("unknown event kind %q", e.Kind)
	}
}

func (st *state) createGroup(e Event) error {
	if e.GroupID == "" {
		return fmt.Errorf("group created without an id")
	}
	if st.groups[e.GroupID] != nil {
		return fmt.Errorf("group %q already exists", e.GroupID)
	}
	st.groups[e.GroupID] = &group{id: e.GroupID, description: e.Description, labels: e.Labels,
		created: e.Time, modified: e.Time, artifacts: map[string]*artifact{}}
	return nil
}

// createArtifact adds the event's artifact, its group if that is new, and
// its first version if the event has one.
func (st *state) createArtifact(e Event) error {
	if e.GroupID == "" || e.ArtifactID == "" || e.ArtifactType == "" {
		return fmt.Errorf("artifact created without group, id or type")
	}
	g := st.groups[e.GroupID]
	if g != nil && g.artifacts[e.ArtifactID] != nil {
		return fmt.Errorf("artifact %q in group %q already exists", e.ArtifactID, e.GroupID)
	}
	if e.Version != nil {
		if err := st.checkNewVersion(nil, e.Version); err != nil {
			return err
		}
	}
	if g == nil {
		g = &group{id: e.GroupID, created: e.Time, modified: e.Time, artifacts: map[string]*artifact{}}
		st.groups[e.GroupID] = g
	}
	a := &artifact{groupID: e.GroupID, id: e.ArtifactID, typ: e.ArtifactType, name: e.Name,
		description: e.Description, labels: e.Labels, created: e.Time, modified: e.Time,
		byVersion: map[string]*version{}, rules: map[string]string{}, nextOrder: 1}
	g.artifacts[e.ArtifactID] = a
	g.modified = e.Time
	if e.Version != nil {
		st.addVersion(a, e.Version, e.Time)
	}
	return nil
}

func (st *state) createVersion(e Event) error {
	if e.Version == nil {
		return fmt.Errorf("version event without a version")
	}
	a, err := st.eventArtifact(e, "version for")
	if err != nil {
		return err
	}
	if err := st.checkNewVersion(a, e.Version); err != nil {
		return err
	}
	st.addVersion(a, e.Version, e.Time)
	return nil
}

func (st *state) deleteArtifact(e Event) error {
	a, err := st.eventArtifact(e, "delete of")
	if err != nil {
		return err
	}
	for _, v := range a.versions {
		delete(st.byGlobalID, v.globalID)
	}
	delete(st.groups[e.GroupID].artifacts, e.ArtifactID)
	return nil
}

// changeRule sets (EventRuleConfigured) or deletes (EventRuleDeleted, all
// of the scope's rules when the event names no type) a rule of the global
// scope or of an artifact.
func (st *state) changeRule(e Event) error {
	rules := st.globalRules
	if e.GroupID != "" || e.ArtifactID != "" {
		a, err := st.eventArtifact(e, "rule for")
		if err != nil {
			return err
		}
		rules = a.rules
	}
	switch {
	case e.Kind == EventRuleDeleted && e.RuleType == "":
		clear(rules)
	case e.Kind == EventRuleDeleted:
		delete(rules, e.RuleType)
	case !knownRuleType(e.RuleType):
		return fmt.Errorf("unknown rule type %q", e.RuleType)
	default:
		rules[e.RuleType] = e.RuleConfig
	}
	return nil
}

// eventArtifact returns the artifact the event names, or an error that
// starts with what (such as "delete of") when there is none.
func (st *state) eventArtifact(e Event, what string) (*artifact, error) {
	a := st.artifact(e.GroupID, e.ArtifactID)
	if a == nil {
		return nil, fmt.Errorf("%s unknown artifact %q in group %q", what, e.ArtifactID, e.GroupID)
	}
	return a, nil
}

func (st *state) checkNewVersion(a *artifact, v *VersionEvent) error {
	if v.Version == "" || v.GlobalID <= 0 || v.ContentID <= 0 {
		return fmt.Errorf("version without name, globalId or contentId")
	}
	if a != nil && a.byVersion[v.Version] != nil {
		return fmt.Errorf("version %q already exists", v.Version)
	}
	if v.GlobalID <= st.lastGlobal {
		return fmt.Errorf("globalId %d is not above the last one, %d", v.GlobalID, st.lastGlobal)
	}
	if c := st.contents[v.ContentID]; c != nil && c.data != nil && string(c.data) != v.Content {
		return fmt.Errorf("contentId %d already names other content", v.ContentID)
	}
	if id, ok := st.contentHash[contentHashOf([]byte(v.Content))]; ok && id != v.ContentID {
		return fmt.Errorf("content of contentId %d is registered as contentId %d", v.ContentID, id)
	}
	return nil
}

func (st *state) addVersion(a *artifact, ve *VersionEvent, at time.Time) {
	if st.contents[ve.ContentID] == nil {
		data := []byte(ve.Content)
		c := &content{id: ve.ContentID, hash: contentHashOf(data), data: data, contentType: ve.ContentType}
		c.avroCanon, _ = canonicalAvro(data)
		st.contents[c.id] = c
		st.contentHash[c.hash] = c.id
	}
	st.lastContent = max(st.lastContent, ve.ContentID)
	st.lastGlobal = max(st.lastGlobal, ve.GlobalID)
	v := &version{groupID: a.groupID, artifactID: a.id, typ: a.typ, version: ve.Version, order: a.nextOrder,
		globalID: ve.GlobalID, contentID: ve.ContentID, name: ve.Name, description: ve.Description,
		labels: ve.Labels, created: at}
	a.nextOrder++
	a.versions = append(a.versions, v)
	a.byVersion[v.version] = v
	a.modified = at
	st.byGlobalID[v.globalID] = v
}
