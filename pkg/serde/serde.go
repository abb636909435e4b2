// Package serde encodes and decodes Avro messages framed with the id of
// their writer schema (see package wire), looking schemas up in an Apicurio
// registry (see package registry) with github.com/hamba/avro/v2.
//
// Imported by salesstream's producer, enricher and reader
// (internal/pipeline/...) and its end-to-end tests; any Go program that
// reads or writes the project's topics may import it.
//
// Writing: an Encoder is bound to the latest version of one artifact,
// resolved once, and frames each value with that version's content id (the
// Apicurio 3 / Confluent format).
//
// Reading: Decode takes the schema id from the message's Kafka headers or
// its wire header (4-byte content id or Apicurio 2's 8-byte global id),
// fetches the writer schema once per id, and decodes the payload with it
// into a Go value whose avro struct tags name the fields. Schemas are cached
// for the life of the Serde: after warm-up, decoding makes no HTTP call, and
// concurrent misses for one id share one lookup.
//
// Errors sort messages into three kinds, so a consumer can decide between
// dead-lettering and waiting:
//
//   - poison, the same message will never decode: ErrBadFraming,
//     ErrUnknownSchema, ErrBadSchema, ErrBadPayload;
//   - transient, the registry could not answer: ErrRegistryUnavailable
//     (IsRetryable reports it);
//   - the caller's context ended: its error.
//
// Fast paths: WithFastDecoder installs a decoder written for one writer
// schema and one Go type, without reflection. Decode uses it for messages
// whose writer schema has that schema's canonical form, and the general
// decoder for every other writer schema (schema evolution keeps working)
// and for any payload the fast decoder refuses (so errors are the general
// decoder's). WithFastEncoder is its counterpart for writing: an Encoder
// whose schema has the fast encoder's canonical form uses it for values of
// its type, and the general encoder for anything else.
//
// A payload must be exactly one Avro datum: bytes left over after it are
// ErrBadPayload, since they mean the message was written with another
// schema than the one its id names.
package serde

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hamba/avro/v2"
	"github.com/modern-go/reflect2"

	"github.com/salesstream/salesstream/pkg/registry"
	"github.com/salesstream/salesstream/pkg/wire"
)

// Errors of Decode and Encoder, matched with errors.Is.
var (
	// ErrBadFraming: the message has no valid wire header (it also
	// matches the precise wire error, such as wire.ErrNoMagic).
	ErrBadFraming = errors.New("message is not framed Avro")
	// ErrUnknownSchema: the registry has no schema with the message's id.
	ErrUnknownSchema = errors.New("unknown schema id")
	// ErrBadSchema: the registered schema is not a valid Avro schema.
	ErrBadSchema = errors.New("registered schema is not valid Avro")
	// ErrBadPayload: the payload does not decode with its writer schema
	// into the given value, or has bytes left over.
	ErrBadPayload = errors.New("Avro payload does not decode")
	// ErrRegistryUnavailable: the schema could not be fetched now; the same
	// message may decode later. It is registry.ErrUnavailable, and also
	// wraps registry answers other than 404 (such as 401), which are
	// configuration problems rather than bad messages.
	ErrRegistryUnavailable = registry.ErrUnavailable
)

// IsRetryable reports whether err is worth waiting out rather than
// dead-lettering the message.
func IsRetryable(err error) bool { return errors.Is(err, ErrRegistryUnavailable) }

// DefaultNegativeTTL is how long an unknown or invalid schema id is
// remembered before the registry is asked again.
const DefaultNegativeTTL = 10 * time.Second

// MaxRemembered bounds the unknown or invalid schema ids remembered at
// once, so that poison messages naming ever new ids do not grow the cache
// without end; past it, expired ones are dropped, and an id that finds no
// room is not remembered (the registry is asked again for it).
const MaxRemembered = 1024

// Option configures a Serde.
type Option func(*options)

