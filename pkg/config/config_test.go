package config

import (
	"context"
	"flag"
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
