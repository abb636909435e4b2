package registryserver_test

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/salesstream/salesstream/internal/laptop/registryserver"
	"github.com/salesstream/salesstream/pkg/registry"
)

// Schemas of the client tests: a sale, the same with other whitespace and
// key order, a compatible evolution and an incompatible one.
const (
	clientSaleV1       = `{"type":"record","name":"Sale","namespace":"t","fields":[{"name":"id","type":"int"}]}`
	clientSaleV1Spaced = `{ "namespace": "t", "name": "Sale", "type": "record",
		"fields": [ { "type": "int", "name": "id" } ] }`
	clientSaleV2  = `{"type":"record","name":"Sale","namespace":"t","fields":[{"name":"id","type":"int"},{"name":"city","type":["null","string"],"default":null}]}`
	clientSaleBad = `{"type":"record","name":"Sale","namespace":"t","fields":[{"name":"id","type":"string"}]}`
	clientKey     = `{"type":"record","name":"Key","namespace":"t","fields":[{"name":"k","type":"long"}]}`
)

// serve starts the real registry behind an HTTP server, closed when t ends.
func serve(t *testing.T, opts ...registryserver.Option) string {
	t.Helper()
	srv, err := registryserver.New(context.Background(), append([]registryserver.Option{registryserver.WithLogger(slog.New(slog.DiscardHandler))}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(func() {
		hs.Close()
		_ = srv.Close()
	})
	return hs.URL
}

func client(t *testing.T, base string, opts ...registry.Option) *registry.Client {
	t.Helper()
	c, err := registry.New(base, append([]registry.Option{registry.WithLogger(slog.New(slog.DiscardHandler)), registry.WithRetries(0, time.Millisecond, time.Millisecond)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

var apiModes = []struct {
	name string
	opts []registry.Option
}{
	{"v3", nil},
	{"v2", []registry.Option{registry.WithAPIV2()}},
}

// TestClientAgainstServer runs every operation of pkg/registry's client,
// through the v3 and the v2 API, against the real server.
func TestClientAgainstServer(t *testing.T) {
	for _, mode := range apiModes {
		t.Run(mode.name, func(t *testing.T) {
			ctx := context.Background()
			c := client(t, serve(t), mode.opts...)

			if name, version, err := c.SystemInfo(ctx); err != nil || name == "" || version == "" {
				t.Fatalf("SystemInfo = %q, %q, %v", name, version, err)
			}

			// Register: created, unchanged (also with other whitespace),
			// new version.
			steps := []struct {
				content string
				outcome registry.Outcome
				version string
			}{
				{clientSaleV1, registry.Created, "1"},
				{clientSaleV1, registry.Unchanged, "1"},
				{clientSaleV1Spaced, registry.Unchanged, "1"},
				{clientSaleV2, registry.NewVersion, "2"},
				{clientSaleV2, registry.Unchanged, "2"},
				{clientSaleV1, registry.Unchanged, "1"}, // an earlier version's content is found too
			}
			metas := map[string]registry.VersionMeta{}
			for i, st := range steps {
				m, out, err := c.Register(ctx, "sale", "AVRO", st.content)
				if err != nil {
					t.Fatalf("step %d: Register: %v", i, err)
				}
				if out != st.outcome || m.Version != st.version {
					t.Fatalf("step %d: Register = version %q, %s; want version %q, %s", i, m.Version, out, st.version, st.outcome)
				}
				if m.ArtifactID != "sale" || m.GroupID != registry.DefaultGroup || m.ArtifactType != "AVRO" || m.GlobalID <= 0 || m.ContentID <= 0 || m.CreatedOn.IsZero() {
					t.Fatalf("step %d: metadata %+v is incomplete", i, m)
				}
				if prev, ok := metas[m.Version]; ok && (prev.GlobalID != m.GlobalID || prev.ContentID != m.ContentID) {
					t.Fatalf("step %d: version %s has ids (%d, %d), before (%d, %d)", i, m.Version, m.GlobalID, m.ContentID, prev.GlobalID, prev.ContentID)
				}
				metas[m.Version] = m
			}
			v1, v2 := metas["1"], metas["2"]
			if v2.GlobalID <= v1.GlobalID || v2.ContentID == v1.ContentID {
				t.Fatalf("ids of version 2 (%d, %d) do not follow version 1's (%d, %d)", v2.GlobalID, v2.ContentID, v1.GlobalID, v1.ContentID)
			}
			key, out, err := c.Register(ctx, "key", "AVRO", clientKey)
			if err != nil || out != registry.Created {
				t.Fatalf("Register key = %s, %v", out, err)
			}

			// Latest, versions, one version.
			for _, get := range []func() (registry.VersionMeta, error){
				func() (registry.VersionMeta, error) { return c.Latest(ctx, "sale") },
				func() (registry.VersionMeta, error) { return c.Version(ctx, "sale", "latest") },
				func() (registry.VersionMeta, error) { return c.Version(ctx, "sale", "2") },
			} {
				m, err := get()
				if err != nil || m.GlobalID != v2.GlobalID || m.ContentID != v2.ContentID || m.Version != "2" {
					t.Fatalf("latest = %+v, %v; want version 2 %+v", m, err, v2)
				}
			}
			if m, err := c.Version(ctx, "sale", "1"); err != nil || m.GlobalID != v1.GlobalID {
				t.Fatalf("Version 1 = %+v, %v", m, err)
			}
			vs, err := c.Versions(ctx, "sale")
			if err != nil || len(vs) != 2 || vs[0].GlobalID != v1.GlobalID || vs[1].GlobalID != v2.GlobalID {
				t.Fatalf("Versions = %+v, %v; want versions 1 and 2", vs, err)
			}

			// Content, by version and by id: the exact text registered.
			contents := []struct {
				name string
				get  func() (string, error)
				want string
			}{
				{"version 1", func() (string, error) { return c.Content(ctx, "sale", "1") }, clientSaleV1},
				{"latest", func() (string, error) { return c.Content(ctx, "sale", "latest") }, clientSaleV2},
				{"contentId", func() (string, error) { return c.ContentByContentID(ctx, v1.ContentID) }, clientSaleV1},
				{"globalId", func() (string, error) { return c.ContentByGlobalID(ctx, v2.GlobalID) }, clientSaleV2},
			}
			for _, tc := range contents {
				if got, err := tc.get(); err != nil || got != tc.want {
					t.Fatalf("content by %s = %q, %v; want %q", tc.name, got, err, tc.want)
				}
			}

			// List.
			arts, err := c.List(ctx)
			if err != nil {
				t.Fatal(err)
			}
			ids := make([]string, len(arts))
			for i, a := range arts {
				ids[i] = a.ArtifactID
				if a.ArtifactType != "AVRO" || a.GroupID != registry.DefaultGroup || a.CreatedOn.IsZero() {
					t.Fatalf("listed %+v", a)
				}
			}
			if !slices.Equal(ids, []string{"key", "sale"}) {
				t.Fatalf("List = %v, want [key sale]", ids)
			}

			// Rules: create, update, read back, enforce.
			if _, err := c.Rule(ctx, "sale", registry.RuleCompatibility); !errors.Is(err, registry.ErrNotFound) {
				t.Fatalf("Rule before it is set: %v, want ErrNotFound", err)
			}
			for _, cfg := range []string{"FULL", "BACKWARD"} {
				if err := c.SetRule(ctx, "sale", registry.RuleCompatibility, cfg); err != nil {
					t.Fatalf("SetRule %s: %v", cfg, err)
				}
				if got, err := c.Rule(ctx, "sale", registry.RuleCompatibility); err != nil || got != cfg {
					t.Fatalf("Rule = %q, %v; want %s", got, err, cfg)
				}
			}
			if err := c.SetRule(ctx, "", registry.RuleValidity, "FULL"); err != nil {
				t.Fatalf("SetRule global: %v", err)
			}
			if got, err := c.Rule(ctx, "", registry.RuleValidity); err != nil || got != "FULL" {
				t.Fatalf("global Rule = %q, %v", got, err)
			}
			_, _, err = c.Register(ctx, "sale", "AVRO", clientSaleBad)
			var ae *registry.APIError
			if !errors.As(err, &ae) || ae.Status != http.StatusConflict || len(ae.Causes) == 0 {
				t.Fatalf("incompatible Register: %v; want a 409 with causes", err)
			}
			if _, _, err := c.Register(ctx, "broken", "AVRO", `{"type":"record"`); !errors.As(err, &ae) || ae.Status/100 != 4 {
				t.Fatalf("invalid Register under VALIDITY FULL: %v; want a 4xx", err)
			}
			if err := c.SetRule(ctx, "missing", registry.RuleCompatibility, "FULL"); !errors.Is(err, registry.ErrNotFound) {
				t.Fatalf("SetRule on a missing artifact: %v, want ErrNotFound", err)
			}

			// Delete: the artifact and its versions go, the content stays
			// reachable by content id.
			if err := c.Delete(ctx, "sale"); err != nil {
				t.Fatal(err)
			}
			notFound := map[string]func() error{
				"Versions":          func() error { _, err := c.Versions(ctx, "sale"); return err },
				"Latest":            func() error { _, err := c.Latest(ctx, "sale"); return err },
				"Content":           func() error { _, err := c.Content(ctx, "sale", "1"); return err },
				"ContentByGlobalID": func() error { _, err := c.ContentByGlobalID(ctx, v1.GlobalID); return err },
				"Delete again":      func() error { return c.Delete(ctx, "sale") },
			}
			for name, f := range notFound {
				if err := f(); !errors.Is(err, registry.ErrNotFound) {
					t.Errorf("%s after Delete: %v, want ErrNotFound", name, err)
				}
			}
			if got, err := c.ContentByContentID(ctx, v1.ContentID); err != nil || got != clientSaleV1 {
				t.Errorf("content id %d after Delete = %q, %v", v1.ContentID, got, err)
			}
			if arts, err := c.List(ctx); err != nil || len(arts) != 1 || arts[0].ArtifactID != "key" {
				t.Errorf("List after Delete = %+v, %v", arts, err)
			}
			// Registering again creates the artifact anew, under new ids.
			m, out, err := c.Register(ctx, "sale", "AVRO", clientSaleV1)
			if err != nil || out != registry.Created || m.GlobalID <= key.GlobalID || m.ContentID != v1.ContentID {
				t.Fatalf("Register after Delete = %+v, %s, %v; want created with a new globalId and content id %d", m, out, err, v1.ContentID)
			}
		})
	}
}

// TestClientAPIsShareState: what one API version registers, the other
// finds, with the same ids; groups keep artifacts apart.
func TestClientAPIsShareState(t *testing.T) {
	ctx := context.Background()
	base := serve(t)
	v3 := client(t, base)
	v2 := client(t, base, registry.WithAPIV2())
	sales := client(t, base, registry.WithGroup("sales"))

	m3, _, err := v3.Register(ctx, "a", "AVRO", clientSaleV1)
	if err != nil {
		t.Fatal(err)
	}
	m2, out, err := v2.Register(ctx, "a", "AVRO", clientSaleV1Spaced)
	if err != nil || out != registry.Unchanged || m2.GlobalID != m3.GlobalID || m2.ContentID != m3.ContentID {
		t.Fatalf("v2 Register of v3's artifact = %+v, %s, %v; want unchanged with %+v's ids", m2, out, err, m3)
	}
	ms, out, err := sales.Register(ctx, "a", "AVRO", clientSaleV1)
	if err != nil || out != registry.Created || ms.GroupID != "sales" || ms.ContentID != m3.ContentID || ms.GlobalID == m3.GlobalID {
		t.Fatalf("Register in group sales = %+v, %s, %v; want created, same content id, new global id", ms, out, err)
	}
	if err := sales.Delete(ctx, "a"); err != nil {
		t.Fatal(err)
	}
	if _, err := v2.Latest(ctx, "a"); err != nil {
		t.Fatalf("deleting sales/a removed default/a: %v", err)
	}
	if arts, err := sales.List(ctx); err != nil || len(arts) != 0 {
		t.Fatalf("group sales after its only artifact was deleted: %+v, %v", arts, err)
	}
	if arts, err := client(t, base, registry.WithGroup("nobody")).List(ctx); err != nil || len(arts) != 0 {
		t.Fatalf("List of a missing group = %+v, %v; want none", arts, err)
	}
}
