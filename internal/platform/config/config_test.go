package config

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"
)

type mapStore map[string]string

func (m mapStore) Params(_ context.Context, names []string) (map[string]string, error) {
	out := map[string]string{}
	for _, n := range names {
		if v, ok := m[n]; ok {
			out[n] = v
		}
	}
	return out, nil
}

func TestResolvePrecedence(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		env     map[string]string
		store   mapStore
		want    string
		wantSrc Source
	}{
		{"default", nil, nil, nil, "def", FromDefault},
		{"store", nil, nil, mapStore{"p": "ssm"}, "ssm", FromStore},
		{"env beats store", nil, map[string]string{"E": "env"}, mapStore{"p": "ssm"}, "env", FromEnv},
		{"empty env ignored", nil, map[string]string{"E": ""}, mapStore{"p": "ssm"}, "ssm", FromStore},
		{"flag beats all", []string{"--x", "flag"}, map[string]string{"E": "env"}, mapStore{"p": "ssm"}, "flag", FromFlag},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := New(flag.NewFlagSet("t", flag.ContinueOnError))
			var x string
			s.String(&x, "x", "def", "usage", Env("E"), Param("p"))
			if err := s.fs.Parse(tt.args); err != nil {
				t.Fatal(err)
			}
			env := func(k string) (string, bool) { v, ok := tt.env[k]; return v, ok }
			var store ParamStore
			if tt.store != nil {
				store = tt.store
			}
			if err := s.Resolve(context.Background(), env, store); err != nil {
				t.Fatal(err)
			}
			src, _ := s.Source("x")
			if x != tt.want || src != tt.wantSrc {
				t.Errorf("got %q from %s, want %q from %s", x, src, tt.want, tt.wantSrc)
			}
		})
	}
}

func TestResolveBadEnvValue(t *testing.T) {
	s := New(flag.NewFlagSet("t", flag.ContinueOnError))
	var d time.Duration
	s.Duration(&d, "delay", time.Second, "usage", Env("DELAY"))
	env := func(string) (string, bool) { return "soon", true }
	err := s.Resolve(context.Background(), env, nil)
	if err == nil || !strings.Contains(err.Error(), "DELAY") || !strings.Contains(err.Error(), "--delay") {
		t.Fatalf("error %v does not name the variable and flag", err)
	}
}

