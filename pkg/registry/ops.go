package registry

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/go-resty/resty/v2"
)

// VersionMeta describes one version of an artifact.
type VersionMeta struct {
	GroupID      string
	ArtifactID   string
	Version      string
	ArtifactType string
	Name         string
	// GlobalID identifies this version among all versions of the registry.
	GlobalID int64
	// ContentID identifies the content; versions with equal content share it.
	ContentID int64
	CreatedOn time.Time
}

// ArtifactMeta describes one artifact, as listed by List.
type ArtifactMeta struct {
	GroupID      string
	ArtifactID   string
	ArtifactType string
	Name         string
	Description  string
	CreatedOn    time.Time
	ModifiedOn   time.Time
}

// Outcome says what Register did.
type Outcome int

// Outcomes of Register.
const (
	// Created: the artifact did not exist; it now has one version.
	Created Outcome = iota + 1
	// NewVersion: the content differed from every version; a version was
	// added.
	NewVersion
	// Unchanged: a version with the same content existed; nothing changed.
	Unchanged
)

// String returns "created", "new version" or "unchanged".
func (o Outcome) String() string {
	switch o {
	case Created:
		return "created"
	case NewVersion:
		return "new version"
	case Unchanged:
		return "unchanged"
	default:
		return "Outcome(" + strconv.Itoa(int(o)) + ")"
	}
}

// RuleType names a registry rule.
type RuleType string

// Rule types.
const (
	// RuleValidity checks content is valid: config NONE, SYNTAX_ONLY or FULL.
	RuleValidity RuleType = "VALIDITY"
	// RuleCompatibility checks a new version against earlier ones: config
	// such as BACKWARD, FORWARD, FULL, BACKWARD_TRANSITIVE or NONE.
	RuleCompatibility RuleType = "COMPATIBILITY"
	// RuleIntegrity checks references: config such as FULL or NONE.
	RuleIntegrity RuleType = "INTEGRITY"
)

func (r RuleType) valid() bool {
	return r == RuleValidity || r == RuleCompatibility || r == RuleIntegrity
}

// pageSize is the page of list operations.
const pageSize = 100

// Register creates the artifact with content as its first version or, if
// the artifact exists, adds a version only when content differs from every
// existing version. artifactType is an Apicurio type such as "AVRO"; empty
// lets the registry detect it.
//
// The outcome is told apart by listing the artifact's versions first: no
// artifact means Created; a returned global id among the earlier versions
// means Unchanged; otherwise NewVersion. Concurrent registrations of the
// same artifact can blur Created into the others; the registry's state is
// right either way.
func (c *Client) Register(ctx context.Context, artifactID, artifactType, content string) (VersionMeta, Outcome, error) {
	if artifactID == "" {
		return VersionMeta{}, 0, errors.New("register: empty artifact id")
	}
	if content == "" {
		return VersionMeta{}, 0, fmt.Errorf("register %s: empty content", artifactID)
	}
	before, err := c.Versions(ctx, artifactID)
	exists := err == nil
	if err != nil && !errors.Is(err, ErrNotFound) {
		return VersionMeta{}, 0, fmt.Errorf("register %s: %w", artifactID, err)
	}
	var meta VersionMeta
	if c.v2 {
		meta, err = c.registerV2(ctx, artifactID, artifactType, content)
	} else {
		meta, err = c.registerV3(ctx, artifactID, artifactType, content)
	}
	if err != nil {
		return VersionMeta{}, 0, fmt.Errorf("register %s: %w", artifactID, err)
	}
	switch {
	case !exists:
		return meta, Created, nil
	case slices.ContainsFunc(before, func(v VersionMeta) bool { return v.GlobalID == meta.GlobalID }):
		return meta, Unchanged, nil
	default:
		return meta, NewVersion, nil
	}
}

// contentType is the media type of an artifact type's content.
func contentType(artifactType string) string {
	switch strings.ToUpper(artifactType) {
	case "PROTOBUF":
		return "application/x-protobuf"
	case "GRAPHQL":
		return "application/graphql"
	case "WSDL", "XSD", "XML":
		return "application/xml"
	default:
		return "application/json"
	}
}

