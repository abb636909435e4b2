package config

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"strings"
	"testing"
)

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