func TestPrintMasksSecrets(t *testing.T) {
	s := New(flag.NewFlagSet("t", flag.ContinueOnError))
	var user, pass string
	var brokers []string
	s.String(&user, "user", "", "u")
	s.String(&pass, "password", "", "p", Secret())
	s.Strings(&brokers, "brokers", []string{"a:1"}, "b", Env("B"))
	if err := s.fs.Parse([]string{"--user", "alice", "--password", "hunter2"}); err != nil {
		t.Fatal(err)
	}
	env := func(k string) (string, bool) { return "x:1, y:2", k == "B" }
	if err := s.Resolve(context.Background(), env, nil); err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	if err := s.Print(&b); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	if strings.Contains(out, "hunter2") {
		t.Errorf("secret printed:\n%s", out)
	}
	for _, want := range []string{"alice", "****", "x:1,y:2", "env B", "flag"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestShared(t *testing.T) {
	s := New(flag.NewFlagSet("t", flag.ContinueOnError))
	type group struct{ region string }
	calls := 0
	declare := func(s *Set) *group {
		calls++
		g := &group{}
		s.String(&g.region, "region", "", "u") // a second declaration would panic
		return g
	}
	a, b := Shared(s, "g", declare), Shared(s, "g", declare)
	if a != b || calls != 1 {
		t.Fatalf("got %p and %p after %d declarations, want one shared value", a, b, calls)
	}
	other := New(flag.NewFlagSet("t", flag.ContinueOnError))
	if Shared(other, "g", declare) == a {
		t.Error("two sets share a value")
	}
}

// TestResolveTwice resolves first without a store, as a binary does to
// learn how to reach the store, then with it.
func TestResolveTwice(t *testing.T) {
	s := New(flag.NewFlagSet("t", flag.ContinueOnError))
	var prefix, brokers, user string
	s.String(&prefix, "prefix", "", "u", Env("PREFIX"))
	s.String(&brokers, "brokers", "def", "u", Env("B"), Param("servers"))
	s.String(&user, "user", "def", "u", Env("U"), Param("user"))
	if err := s.fs.Parse([]string{"--user", "flag"}); err != nil {
		t.Fatal(err)
	}
	env := func(k string) (string, bool) { return "/p", k == "PREFIX" }
	if err := s.Resolve(context.Background(), env, nil); err != nil {
		t.Fatal(err)
	}
	if prefix != "/p" || brokers != "def" {
		t.Fatalf("first pass: prefix %q brokers %q", prefix, brokers)
	}
	if err := s.Resolve(context.Background(), env, mapStore{"servers": "b:1", "user": "ssm"}); err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]Source{"prefix": FromEnv, "brokers": FromStore, "user": FromFlag} {
		if src, _ := s.Source(name); src != want {
			t.Errorf("%s from %s, want %s", name, src, want)
		}
	}
	if brokers != "b:1" || user != "flag" {
		t.Errorf("brokers %q user %q", brokers, user)
	}
}

func TestSecretsMasked(t *testing.T) {
	s := New(flag.NewFlagSet("t", flag.ContinueOnError))
	var pass, user string
	var n int
	s.String(&pass, "password", "", "p", Secret(), Env("P"))
	s.String(&user, "user", "", "u", Env("U"))
	s.Int(&n, "pin", 0, "p", Secret(), Env("PIN"))
	env := map[string]string{"P": "hunter2", "U": "alice"}
	if err := s.Resolve(context.Background(), func(k string) (string, bool) { v, ok := env[k]; return v, ok }, nil); err != nil {
		t.Fatal(err)
	}
	var logs strings.Builder
	slog.New(slog.NewTextHandler(&logs, nil)).Info("resolved", "settings", s)
	if strings.Contains(logs.String(), "hunter2") || !strings.Contains(logs.String(), "settings.password=\"**** (env P)\"") ||
		!strings.Contains(logs.String(), "settings.user=\"alice (env U)\"") {
		t.Errorf("log line: %s", logs.String())
	}
	env["PIN"] = "12x4"
	err := s.Resolve(context.Background(), func(k string) (string, bool) { v, ok := env[k]; return v, ok }, nil)
	if err == nil || strings.Contains(err.Error(), "12x4") || !strings.Contains(err.Error(), "PIN=****") {
		t.Errorf("error for a bad secret value: %v", err)
	}
}

// color is a setting type that reads itself from text.
type color int

func (c color) MarshalText() ([]byte, error) {
	if c < 0 || c > 2 {
		return nil, fmt.Errorf("color %d", int(c))
	}
	return []byte([]string{"red", "green", "blue"}[c]), nil
}

func (c *color) UnmarshalText(b []byte) error {
	for i, n := range []string{"red", "green", "blue"} {
		if string(b) == n {
			*c = color(i)
			return nil
		}
	}
	return fmt.Errorf("color %q: want red, green or blue", b)
}

func TestTextVar(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		env     string
		want    color
		wantSrc Source
		wantErr string
	}{
		{"default", nil, "", 2, FromDefault, ""},
		{"flag", []string{"--color", "red"}, "", 0, FromFlag, ""},
		{"env", nil, "green", 1, FromEnv, ""},
		{"flag beats env", []string{"--color", "red"}, "green", 0, FromFlag, ""},
		{"bad flag", []string{"--color", "pink"}, "", 0, "", `color "pink": want red, green or blue`},
		{"bad env", nil, "pink", 0, "", `environment variable COLOR="pink" for --color: color "pink"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := flag.NewFlagSet("t", flag.ContinueOnError)
			fs.SetOutput(io.Discard)
			s := New(fs)
			var c color
			s.TextVar(&c, "color", color(2), "a color", Env("COLOR"))
			err := fs.Parse(tt.args)
			if err == nil {
				err = s.Resolve(context.Background(), func(string) (string, bool) { return tt.env, tt.env != "" }, nil)
			}
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if src, _ := s.Source("color"); c != tt.want || src != tt.wantSrc {
				t.Errorf("color %v from %s, want %v from %s", c, src, tt.want, tt.wantSrc)
			}
			var out bytes.Buffer
			if err := s.Print(&out); err != nil {
				t.Fatal(err)
			}
			name, _ := tt.want.MarshalText()
			if !strings.Contains(out.String(), "--color  "+string(name)) {
				t.Errorf("Print = %q, want --color %s", out.String(), name)
			}
		})
	}
}

func TestTextVarBadDefaultPanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("a default that does not marshal did not panic")
		}
	}()
	var c color
	New(flag.NewFlagSet("t", flag.ContinueOnError)).TextVar(&c, "color", color(7), "a color")
}

func TestValidateRunsEveryCheck(t *testing.T) {
	s := New(flag.NewFlagSet("t", flag.ContinueOnError))
	var ran []int
	for i, msg := range []string{"", "--a 1 must exceed --b 2", "", "--c must be set"} {
		s.Check(func() error {
			ran = append(ran, i)
			if msg == "" {
				return nil
			}
			return fmt.Errorf("%s", msg)
		})
	}
	err := s.Validate()
	if err == nil || err.Error() != "--a 1 must exceed --b 2\n--c must be set" {
		t.Fatalf("Validate = %v, want both failures, one a line", err)
	}
	if fmt.Sprint(ran) != "[0 1 2 3]" {
		t.Fatalf("checks ran %v, want all four in order", ran)
	}
	if err := New(flag.NewFlagSet("t", flag.ContinueOnError)).Validate(); err != nil {
		t.Fatalf("Validate without checks = %v", err)
	}
}