type v3CreateArtifact struct {
	ArtifactID   string          `json:"artifactId"`
	ArtifactType string          `json:"artifactType,omitempty"`
	FirstVersion v3CreateVersion `json:"firstVersion"`
}

type v3CreateVersion struct {
	Content v3VersionContent `json:"content"`
}

type v3VersionContent struct {
	Content     string `json:"content"`
	ContentType string `json:"contentType"`
}

type v3CreateArtifactResponse struct {
	Version *versionJSON `json:"version"`
}

func (c *Client) registerV3(ctx context.Context, artifactID, artifactType, content string) (VersionMeta, error) {
	body, err := json.Marshal(v3CreateArtifact{
		ArtifactID:   artifactID,
		ArtifactType: artifactType,
		FirstVersion: v3CreateVersion{Content: v3VersionContent{Content: content, ContentType: contentType(artifactType)}},
	})
	if err != nil {
		return VersionMeta{}, err
	}
	resp, err := c.do(ctx, request{
		method:      http.MethodPost,
		path:        "/groups/" + escape(c.group) + "/artifacts",
		query:       url.Values{"ifExists": {"FIND_OR_CREATE_VERSION"}},
		body:        body,
		contentType: "application/json",
	})
	if err != nil {
		return VersionMeta{}, err
	}
	var out v3CreateArtifactResponse
	if err := c.decode(resp, &out); err != nil {
		return VersionMeta{}, err
	}
	if out.Version == nil {
		return VersionMeta{}, fmt.Errorf("registry answered POST %s without the version it found or created", resp.Request.URL)
	}
	return c.meta(*out.Version, artifactID), nil
}

func (c *Client) registerV2(ctx context.Context, artifactID, artifactType, content string) (VersionMeta, error) {
	headers := map[string]string{"X-Registry-ArtifactId": artifactID}
	if artifactType != "" {
		headers["X-Registry-ArtifactType"] = artifactType
	}
	resp, err := c.do(ctx, request{
		method:      http.MethodPost,
		path:        "/groups/" + escape(c.group) + "/artifacts",
		query:       url.Values{"ifExists": {"RETURN_OR_UPDATE"}},
		headers:     headers,
		body:        []byte(content),
		contentType: contentType(artifactType),
	})
	if err != nil {
		return VersionMeta{}, err
	}
	var out versionJSON
	if err := c.decode(resp, &out); err != nil {
		return VersionMeta{}, err
	}
	return c.meta(out, artifactID), nil
}

// Versions lists every version of the artifact, oldest first.
func (c *Client) Versions(ctx context.Context, artifactID string) ([]VersionMeta, error) {
	vs, err := listAll[versionJSON](ctx, c, c.artifactPath(artifactID)+"/versions", "globalId")
	if err != nil {
		return nil, c.notFound(err, "artifact "+artifactID, true, "list versions of "+artifactID)
	}
	var all []VersionMeta
	for _, v := range vs {
		all = append(all, c.meta(v, artifactID))
	}
	slices.SortFunc(all, func(a, b VersionMeta) int { return cmp.Compare(a.GlobalID, b.GlobalID) })
	return all, nil
}

// Latest returns the metadata of the artifact's latest version.
func (c *Client) Latest(ctx context.Context, artifactID string) (VersionMeta, error) {
	path := c.artifactPath(artifactID) + "/versions/branch=latest"
	if c.v2 {
		path = c.artifactPath(artifactID) + "/meta"
	}
	return c.versionAt(ctx, path, artifactID, "artifact "+artifactID, "get latest version of "+artifactID)
}

// Version returns the metadata of one version of the artifact; "latest"
// is the latest version.
func (c *Client) Version(ctx context.Context, artifactID, version string) (VersionMeta, error) {
	if version == "" {
		return VersionMeta{}, fmt.Errorf("get version of %s: empty version", artifactID)
	}
	if version == "latest" {
		return c.Latest(ctx, artifactID)
	}
	path := c.artifactPath(artifactID) + "/versions/" + escape(version)
	if c.v2 {
		path += "/meta"
	}
	return c.versionAt(ctx, path, artifactID, "version "+version+" of artifact "+artifactID, "get version "+version+" of "+artifactID)
}

