package registryserver

import "time"

// EventKind names the kind of state change an [Event] records.
type EventKind string

// The state changes the registry records.
const (
	// EventGroupCreated creates a group (GroupID, Description, Labels).
	EventGroupCreated EventKind = "GroupCreated"
	// EventArtifactCreated creates an artifact, its group if missing, and
	// its first version when Version is set.
	EventArtifactCreated EventKind = "ArtifactCreated"
	// EventVersionCreated adds Version to an existing artifact.
	EventVersionCreated EventKind = "VersionCreated"
	// EventArtifactDeleted deletes an artifact and its versions; contents
	// stay reachable by contentId.
	EventArtifactDeleted EventKind = "ArtifactDeleted"
	// EventRuleConfigured creates or updates the rule RuleType with
	// RuleConfig: a global rule when GroupID and ArtifactID are empty, else
	// a rule of that artifact.
	EventRuleConfigured EventKind = "RuleConfigured"
	// EventRuleDeleted deletes the rule RuleType (every rule of the scope
	// when RuleType is empty) of the same scopes as EventRuleConfigured.
	EventRuleDeleted EventKind = "RuleDeleted"
)

// Event is one state change. It carries every id and time it assigns, so
// applying the same events in order rebuilds identical state.
type Event struct {
	Kind         EventKind         `json:"kind"`                   // what changed
	Time         time.Time         `json:"time"`                   // when, as shown in createdOn/modifiedOn
	GroupID      string            `json:"groupId,omitempty"`      // group of the group, artifact or rule
	ArtifactID   string            `json:"artifactId,omitempty"`   // artifact of the artifact, version or rule
	ArtifactType string            `json:"artifactType,omitempty"` // type of a created artifact (AVRO, JSON, ...)
	Name         string            `json:"name,omitempty"`         // name of a created artifact
	Description  string            `json:"description,omitempty"`  // description of a created group or artifact
	Labels       map[string]string `json:"labels,omitempty"`       // labels of a created group or artifact
	Version      *VersionEvent     `json:"version,omitempty"`      // the version created, if any
	RuleType     string            `json:"ruleType,omitempty"`     // VALIDITY, COMPATIBILITY or INTEGRITY
	RuleConfig   string            `json:"ruleConfig,omitempty"`   // the rule's configuration
}

// VersionEvent describes one created version and its content.
type VersionEvent struct {
	Version     string            `json:"version"`               // version name, unique in the artifact
	GlobalID    int64             `json:"globalId"`              // id of this version, unique in the registry
	ContentID   int64             `json:"contentId"`             // id of the content, shared by equal bytes
	Content     string            `json:"content"`               // the schema text
	ContentType string            `json:"contentType,omitempty"` // media type the content is served with
	Name        string            `json:"name,omitempty"`        // version name shown to users
	Description string            `json:"description,omitempty"` // version description
	Labels      map[string]string `json:"labels,omitempty"`      // version labels
}
