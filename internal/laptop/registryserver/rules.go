package registryserver

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/hamba/avro/v2"
)

// Rule types and their configurations.
const (
	ruleValidity      = "VALIDITY"
	ruleCompatibility = "COMPATIBILITY"
	ruleIntegrity     = "INTEGRITY"

	typeAvro = "AVRO"
)

var ruleConfigs = map[string][]string{
	ruleValidity:      {"FULL", "SYNTAX_ONLY", "NONE"},
	ruleCompatibility: {"BACKWARD", "BACKWARD_TRANSITIVE", "FORWARD", "FORWARD_TRANSITIVE", "FULL", "FULL_TRANSITIVE", "NONE"},
	ruleIntegrity:     {"FULL", "NO_DUPLICATES", "REFS_EXIST", "ALL_REFS_MAPPED", "NO_CIRCULAR_REFERENCES", "NONE"},
}

func knownRuleType(t string) bool {
	_, ok := ruleConfigs[t]
	return ok
}

// checkRuleConfig tells what is wrong with config for a rule type, "" if
// nothing. INTEGRITY takes a comma-separated list.
func checkRuleConfig(ruleType, config string) string {
	allowed, ok := ruleConfigs[ruleType]
	if !ok {
		return fmt.Sprintf("unknown rule type %q: use VALIDITY, COMPATIBILITY or INTEGRITY", ruleType)
	}
	parts := []string{config}
	if ruleType == ruleIntegrity {
		parts = strings.Split(config, ",")
	}
	for _, p := range parts {
		found := false
		for _, a := range allowed {
			if strings.TrimSpace(p) == a {
				found = true
			}
		}
		if !found {
			return fmt.Sprintf("invalid %s rule config %q: use one of %s", ruleType, config, strings.Join(allowed, ", "))
		}
	}
	return ""
}

// artifactTypes are the artifact types accepted; all but AVRO are stored as
// opaque text.
var artifactTypes = map[string]string{ // type -> default content type
	"AVRO":     "application/json",
	"PROTOBUF": "application/x-protobuf",
	"JSON":     "application/json",
	"KCONNECT": "application/json",
	"OPENAPI":  "application/json",
	"ASYNCAPI": "application/json",
	"GRAPHQL":  "application/graphql",
	"WSDL":     "application/xml",
	"XSD":      "application/xml",
	"XML":      "application/xml",
}

// parseAvro parses an Avro schema with a cache of its own, so named types of
// one schema never leak into another.
func parseAvro(data []byte) (avro.Schema, error) {
	return avro.ParseBytesWithCache(data, "", &avro.SchemaCache{})
}

// canonicalAvro returns the canonical form used to compare Avro contents:
// hamba/avro's full JSON of the parsed schema (independent of whitespace and
// key order, keeping defaults, docs and logical types).
func canonicalAvro(data []byte) (string, error) {
	s, err := parseAvro(data)
	if err != nil {
		return "", err
	}
	b, err := json.Marshal(s)
	if err != nil {
		return "", fmt.Errorf("encode parsed schema: %w", err)
	}
	return string(b), nil
}

// avroTypeNames are the values of "type" that mark a JSON document as an
// Avro schema.
var avroTypeNames = map[string]bool{
	"record": true, "enum": true, "fixed": true, "array": true, "map": true, "error": true,
	"null": true, "boolean": true, "int": true, "long": true, "float": true, "double": true,
	"bytes": true, "string": true,
}

// detectType guesses the artifact type of content sent without one.
func detectType(data []byte) (string, bool) {
	trimmed := bytes.TrimSpace(data)
	var doc any
	if json.Unmarshal(trimmed, &doc) == nil {
		switch d := doc.(type) {
		case map[string]any:
			if _, ok := d["$schema"]; ok {
				return "JSON", true
			}
			if _, ok := d["openapi"]; ok {
				return "OPENAPI", true
			}
			if _, ok := d["asyncapi"]; ok {
				return "ASYNCAPI", true
			}
			if t, ok := d["type"].(string); ok {
				if t == "object" {
					return "JSON", true
				}
				if avroTypeNames[t] {
					return typeAvro, true
				}
			}
			if _, ok := d["properties"]; ok {
				return "JSON", true
			}
		case []any, string:
			if _, err := parseAvro(trimmed); err == nil {
				return typeAvro, true
			}
		}
		return "", false
	}
	s := string(trimmed)
	if strings.Contains(s, "syntax") || strings.HasPrefix(s, "message ") || strings.Contains(s, "\nmessage ") {
		return "PROTOBUF", true
	}
	return "", false
}

// ruleCause is one reason a rule rejected content.
type ruleCause struct {
	Description string `json:"description"`
	Context     string `json:"context"`
}

// priorVersion is what the compatibility check needs of a stored version.
type priorVersion struct {
	version string
	data    []byte
}

// checkRules applies the effective VALIDITY and COMPATIBILITY rules to new
// content of an artifact of type typ, given its versions oldest first. Only
// AVRO content is checked.
func checkRules(typ string, rules map[string]string, data []byte, prior []priorVersion) []ruleCause {
	if typ != typeAvro {
		return nil
	}
	var causes []ruleCause
	switch rules[ruleValidity] {
	case "FULL":
		if _, err := parseAvro(data); err != nil {
			causes = append(causes, ruleCause{Description: "invalid Avro schema: " + err.Error(), Context: "/"})
		}
	case "SYNTAX_ONLY":
		if !json.Valid(data) {
			causes = append(causes, ruleCause{Description: "content is not valid JSON, so not an Avro schema", Context: "/"})
		}
	}
	if len(causes) > 0 {
		return causes
	}
	level := rules[ruleCompatibility]
	if level == "" || level == "NONE" || len(prior) == 0 {
		return nil
	}
	candidate, err := parseAvro(data)
	if err != nil {
		return []ruleCause{{Description: "compatibility cannot be checked: invalid Avro schema: " + err.Error(), Context: "/"}}
	}
	return checkCompatibility(level, candidate, prior)
}

// checkCompatibility checks candidate against the latest prior version, or
// against all of them for the _TRANSITIVE levels.
func checkCompatibility(level string, candidate avro.Schema, prior []priorVersion) []ruleCause {
	against := prior
	if !strings.HasSuffix(level, "_TRANSITIVE") && len(prior) > 0 {
		against = prior[len(prior)-1:]
	}
	base := strings.TrimSuffix(level, "_TRANSITIVE")
	var causes []ruleCause
	for _, p := range against {
		old, err := parseAvro(p.data)
		if err != nil {
			causes = append(causes, ruleCause{
				Description: fmt.Sprintf("version %s is not a valid Avro schema, so %s compatibility cannot hold: %v", p.version, level, err),
				Context:     "/",
			})
			continue
		}
		// A fresh checker each time: hamba's checker caches results by
		// canonical fingerprint, which ignores defaults.
		if base == "BACKWARD" || base == "FULL" {
			if err := avro.NewSchemaCompatibility().Compatible(candidate, old); err != nil {
				causes = append(causes, ruleCause{
					Description: fmt.Sprintf("%s: the new schema cannot read data written with version %s: %v", level, p.version, err),
					Context:     "/",
				})
			}
		}
		if base == "FORWARD" || base == "FULL" {
			if err := avro.NewSchemaCompatibility().Compatible(old, candidate); err != nil {
				causes = append(causes, ruleCause{
					Description: fmt.Sprintf("%s: version %s cannot read data written with the new schema: %v", level, p.version, err),
					Context:     "/",
				})
			}
		}
	}
	return causes
}