// Content returns the content of one version of the artifact; "latest"
// is the latest version.
func (c *Client) Content(ctx context.Context, artifactID, version string) (string, error) {
	if version == "" {
		return "", fmt.Errorf("get content of %s: empty version", artifactID)
	}
	var path, what string
	switch {
	case version == "latest" && c.v2:
		path, what = c.artifactPath(artifactID), "artifact "+artifactID
	case version == "latest":
		path, what = c.artifactPath(artifactID)+"/versions/branch=latest/content", "artifact "+artifactID
	case c.v2:
		path, what = c.artifactPath(artifactID)+"/versions/"+escape(version), "version "+version+" of artifact "+artifactID
	default:
		path, what = c.artifactPath(artifactID)+"/versions/"+escape(version)+"/content", "version "+version+" of artifact "+artifactID
	}
	resp, err := c.do(ctx, request{method: http.MethodGet, path: path})
	if err != nil {
		return "", c.notFound(err, what, true, "get content of "+what)
	}
	return string(resp.Body()), nil
}

// ContentByContentID returns the content with the given content id, the
// id an Apicurio 3 or Confluent framed message carries.
func (c *Client) ContentByContentID(ctx context.Context, id int64) (string, error) {
	return c.contentByID(ctx, "/ids/contentIds/", "content id", id)
}

// ContentByGlobalID returns the content of the version with the given
// global id, the id an Apicurio 2 framed message carries.
func (c *Client) ContentByGlobalID(ctx context.Context, id int64) (string, error) {
	return c.contentByID(ctx, "/ids/globalIds/", "global id", id)
}

func (c *Client) contentByID(ctx context.Context, prefix, kind string, id int64) (string, error) {
	what := kind + " " + strconv.FormatInt(id, 10)
	resp, err := c.do(ctx, request{method: http.MethodGet, path: prefix + strconv.FormatInt(id, 10)})
	if err != nil {
		return "", c.notFound(err, what, false, "get content of "+what)
	}
	return string(resp.Body()), nil
}

// List returns every artifact of the client's group, by artifact id. A
// group that does not exist has no artifacts.
func (c *Client) List(ctx context.Context) ([]ArtifactMeta, error) {
	as, err := listAll[artifactJSON](ctx, c, "/groups/"+escape(c.group)+"/artifacts", "artifactId")
	if errors.Is(err, ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list artifacts of group %s: %w", c.group, err)
	}
	var all []ArtifactMeta
	for _, a := range as {
		all = append(all, c.artifactMeta(a))
	}
	slices.SortFunc(all, func(a, b ArtifactMeta) int { return strings.Compare(a.ArtifactID, b.ArtifactID) })
	return all, nil
}

// pageJSON is a page of a v3 or v2 list: of versions or of artifacts.
type pageJSON[J any] struct {
	Count     int `json:"count"`
	Versions  []J `json:"versions"`
	Artifacts []J `json:"artifacts"`
}

// listAll GETs the list at path page by page (v3 ordered by orderBy,
// ascending) until it holds Count items or a page is empty, and returns
// the items.
func listAll[J any](ctx context.Context, c *Client, path, orderBy string) ([]J, error) {
	var all []J
	for offset := 0; ; offset += pageSize {
		q := url.Values{"offset": {strconv.Itoa(offset)}, "limit": {strconv.Itoa(pageSize)}}
		if !c.v2 {
			q.Set("orderby", orderBy)
			q.Set("order", "asc")
		}
		resp, err := c.do(ctx, request{method: http.MethodGet, path: path, query: q})
		if err != nil {
			return nil, err
		}
		var page pageJSON[J]
		if err := c.decode(resp, &page); err != nil {
			return nil, err
		}
		items := append(page.Versions, page.Artifacts...)
		all = append(all, items...)
		if len(items) == 0 || len(all) >= page.Count {
			return all, nil
		}
	}
}

