package cli

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/salesstream/salesstream/internal/platform/awsx/awstest"
	"github.com/salesstream/salesstream/internal/platform/config"
	"github.com/salesstream/salesstream/internal/platform/config/configtest"
	"github.com/salesstream/salesstream/internal/platform/kafkaconn"
)

const region = "eu-west-1"

// binary declares settings as a salesstream binary does.
type binary struct {
	set      *config.Set
	kafka    kafkaconn.Config
	registry string
	bucket   string
}

func newBinary() *binary {
	b := &binary{set: configtest.Quiet("producer")}
	b.kafka.Register(b.set)
	b.set.String(&b.registry, "registry-url", "http://127.0.0.1:8080", "registry", config.Env("REGISTRY_URL"), config.Param("schema_registry_url_int"))
	b.set.String(&b.bucket, "bucket", "", "bucket", config.Param("kafka_demo_bucket"))
	return b
}

// awsEnv gives the process static AWS keys through the environment (the
// default credential chain reads them) and nothing else.
func awsEnv(t *testing.T) {
	t.Helper()
	dir := t.TempDir()
	for _, k := range []string{"AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_REGION", "AWS_ENDPOINT_URL"} {
		t.Setenv(k, "")
		os.Unsetenv(k)
	}
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "config"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "credentials"))
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	t.Setenv("AWS_ACCESS_KEY_ID", awstest.TestKeys().AccessKeyID)
	t.Setenv("AWS_SECRET_ACCESS_KEY", awstest.TestKeys().SecretAccessKey)
}

func noEnv(string) (string, bool) { return "", false }

func TestPrintConfigFromSSM(t *testing.T) {
	awsEnv(t)
	ssm := awstest.NewSSM(t, region, awstest.TestKeys())
	ssm.Put("/kafka_spark_demo/kafka_servers", "b-1.demo.kafka.eu-west-1.amazonaws.com:9098", false)
	ssm.Put("/kafka_spark_demo/schema_registry_url_int", "http://registry.internal:8080", false)
	ssm.Put("/kafka_spark_demo/kafka_demo_bucket", "demo-bucket", false)
	ssm.Put("/kafka_spark_demo/kafka_sasl_username", "alice", false)
	ssm.Put("/kafka_spark_demo/kafka_sasl_password", "ssm-secret-value", true)

	tests := []struct {
		name    string
		args    []string
		env     map[string]string
		want    []string // lines' fields: setting, value, source
		secrets []string
	}{
		{
			name: "from SSM",
			args: []string{"--ssm-prefix", "/kafka_spark_demo", "--aws-region", region, "--print-config"},
			want: []string{
				"--brokers b-1.demo.kafka.eu-west-1.amazonaws.com:9098 ssm kafka_servers",
				"--registry-url http://registry.internal:8080 ssm schema_registry_url_int",
				"--bucket demo-bucket ssm kafka_demo_bucket",
				"--sasl-username alice ssm kafka_sasl_username",
				"--sasl-password **** ssm kafka_sasl_password",
				"--aws-region eu-west-1 flag",
				"--ssm-prefix /kafka_spark_demo flag",
				"--sasl-mechanism none default",
			},
			secrets: []string{"ssm-secret-value"},
		},
		{
			name: "flags and environment beat SSM",
			args: []string{"--ssm-prefix", "/kafka_spark_demo", "--sasl-password", "flag-secret-value", "--print-config"},
			env:  map[string]string{"KAFKA_BROKERS": "localhost:9092", "AWS_REGION": region, "KAFKA_SASL_MECHANISM": "SCRAM-SHA-512"},
			want: []string{
				"--brokers localhost:9092 env KAFKA_BROKERS",
				"--sasl-password **** flag",
				"--sasl-mechanism SCRAM-SHA-512 env KAFKA_SASL_MECHANISM",
				"--aws-region eu-west-1 env AWS_REGION",
				"--registry-url http://registry.internal:8080 ssm schema_registry_url_int",
			},
			secrets: []string{"flag-secret-value", "ssm-secret-value"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := newBinary()
			var out strings.Builder
			logs := &strings.Builder{}
			env := Env{
				Stdout:    &out,
				LookupEnv: func(k string) (string, bool) { v, ok := tt.env[k]; return v, ok },
				Logger:    slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
			}
			done, err := env.Setup(context.Background(), b.set, append(tt.args, "--aws-endpoint-url", ssm.URL))
			if err != nil {
				t.Fatal(err)
			}
			if !done {
				t.Error("--print-config did not ask the binary to exit")
			}
			t.Logf("--print-config:\n%s", out.String())
			lines := map[string]bool{}
			for _, l := range strings.Split(out.String(), "\n") {
				lines[strings.Join(strings.Fields(l), " ")] = true
			}
			for _, w := range tt.want {
				if !lines[w] {
					t.Errorf("output lacks the line %q:\n%s", w, out.String())
				}
			}
			if !strings.Contains(logs.String(), "configuration resolved") {
				t.Errorf("the resolved configuration was not logged:\n%s", logs.String())
			}
			for _, s := range tt.secrets {
				if strings.Contains(out.String(), s) {
					t.Errorf("--print-config shows the secret %q:\n%s", s, out.String())
				}
				if strings.Contains(logs.String(), s) {
					t.Errorf("the log shows the secret %q:\n%s", s, logs.String())
				}
			}
		})
	}
}