type options struct {
	log    *slog.Logger
	width  int
	negTTL time.Duration
	api    avro.API
	now    func() time.Time
	fast   []FastDecoder
	// fastEnc are the fast encoders, for the Encoders of their schemas.
	fastEnc []FastEncoder
}

// FastDecoder decodes the Avro of one writer schema into one Go type
// without reflection. It must be safe for concurrent use.
type FastDecoder interface {
	// Schema returns the writer schema it reads.
	Schema() avro.Schema
	// Decode decodes payload, one whole datum of Schema, into v and
	// reports true; or reports false, leaving v to the general decoder,
	// when v is not its type or the payload is not a valid datum.
	Decode(payload []byte, v any) bool
}

// WithFastDecoder adds a fast path for messages written with d's schema.
func WithFastDecoder(d FastDecoder) Option { return func(o *options) { o.fast = append(o.fast, d) } }

// FastEncoder encodes one Go type with one writer schema without
// reflection, writing exactly the bytes the general encoder writes. It
// must be safe for concurrent use.
type FastEncoder interface {
	// Schema returns the writer schema it writes.
	Schema() avro.Schema
	// Append appends the Avro encoding of v to dst and reports true; or,
	// when v is not its type, returns dst unchanged and reports false,
	// leaving v to the general encoder.
	Append(dst []byte, v any) ([]byte, bool)
}

// WithFastEncoder adds a fast path for the Encoders whose schema has the
// canonical form of e's schema.
func WithFastEncoder(e FastEncoder) Option {
	return func(o *options) { o.fastEnc = append(o.fastEnc, e) }
}

// WithLogger sets the logger of schema lookups.
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.log = l } }

// WithIDWidth fixes the width of the id in wire headers: 4 (content ids) or
// 8 (global ids, for registries whose global ids reach 2^32). The default,
// 0, tells them apart as wire.Parse documents. New panics on other widths.
func WithIDWidth(n int) Option { return func(o *options) { o.width = n } }

// WithNegativeTTL sets how long unknown or invalid schema ids are
// remembered (at most MaxRemembered of them), so that a flood of poison
// messages does not become a flood of lookups; 0 asks the registry every
// time.
func WithNegativeTTL(d time.Duration) Option { return func(o *options) { o.negTTL = d } }

// WithAvroAPI sets the hamba/avro configuration (for example a larger
// MaxByteSliceSize). The default is a private avro.Config{}.Freeze().
func WithAvroAPI(api avro.API) Option { return func(o *options) { o.api = api } }

// Serde encodes and decodes framed Avro with schemas from one registry. It
// is safe for concurrent use.
type Serde struct {
	reg     *registry.Client
	api     avro.API
	log     *slog.Logger
	width   int
	negTTL  time.Duration
	now     func() time.Time
	readers sync.Pool
	fast    map[[32]byte][]FastDecoder // by schema fingerprint
	fastEnc []FastEncoder

	mu    sync.RWMutex
	cache map[wire.ID]*entry
	// failed counts the entries of cache that remember a failure; at
	// most MaxRemembered.
	failed int
	// last is the entry resolved last, if it found its schema: a stream
	// of one writer schema resolves without taking mu. Found entries are
	// never removed from cache, so it stays right.
	last atomic.Pointer[entry]
}

// entry is one schema lookup; done is closed when it has a result.
type entry struct {
	id     wire.ID
	done   chan struct{}
	schema avro.Schema
	fast   []FastDecoder // for schema
	err    error
	// expires ends the caching of err.
	expires time.Time
	// abandoned: the lookup was cut short by its caller's context, which
	// says nothing of the id; waiters look it up again.
	abandoned bool
}