// Delete deletes the artifact and all its versions.
func (c *Client) Delete(ctx context.Context, artifactID string) error {
	_, err := c.do(ctx, request{method: http.MethodDelete, path: c.artifactPath(artifactID)})
	if err != nil {
		return c.notFound(err, "artifact "+artifactID, true, "delete "+artifactID)
	}
	return nil
}

// SetRule creates or updates a rule of the artifact, or a global rule
// when artifactID is "".
func (c *Client) SetRule(ctx context.Context, artifactID string, rule RuleType, config string) error {
	target := c.ruleTarget(artifactID, rule)
	if !rule.valid() {
		return fmt.Errorf("set %s: unknown rule type: use VALIDITY, COMPATIBILITY or INTEGRITY", target)
	}
	if config == "" {
		return fmt.Errorf("set %s: empty config", target)
	}
	body, err := json.Marshal(c.ruleBody(rule, config))
	if err != nil {
		return err
	}
	base := "/admin/rules"
	if artifactID != "" {
		base = c.artifactPath(artifactID) + "/rules"
	}
	_, err = c.do(ctx, request{method: http.MethodPost, path: base, body: body, contentType: "application/json"})
	var ae *APIError
	if errors.As(err, &ae) && ae.Status == http.StatusConflict {
		// The rule exists: update it.
		_, err = c.do(ctx, request{method: http.MethodPut, path: base + "/" + escape(string(rule)), body: body, contentType: "application/json"})
	}
	if err != nil {
		if artifactID != "" {
			return c.notFound(err, "artifact "+artifactID, true, "set "+target)
		}
		return fmt.Errorf("set %s: %w", target, err)
	}
	return nil
}

// Rule returns the config of a rule of the artifact, or of a global rule
// when artifactID is "". A rule that is not configured is ErrNotFound.
func (c *Client) Rule(ctx context.Context, artifactID string, rule RuleType) (string, error) {
	target := c.ruleTarget(artifactID, rule)
	if !rule.valid() {
		return "", fmt.Errorf("get %s: unknown rule type: use VALIDITY, COMPATIBILITY or INTEGRITY", target)
	}
	path := "/admin/rules/" + escape(string(rule))
	if artifactID != "" {
		path = c.artifactPath(artifactID) + "/rules/" + escape(string(rule))
	}
	resp, err := c.do(ctx, request{method: http.MethodGet, path: path})
	if err != nil {
		return "", c.notFound(err, target, artifactID != "", "get "+target)
	}
	var r struct {
		Config string `json:"config"`
	}
	if err := c.decode(resp, &r); err != nil {
		return "", err
	}
	return r.Config, nil
}

func (c *Client) ruleTarget(artifactID string, rule RuleType) string {
	if artifactID == "" {
		return "global rule " + string(rule)
	}
	return "rule " + string(rule) + " of artifact " + artifactID
}

// ruleBody is CreateRule / Rule: v3 names the type ruleType, v2 type.
func (c *Client) ruleBody(rule RuleType, config string) any {
	if c.v2 {
		return struct {
			Type   RuleType `json:"type"`
			Config string   `json:"config"`
		}{rule, config}
	}
	return struct {
		RuleType RuleType `json:"ruleType"`
		Config   string   `json:"config"`
	}{rule, config}
}

// SystemInfo returns the registry's name and version. It is also a cheap
// reachability check.
func (c *Client) SystemInfo(ctx context.Context) (name, version string, err error) {
	resp, err := c.do(ctx, request{method: http.MethodGet, path: "/system/info"})
	if err != nil {
		return "", "", fmt.Errorf("get system info: %w", err)
	}
	var info struct {
		Name    string `json:"name"`
		Version string `json:"version"`
	}
	if err := c.decode(resp, &info); err != nil {
		return "", "", err
	}
	return info.Name, info.Version, nil
}

// decode unmarshals the JSON body of a 2xx response.
func (c *Client) decode(resp *resty.Response, v any) error {
	body := resp.Body()
	if err := json.Unmarshal(body, v); err != nil {
		text := string(body)
		if len(text) > 100 {
			text = text[:100] + "..."
		}
		return fmt.Errorf("registry at %s answered %s %s with malformed JSON (%v) %q: is the URL an Apicurio Registry?", c.base, resp.Request.Method, resp.Request.URL, err, text)
	}
	return nil
}

