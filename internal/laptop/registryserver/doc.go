// Package registryserver is salesstream's embedded, Apicurio-compatible schema
// registry: one in-memory registry served through three HTTP views.
//
//   - /apis/registry/v3: the Apicurio core v3 API (groups, artifacts, versions,
//     content by id, search, rules);
//   - /apis/registry/v2: the same data through the Apicurio core v2 paths;
//   - /apis/ccompat/v7: the Confluent-compatible API, where a subject is an
//     artifact id in the group "default" (or the group named by the
//     X-Registry-GroupId header).
//
// # Model
//
// The registry holds groups of artifacts; an artifact has an ordered list of
// versions; each version points at one content. Ids follow Apicurio:
//
//   - globalId identifies one version across the whole registry; it
//     increases with every version created and is never reused;
//   - contentId identifies one distinct content (the exact bytes, hashed with
//     SHA-256): registering the same bytes again, under any artifact, reuses
//     the contentId;
//   - the ccompat schema id is the contentId, as in Apicurio 3, and the
//     ccompat version number of a version is its position (1, 2, ...) in
//     its artifact.
//
// # Idempotency and canonical content
//
// Creating an artifact with ifExists=FIND_OR_CREATE_VERSION (v3),
// ifExists=RETURN_OR_UPDATE (v2) or registering under a ccompat subject
// returns the existing version whose content matches, and creates a new
// version only when the content changed. For AVRO artifacts the contents are
// compared in a canonical form: both are parsed with hamba/avro and their
// full normalised JSON (names, fields, types, defaults, docs, logical types)
// is compared, so whitespace or key order changes never make a new version,
// while any change to the schema does. Other artifact types compare the exact
// bytes. Explicit version creation (v3 POST .../versions, ifExists
// CREATE_VERSION, v2 UPDATE) always creates a version, as Apicurio does.
//
// # Rules
//
// Artifact rules override global rules of the same type. VALIDITY (FULL: the
// content must parse as an Avro schema; SYNTAX_ONLY: it must be JSON) and
// COMPATIBILITY (BACKWARD, FORWARD, FULL and their _TRANSITIVE forms, NONE,
// checked with hamba/avro's schema compatibility) are enforced for AVRO
// artifacts; a violation is answered 409 with the causes listed. JSON,
// PROTOBUF and the other Apicurio artifact types are stored as opaque text:
// no rule validates them. INTEGRITY rules are stored but have no effect, as
// artifact references are not supported. The ccompat API always rejects an
// Avro schema that does not parse (422, error code 42201), as Confluent does.
//
// # Persistence
//
// Every state change is an [Event] appended to a [Journal] before it is
// applied and before the HTTP response is sent; [New] replays the journal, so
// a restarted server has the same state and ids, and new ids continue after
// the highest one ever used. [OpenFileJournal] keeps the events as JSON lines
// in one file; [NewKafkaJournal] keeps them in a single-partition Kafka topic
// with infinite retention, one record per event, for a registry whose state
// must outlive its host. Without a journal the registry lives in memory only.
//
// # Request bodies
//
// A request body may be compressed (Content-Encoding gzip or deflate), as
// Apicurio's own SDKs send them by default; it is decompressed before it is
// read, and both the compressed and the decompressed body are bounded by the
// body limit.
//
// # Errors
//
// Every error is answered with the error body of the API asked (v3
// ProblemDetails, v2 Error, ccompat {error_code, message}) and a 4xx status
// for anything the client can fix; a panic is recovered, logged and answered
// 500 as a last resort.
package registryserver