// New returns a Serde that looks schemas up in reg.
func New(reg *registry.Client, opts ...Option) *Serde {
	o := options{log: slog.Default(), negTTL: DefaultNegativeTTL, now: time.Now}
	for _, opt := range opts {
		opt(&o)
	}
	if o.width != 0 && o.width != 4 && o.width != 8 {
		panic(fmt.Sprintf("serde.WithIDWidth(%d): the width must be 0 (detect), 4 or 8", o.width))
	}
	if o.api == nil {
		o.api = avro.Config{}.Freeze()
	}
	s := &Serde{
		reg:    reg,
		api:    o.api,
		log:    o.log,
		width:  o.width,
		negTTL: o.negTTL,
		now:    o.now,
		cache:  map[wire.ID]*entry{},
		fast:   map[[32]byte][]FastDecoder{},
	}
	for _, d := range o.fast {
		fp := d.Schema().Fingerprint()
		s.fast[fp] = append(s.fast[fp], d)
	}
	s.fastEnc = o.fastEnc
	s.readers.New = func() any { return avro.NewReader(nil, 0, avro.WithReaderConfig(s.api)) }
	return s
}

// Encoder encodes values of one Go type with one schema version, framing
// each with its content id. It is safe for concurrent use.
type Encoder struct {
	artifactID string
	meta       registry.VersionMeta
	schema     avro.Schema
	api        avro.API
	fast       []FastEncoder // for schema
	writers    sync.Pool
	// last is the hamba encoder of the Go type encoded last: a caller
	// encodes one type, and looking its encoder up in hamba's cache
	// (schema fingerprint and type, in a sync.Map) for every value was a
	// tenth of a value's encoding time.
	last atomic.Pointer[typedEncoder]
}

// typedEncoder is hamba's encoder of e.schema for the Go type rtype.
type typedEncoder struct {
	rtype uintptr
	enc   avro.ValEncoder
}

// Encoder resolves the latest version of artifactID (its content id and
// schema) and returns an encoder for it. The version is fixed for the life
// of the Encoder: ask for a new one to pick up a newer version.
func (s *Serde) Encoder(ctx context.Context, artifactID string) (*Encoder, error) {
	meta, err := s.reg.Latest(ctx, artifactID)
	if err != nil {
		return nil, err
	}
	if err := wire.CheckContentID(meta.ContentID); err != nil {
		return nil, fmt.Errorf("encoder for %s: %w", artifactID, err)
	}
	id := wire.ID{Value: meta.ContentID, Kind: wire.ContentID}
	schema, err := s.Schema(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("encoder for %s version %s: %w", artifactID, meta.Version, err)
	}
	e := &Encoder{artifactID: artifactID, meta: meta, schema: schema, api: s.api}
	for _, f := range s.fastEnc {
		if f.Schema().Fingerprint() == schema.Fingerprint() {
			e.fast = append(e.fast, f)
		}
	}
	e.writers.New = func() any { return avro.NewWriter(nil, 512, avro.WithWriterConfig(s.api)) }
	s.log.Debug("resolved schema for encoding", "artifact", artifactID, "version", meta.Version, "content_id", meta.ContentID, "global_id", meta.GlobalID, "fast", e.Fast())
	return e, nil
}

// Append appends the wire header (magic byte, content id) and the Avro
// encoding of v to dst and returns the extended slice. v is a struct, or
// better a pointer to one (a pointer avoids an allocation), whose avro tags
// name the schema's fields. On error dst is returned unchanged.
func (e *Encoder) Append(dst []byte, v any) ([]byte, error) {
	if len(e.fast) > 0 {
		framed := wire.AppendHeader(dst, e.meta.ContentID)
		for _, f := range e.fast {
			if out, ok := f.Append(framed, v); ok {
				return out, nil
			}
		}
	}
	w := e.writers.Get().(*avro.Writer)
	w.Reset(nil)
	e.encoderOf(v).Encode(reflect2.PtrOf(v), w) // what w.WriteVal(e.schema, v) does, less its lookup
	if err := w.Error; err != nil {
		w.Error = nil
		e.writers.Put(w)
		return dst, fmt.Errorf("encode %T for %s (content id %d): %w", v, e.artifactID, e.meta.ContentID, err)
	}
	dst = wire.AppendHeader(dst, e.meta.ContentID)
	dst = append(dst, w.Buffer()...)
	e.writers.Put(w)
	return dst, nil
}