// versionAt GETs the metadata of the version at path; what and doing say
// in a not-found error what was missing and what was being done.
func (c *Client) versionAt(ctx context.Context, path, artifactID, what, doing string) (VersionMeta, error) {
	resp, err := c.do(ctx, request{method: http.MethodGet, path: path})
	if err != nil {
		return VersionMeta{}, c.notFound(err, what, true, doing)
	}
	var v versionJSON
	if err := c.decode(resp, &v); err != nil {
		return VersionMeta{}, err
	}
	return c.meta(v, artifactID), nil
}

// artifactKeyJSON is what v3 and v2 bodies say of an artifact: its group,
// id and type, each API in its own spelling, and its name.
type artifactKeyJSON struct {
	GroupID      string `json:"groupId"`
	ArtifactID   string `json:"artifactId"`   // v3
	ID           string `json:"id"`           // v2
	ArtifactType string `json:"artifactType"` // v3
	Type         string `json:"type"`         // v2
	Name         string `json:"name"`
}

// resolve returns the group (the client's when the body has none), the
// artifact id (artifactID when the body has none) and the type, whichever
// API spelled them.
func (k artifactKeyJSON) resolve(c *Client, artifactID string) (group, id, typ string) {
	return firstNonEmpty(k.GroupID, c.group), firstNonEmpty(k.ArtifactID, k.ID, artifactID), firstNonEmpty(k.ArtifactType, k.Type)
}

// versionJSON is the union of v3 VersionMetaData / SearchedVersion and v2
// ArtifactMetaData / VersionMetaData / SearchedVersion.
type versionJSON struct {
	artifactKeyJSON
	Version   flexString `json:"version"`
	GlobalID  int64      `json:"globalId"`
	ContentID int64      `json:"contentId"`
	CreatedOn apiTime    `json:"createdOn"`
}

func (c *Client) meta(v versionJSON, artifactID string) VersionMeta {
	m := VersionMeta{
		Version:   string(v.Version),
		Name:      v.Name,
		GlobalID:  v.GlobalID,
		ContentID: v.ContentID,
		CreatedOn: time.Time(v.CreatedOn),
	}
	m.GroupID, m.ArtifactID, m.ArtifactType = v.resolve(c, artifactID)
	return m
}

// artifactJSON is the union of v3 and v2 SearchedArtifact.
type artifactJSON struct {
	artifactKeyJSON
	Description string  `json:"description"`
	CreatedOn   apiTime `json:"createdOn"`
	ModifiedOn  apiTime `json:"modifiedOn"`
}

func (c *Client) artifactMeta(a artifactJSON) ArtifactMeta {
	m := ArtifactMeta{
		Name:        a.Name,
		Description: a.Description,
		CreatedOn:   time.Time(a.CreatedOn),
		ModifiedOn:  time.Time(a.ModifiedOn),
	}
	m.GroupID, m.ArtifactID, m.ArtifactType = a.resolve(c, "")
	return m
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

// flexString accepts a JSON string or number (the OpenAPI examples show
// versions as numbers).
type flexString string

func (f *flexString) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*f = ""
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		*f = flexString(s)
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err != nil {
		return fmt.Errorf("version %s is neither a string nor a number", b)
	}
	*f = flexString(n.String())
	return nil
}

// apiTime reads the date-times Apicurio writes: RFC 3339, the
// "2006-01-02T15:04:05+0000" form of Apicurio 2, with or without seconds,
// or epoch milliseconds. What it cannot read is the zero time: dates are
// informational.
type apiTime time.Time

var timeLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05.999999999Z0700",
	"2006-01-02T15:04Z07:00",
	"2006-01-02T15:04Z0700",
}

func (t *apiTime) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		var ms int64
		if json.Unmarshal(b, &ms) == nil {
			*t = apiTime(time.UnixMilli(ms).UTC())
		}
		return nil
	}
	for _, l := range timeLayouts {
		if v, err := time.Parse(l, s); err == nil {
			*t = apiTime(v)
			return nil
		}
	}
	return nil
}
