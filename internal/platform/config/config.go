// Package config resolves the binaries' settings from, in order of
// precedence, command-line flags, environment variables, a parameter store
// (AWS SSM Parameter Store in production) and defaults.
//
// A Set wraps a flag.FlagSet. Each setting is declared once, with its flag
// name, its environment variable and optionally its parameter-store name;
// after the flags are parsed, Resolve fills every setting not given on the
// command line from the environment, then from the store, and records where
// each value came from so that Print can show the resolved configuration
// with secrets masked. A Set also logs as its resolved settings, secrets
// masked (it is a slog.LogValuer).
//
// Packages that need the same settings (the AWS region, say) share them
// through Shared, which declares them once per Set.
package config

import (
	"context"
	"encoding"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
)

// Source says where a setting's value came from.
type Source string

// The sources of a setting's value, from the strongest to the weakest.
const (
	FromFlag    Source = "flag"
	FromEnv     Source = "env"
	FromStore   Source = "ssm"
	FromDefault Source = "default"
)

// ParamStore reads named parameters, decrypting secure ones. Names are
// relative to the store's prefix; a name the store does not hold is absent
// from the result, not an error.
type ParamStore interface {
	Params(ctx context.Context, names []string) (map[string]string, error)
}

// Option tunes one setting.
type Option func(*setting)

// Env names the environment variable that sets the value when the flag is
// not given.
func Env(name string) Option { return func(s *setting) { s.env = name } }

// Param names the parameter-store entry that sets the value when neither the
// flag nor the environment variable is given.
func Param(name string) Option { return func(s *setting) { s.param = name } }

// Secret masks the value in Print.
func Secret() Option { return func(s *setting) { s.secret = true } }

type setting struct {
	name   string
	env    string
	param  string
	secret bool
	value  flag.Value
	source Source
}

// quote returns v quoted for an error message, or a mask if the setting is
// secret.
func (st *setting) quote(v string) string {
	if st.secret {
		return "****"
	}
	return strconv.Quote(v)
}

// Set is a group of settings bound to a flag.FlagSet.
type Set struct {
	fs       *flag.FlagSet
	settings []*setting
	shared   map[string]any
	checks   []func() error
}

// Check adds a check of the resolved settings, such as one setting that
// must not exceed another, for Validate to run. Its error should name the
// settings as the user wrote them (--slide 10m must not exceed --window 5m).
func (s *Set) Check(check func() error) { s.checks = append(s.checks, check) }

// Validate runs the checks, in the order they were added, and returns
// their errors joined: every setting that is wrong, not only the first.
func (s *Set) Validate() error {
	var errs []error
	for _, c := range s.checks {
		errs = append(errs, c())
	}
	return errors.Join(errs...)
}

// Shared returns the value that packages using s share under key, calling
// declare to create it (and declare its settings in s) the first time. It
// lets several packages rely on one group of settings, such as the AWS
// region, that must be declared once. declare must always return the same
// type for a given key.
func Shared[T any](s *Set, key string, declare func(*Set) *T) *T {
	if v, ok := s.shared[key]; ok {
		return v.(*T)
	}
	v := declare(s)
	if s.shared == nil {
		s.shared = map[string]any{}
	}
	s.shared[key] = v
	return v
}

// New returns a Set that declares its settings as flags of fs.
func New(fs *flag.FlagSet) *Set {
	return &Set{fs: fs}
}

// FlagSet returns the underlying flag set.
func (s *Set) FlagSet() *flag.FlagSet { return s.fs }

func (s *Set) add(v flag.Value, name, usage string, opts []Option) {
	st := &setting{name: name, value: v, source: FromDefault}
	for _, o := range opts {
		o(st)
	}
	if st.env != "" {
		usage += " (env " + st.env + ")"
	}
	s.fs.Var(v, name, usage)
	s.settings = append(s.settings, st)
}

// String declares a string setting stored in p.
func (s *Set) String(p *string, name, def, usage string, opts ...Option) {
	*p = def
	s.add((*stringValue)(p), name, usage, opts)
}

// Strings declares a comma-separated list setting stored in p.
func (s *Set) Strings(p *[]string, name string, def []string, usage string, opts ...Option) {
	*p = def
	s.add((*stringsValue)(p), name, usage, opts)
}

// Duration declares a duration setting stored in p.
func (s *Set) Duration(p *time.Duration, name string, def time.Duration, usage string, opts ...Option) {
	*p = def
	s.add((*durationValue)(p), name, usage, opts)
}

// Int declares an integer setting stored in p.
func (s *Set) Int(p *int, name string, def int, usage string, opts ...Option) {
	*p = def
	s.add((*intValue)(p), name, usage, opts)
}

// Float declares a floating-point setting stored in p.
func (s *Set) Float(p *float64, name string, def float64, usage string, opts ...Option) {
	*p = def
	s.add((*floatValue)(p), name, usage, opts)
}

// Bool declares a boolean setting stored in p.
func (s *Set) Bool(p *bool, name string, def bool, usage string, opts ...Option) {
	*p = def
	s.add((*boolValue)(p), name, usage, opts)
}

// TextVar declares a setting of a type that reads itself from text, such
// as an enumeration or a time.Time, stored in p, as flag.TextVar does:
// p's UnmarshalText parses the flag, the environment variable or the
// parameter, and *p starts as value. p must also implement
// encoding.TextMarshaler, so the setting can print its value. It panics if
// value does not marshal or p does not unmarshal it: a defect of the
// declaration.
func (s *Set) TextVar(p encoding.TextUnmarshaler, name string, value encoding.TextMarshaler, usage string, opts ...Option) {
	b, err := value.MarshalText()
	if err == nil {
		err = p.UnmarshalText(b)
	}
	if err != nil {
		panic(fmt.Sprintf("config: default of --%s: %v", name, err))
	}
	s.add(textValue{p}, name, usage, opts)
}