// encoderOf returns hamba's encoder of e's schema for v's type, as
// avro.Writer.WriteVal finds it.
func (e *Encoder) encoderOf(v any) avro.ValEncoder {
	rt := reflect2.RTypeOf(v)
	if t := e.last.Load(); t != nil && t.rtype == rt {
		return t.enc
	}
	enc := e.api.EncoderOf(e.schema, reflect2.TypeOf(v))
	e.last.Store(&typedEncoder{rtype: rt, enc: enc})
	return enc
}

// Fast reports whether a fast encoder (see WithFastEncoder) serves e's
// schema.
func (e *Encoder) Fast() bool { return len(e.fast) > 0 }

// Schema returns the writer schema of the encoder.
func (e *Encoder) Schema() avro.Schema { return e.schema }

// ContentID returns the content id written in each header.
func (e *Encoder) ContentID() int64 { return e.meta.ContentID }

// Meta returns the artifact version the encoder writes.
func (e *Encoder) Meta() registry.VersionMeta { return e.meta }

// Decode reads a framed message and unmarshals its Avro payload, written
// with the schema its id names, into v (a non-nil pointer).
//
// headerID, when not nil, returns the Kafka record header of a key; if the
// headers carry a schema id for the record's key (isKey) or value, msg is
// plain Avro without a wire header (see wire.FromHeaders).
func (s *Serde) Decode(ctx context.Context, msg []byte, headerID func(key string) ([]byte, bool), isKey bool, v any) error {
	id, payload, err := s.frame(msg, headerID, isKey)
	if err != nil {
		return err
	}
	e, err := s.resolve(ctx, id)
	if err != nil {
		return err
	}
	for _, d := range e.fast {
		if d.Decode(payload, v) {
			return nil
		}
	}
	return s.unmarshal(id, e.schema, payload, v)
}

func (s *Serde) frame(msg []byte, headerID func(string) ([]byte, bool), isKey bool) (wire.ID, []byte, error) {
	if headerID != nil {
		id, ok, err := wire.FromHeaders(isKey, headerID)
		if err != nil {
			return wire.ID{}, nil, fmt.Errorf("%w: %w", ErrBadFraming, err)
		}
		if ok {
			return id, msg, nil
		}
	}
	var (
		id      wire.ID
		payload []byte
		err     error
	)
	if s.width == 0 {
		id, payload, err = wire.Parse(msg)
	} else {
		id, payload, err = wire.ParseWidth(msg, s.width)
	}
	if err != nil {
		return wire.ID{}, nil, fmt.Errorf("%w: %w", ErrBadFraming, err)
	}
	return id, payload, nil
}

func (s *Serde) unmarshal(id wire.ID, schema avro.Schema, payload []byte, v any) (err error) {
	r := s.readers.Get().(*avro.Reader)
	defer func() {
		r.Reset(nil)
		r.Error = nil
		s.readers.Put(r)
	}()
	r.Reset(payload)
	r.ReadVal(schema, v)
	rerr := r.Error
	if errors.Is(rerr, io.EOF) {
		// A complete datum never reads past its end: the reader ran out
		// of bytes mid-record.
		rerr = errors.New("payload ends before the record does (truncated message?)")
	}
	if rerr == nil {
		if r.Peek(); r.Error == nil {
			rerr = errors.New("bytes left over after the record: was it written with another schema?")
		}
	}
	if rerr != nil {
		return fmt.Errorf("%w: %s with the schema of %s into %T: %v", ErrBadPayload, describe(schema), id, v, rerr)
	}
	return nil
}

func describe(s avro.Schema) string {
	if n, ok := s.(avro.NamedSchema); ok {
		return n.FullName()
	}
	return string(s.Type())
}

// Schema returns the schema with the given id, from the cache or the
// registry. Concurrent calls for an id that is not cached share one lookup.
func (s *Serde) Schema(ctx context.Context, id wire.ID) (avro.Schema, error) {
	e, err := s.resolve(ctx, id)
	if err != nil {
		return nil, err
	}
	return e.schema, nil
}

