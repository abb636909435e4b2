// Package deploy holds the container image, Kubernetes manifests and
// compose file; its test checks that the manifests agree with what the
// binaries do.
package deploy

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.yaml.in/yaml/v4"
)

// object is the part of a Kubernetes object the test reads.
type object struct {
	Kind     string `yaml:"kind"`
	Metadata struct {
		Name string `yaml:"name"`
	} `yaml:"metadata"`
	Spec struct {
		Template struct {
			Spec podSpec `yaml:"spec"`
		} `yaml:"template"`
		JobTemplate struct {
			Spec struct {
				Template struct {
					Spec podSpec `yaml:"spec"`
				} `yaml:"template"`
			} `yaml:"spec"`
		} `yaml:"jobTemplate"`
	} `yaml:"spec"`
}

type podSpec struct {
	RestartPolicy string      `yaml:"restartPolicy"`
	Containers    []container `yaml:"containers"`
}

type container struct {
	Command []string `yaml:"command"`
	Env     []struct {
		Name  string `yaml:"name"`
		Value string `yaml:"value"`
	} `yaml:"env"`
	Ports []struct {
		Name          string `yaml:"name"`
		ContainerPort int    `yaml:"containerPort"`
	} `yaml:"ports"`
	LivenessProbe  *probe `yaml:"livenessProbe"`
	ReadinessProbe *probe `yaml:"readinessProbe"`
}

type probe struct {
	HTTPGet struct {
		Path string `yaml:"path"`
		Port string `yaml:"port"`
	} `yaml:"httpGet"`
}

func manifests(t *testing.T) []object {
	t.Helper()
	paths, err := filepath.Glob("k8s/*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var objs []object
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		dec := yaml.NewDecoder(bytes.NewReader(b))
		for {
			var o object
			if err := dec.Decode(&o); errors.Is(err, io.EOF) {
				break
			} else if err != nil {
				t.Fatalf("%s: %v", p, err)
			}
			objs = append(objs, o)
		}
	}
	return objs
}

// TestManifests: the producer, which ends at the end of its file, runs as
// a Job (a Deployment only for endless synthetic load); the producer and
// the enricher, which serve /healthz and /readyz on HTTP_ADDR, are probed
// there on the port HTTP_ADDR names; the README says so and nothing else.
func TestManifests(t *testing.T) {
	settings, err := os.ReadFile("k8s/settings.env")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(settings), "\nHTTP_ADDR=:9464\n") {
		t.Fatal("k8s/settings.env does not set HTTP_ADDR=:9464")
	}
	seen := map[string]string{}
	for _, o := range manifests(t) {
		pod := o.Spec.Template.Spec
		if o.Kind == "CronJob" {
			pod = o.Spec.JobTemplate.Spec.Template.Spec
		}
		for _, c := range pod.Containers {
			bin := filepath.Base(strings.Join(c.Command, " "))
			seen[bin] = o.Kind
			synthetic := false
			for _, e := range c.Env {
				synthetic = synthetic || e.Name == "PRODUCER_SYNTHETIC" && e.Value == "true"
			}
			if bin == "producer" && o.Kind != "Job" && !(o.Kind == "Deployment" && synthetic) {
				t.Errorf("the producer runs as a %s: it ends at the end of its file, so it must be a Job (or a Deployment with PRODUCER_SYNTHETIC=true)", o.Kind)
			}
			if o.Kind == "Job" && pod.RestartPolicy == "Always" {
				t.Errorf("Job %s has restartPolicy Always", o.Metadata.Name)
			}
			if bin != "producer" && bin != "enricher" {
				continue
			}
			port := false
			for _, p := range c.Ports {
				port = port || p.Name == "http" && p.ContainerPort == 9464
			}
			if !port {
				t.Errorf("%s: no port http 9464", bin)
			}
			for what, p := range map[string]*probe{"/healthz": c.LivenessProbe, "/readyz": c.ReadinessProbe} {
				if p == nil || p.HTTPGet.Path != what || p.HTTPGet.Port != "http" {
					t.Errorf("%s: no probe of %s on port http", bin, what)
				}
			}
		}
	}
	for _, bin := range []string{"schemas", "producer", "enricher", "reader"} {
		if seen[bin] == "" {
			t.Errorf("no manifest runs %s", bin)
		}
	}
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, stale := range []string{"serve no HTTP endpoint", "probes are left commented", "| Deployment, 1 replica"} {
		if strings.Contains(string(readme), stale) {
			t.Errorf("deploy/README.md still says %q", stale)
		}
	}
}
