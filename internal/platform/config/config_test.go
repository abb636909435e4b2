package config

import (
	"context"
	"flag"
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