// Parse parses args and then resolves the settings with Resolve, reading
// the environment through os.LookupEnv.
func (s *Set) Parse(ctx context.Context, args []string, store ParamStore) error {
	if err := s.fs.Parse(args); err != nil {
		return err
	}
	return s.Resolve(ctx, os.LookupEnv, store)
}

// Resolve fills the settings not given as flags from the environment, then
// from store (which may be nil), and records each value's source. Call it
// after the flag set was parsed. It may be called again, for example first
// without a store to learn the settings that say how to reach the store,
// then with the store.
func (s *Set) Resolve(ctx context.Context, lookupEnv func(string) (string, bool), store ParamStore) error {
	given := map[string]bool{}
	s.fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	var pending []*setting
	for _, st := range s.settings {
		switch {
		case given[st.name]:
			st.source = FromFlag
		case st.env != "":
			if v, ok := lookupEnv(st.env); ok && v != "" {
				if err := st.value.Set(v); err != nil {
					return fmt.Errorf("environment variable %s=%s for --%s: %w", st.env, st.quote(v), st.name, err)
				}
				st.source = FromEnv
				continue
			}
			fallthrough
		default:
			if st.param != "" {
				pending = append(pending, st)
			}
		}
	}
	if store == nil || len(pending) == 0 {
		return nil
	}
	names := make([]string, len(pending))
	for i, st := range pending {
		names[i] = st.param
	}
	vals, err := store.Params(ctx, names)
	if err != nil {
		return fmt.Errorf("read parameters %s: %w", strings.Join(names, ", "), err)
	}
	for _, st := range pending {
		v, ok := vals[st.param]
		if !ok {
			continue
		}
		if err := st.value.Set(v); err != nil {
			return fmt.Errorf("parameter %s=%s for --%s: %w", st.param, st.quote(v), st.name, err)
		}
		st.source = FromStore
	}
	return nil
}

// Source returns where the value of the named setting came from.
func (s *Set) Source(name string) (Source, error) {
	for _, st := range s.settings {
		if st.name == name {
			return st.source, nil
		}
	}
	return "", errors.New("no setting named " + name)
}

// Print writes the resolved settings, one a line with their source, secrets
// masked.
func (s *Set) Print(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SETTING\tVALUE\tSOURCE")
	for _, st := range s.settings {
		fmt.Fprintf(tw, "--%s\t%s\t%s\n", st.name, st.display(), st.origin())
	}
	return tw.Flush()
}

// LogValue makes a Set log as a group of its settings, "value (source)",
// secrets masked, so that the resolved configuration can be logged with
// slog without revealing them.
func (s *Set) LogValue() slog.Value {
	attrs := make([]slog.Attr, 0, len(s.settings))
	for _, st := range s.settings {
		attrs = append(attrs, slog.String(st.name, st.display()+" ("+st.origin()+")"))
	}
	return slog.GroupValue(attrs...)
}

// display returns the setting's value, masked if it is a secret.
func (st *setting) display() string {
	v := st.value.String()
	if st.secret && v != "" {
		return "****"
	}
	return v
}

// origin says where the value came from, naming the variable or parameter.
func (st *setting) origin() string {
	switch st.source {
	case FromEnv:
		return string(st.source) + " " + st.env
	case FromStore:
		return string(st.source) + " " + st.param
	}
	return string(st.source)
}

// textValue is a flag.Value over an encoding.TextUnmarshaler that is also
// an encoding.TextMarshaler.
type textValue struct{ p encoding.TextUnmarshaler }

func (v textValue) Set(s string) error { return v.p.UnmarshalText([]byte(s)) }

func (v textValue) String() string {
	m, ok := v.p.(encoding.TextMarshaler)
	if !ok || v.p == nil {
		return ""
	}
	b, err := m.MarshalText()
	if err != nil {
		return ""
	}
	return string(b)
}

type stringValue string

func (v *stringValue) Set(s string) error { *v = stringValue(s); return nil }
func (v *stringValue) String() string     { return string(*v) }

type stringsValue []string

func (v *stringsValue) Set(s string) error {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	*v = out
	return nil
}
func (v *stringsValue) String() string { return strings.Join(*v, ",") }

// setParsed stores in dst what parse reads from s, or refuses s with
// hint, which says what is wanted: the parser's own error speaks Go, not
// the user's words.
func setParsed[T any](dst *T, s string, parse func(string) (T, error), hint string) error {
	v, err := parse(s)
	if err != nil {
		return errors.New(hint)
	}
	*dst = v
	return nil
}

type durationValue time.Duration

func (v *durationValue) Set(s string) error {
	return setParsed((*time.Duration)(v), s, time.ParseDuration, "not a duration such as 750ms or 2m")
}
func (v *durationValue) String() string { return time.Duration(*v).String() }

type intValue int

func (v *intValue) Set(s string) error {
	return setParsed((*int)(v), s, strconv.Atoi, "not a whole number, such as 3")
}
func (v *intValue) String() string { return strconv.Itoa(int(*v)) }

type floatValue float64

func (v *floatValue) Set(s string) error {
	return setParsed((*float64)(v), s, func(s string) (float64, error) { return strconv.ParseFloat(s, 64) }, "not a number, such as 2.5")
}
func (v *floatValue) String() string { return strconv.FormatFloat(float64(*v), 'g', -1, 64) }

type boolValue bool

func (v *boolValue) Set(s string) error {
	return setParsed((*bool)(v), s, strconv.ParseBool, "not true or false")
}
func (v *boolValue) String() string   { return strconv.FormatBool(bool(*v)) }
func (v *boolValue) IsBoolFlag() bool { return true }