// resolve returns the cache entry of id, with its schema, or the error of
// its lookup.
func (s *Serde) resolve(ctx context.Context, id wire.ID) (*entry, error) {
	if e := s.last.Load(); e != nil && e.id == id {
		return e, nil
	}
	s.mu.RLock()
	e := s.cache[id]
	s.mu.RUnlock()
	if e != nil && e.ready() && e.err == nil {
		s.last.Store(e)
		return e, nil
	}
	for {
		s.mu.Lock()
		e = s.cache[id]
		if e != nil && e.ready() && e.err != nil && !s.now().Before(e.expires) {
			s.forget(id) // a remembered failure expired
			e = nil
		}
		if e == nil {
			e = &entry{id: id, done: make(chan struct{})}
			s.cache[id] = e
			s.mu.Unlock()
			s.lookup(ctx, id, e)
			return e, e.err
		}
		s.mu.Unlock()
		select {
		case <-e.done:
		case <-ctx.Done():
			return nil, fmt.Errorf("look up schema of %s: %w", id, ctx.Err())
		}
		if !e.abandoned {
			return e, e.err
		}
		// The caller who looked it up gave up; look it up again.
	}
}

func (e *entry) ready() bool {
	select {
	case <-e.done:
		return true
	default:
		return false
	}
}

// lookup fetches and parses the schema of id into e, and keeps e cached
// when its result is final: a schema, or a failure for the negative TTL.
func (s *Serde) lookup(ctx context.Context, id wire.ID, e *entry) {
	defer close(e.done)
	var (
		content string
		err     error
	)
	if id.Kind == wire.GlobalID {
		content, err = s.reg.ContentByGlobalID(ctx, id.Value)
	} else {
		content, err = s.reg.ContentByContentID(ctx, id.Value)
	}
	keep := false
	switch {
	case err == nil:
		e.schema, err = avro.ParseWithCache(content, "", &avro.SchemaCache{})
		if err != nil {
			e.err = fmt.Errorf("%w: %s: %v", ErrBadSchema, id, err)
		} else {
			e.fast = s.fast[e.schema.Fingerprint()]
		}
		keep = true
	case ctx.Err() != nil:
		e.err = fmt.Errorf("look up schema of %s: %w", id, ctx.Err())
		e.abandoned = true
	case errors.Is(err, registry.ErrNotFound):
		e.err = fmt.Errorf("%w: %w", ErrUnknownSchema, err)
		keep = true
	case errors.Is(err, ErrRegistryUnavailable):
		e.err = fmt.Errorf("look up schema of %s: %w", id, err)
	default:
		e.err = fmt.Errorf("look up schema of %s: %w: %w", id, ErrRegistryUnavailable, err)
	}
	if e.err != nil {
		e.schema = nil
		e.expires = s.now().Add(s.negTTL)
		keep = keep && s.negTTL > 0
		s.log.Warn("schema lookup failed", "id", id.String(), "err", e.err)
	} else {
		s.log.Debug("cached schema", "id", id.String(), "schema", describe(e.schema))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.cache[id] != e:
	case !keep:
		delete(s.cache, id)
	case e.err != nil:
		if s.failed >= MaxRemembered {
			s.forgetExpired()
		}
		if s.failed >= MaxRemembered {
			delete(s.cache, id) // no room: not remembered
		} else {
			s.failed++
		}
	}
}

// forget removes the remembered failure of id. s.mu must be held.
func (s *Serde) forget(id wire.ID) {
	delete(s.cache, id)
	s.failed--
}

// forgetExpired removes the remembered failures whose time is up. s.mu
// must be held; entries still being looked up are skipped.
func (s *Serde) forgetExpired() {
	now := s.now()
	for id, e := range s.cache {
		if e.ready() && e.err != nil && !now.Before(e.expires) {
			s.forget(id)
		}
	}
}