func TestSetupWithoutSSM(t *testing.T) {
	// No AWS configuration at all: a local run must not need any.
	for _, k := range []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_REGION"} {
		t.Setenv(k, "")
		os.Unsetenv(k)
	}
	b := newBinary()
	var out strings.Builder
	done, err := Env{Stdout: &out, LookupEnv: noEnv, Logger: slog.New(slog.DiscardHandler)}.Setup(context.Background(), b.set, []string{"--brokers", "h1:9092,h2:9092"})
	if err != nil || done {
		t.Fatalf("Setup = %v, %v; want false, nil", done, err)
	}
	if out.Len() != 0 {
		t.Errorf("printed without --print-config:\n%s", out.String())
	}
	if strings.Join(b.kafka.Brokers, ",") != "h1:9092,h2:9092" || b.registry != "http://127.0.0.1:8080" {
		t.Errorf("got brokers %v, registry %q", b.kafka.Brokers, b.registry)
	}
	if b.kafka.AWS == nil {
		t.Error("kafkaconn.Config did not get the shared AWS settings")
	}
}

func TestSetupErrors(t *testing.T) {
	awsEnv(t)
	ssm := awstest.NewSSM(t, region, awstest.TestKeys())
	ssm.Fail("AccessDeniedException", "User: arn:aws:sts::123456789012:assumed-role/pod/x is not authorized to perform: ssm:GetParameters")
	tests := []struct {
		name string
		args []string
		want []string
	}{
		{"access denied", []string{"--ssm-prefix", "/kafka_spark_demo", "--aws-region", region, "--aws-endpoint-url", ssm.URL},
			[]string{"read SSM parameters under /kafka_spark_demo in eu-west-1", "access denied", "ssm:GetParameters"}},
		{"no region", []string{"--ssm-prefix", "/kafka_spark_demo", "--aws-endpoint-url", ssm.URL},
			[]string{"--ssm-prefix /kafka_spark_demo", "no AWS region", "--aws-region"}},
		{"bad prefix", []string{"--ssm-prefix", "/kafka spark", "--aws-region", region},
			[]string{`--ssm-prefix "/kafka spark" is not a parameter path`}},
		{"unknown flag", []string{"--kafka-servers", "x"}, []string{"unknown flag --kafka-servers; producer -h lists every flag"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			done, err := Env{Stdout: io.Discard, LookupEnv: noEnv, Logger: slog.New(slog.DiscardHandler)}.Setup(context.Background(), newBinary().set, tt.args)
			if err == nil || done {
				t.Fatalf("Setup = %v, %v; want an error", done, err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q:\n%v", w, err)
				}
			}
		})
	}
}

func TestSetupHelp(t *testing.T) {
	done, err := Env{Stdout: io.Discard, LookupEnv: noEnv}.Setup(context.Background(), newBinary().set, []string{"-h"})
	if err != nil || !done {
		t.Fatalf("Setup(-h) = %v, %v; want done", done, err)
	}
}
