package awsx_test

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/smithy-go"

	"github.com/salesstream/salesstream/internal/platform/awsx"
	"github.com/salesstream/salesstream/internal/platform/awsx/awstest"
	"github.com/salesstream/salesstream/internal/platform/config"
)

const region = "eu-west-1"

// isolate clears the AWS environment so that only what a test sets is
// seen: no profile, no keys, no instance metadata.
func isolate(t *testing.T) {
	t.Helper()
	dir := t.TempDir()
	for _, k := range []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_DEFAULT_PROFILE",
		"AWS_REGION", "AWS_DEFAULT_REGION", "AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_SESSION_NAME",
		"AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_STS",
		"AWS_ENDPOINT_URL_SSM", "AWS_ENDPOINT_URL_S3", "AWS_ASSUME_ROLE_ARN"} {
		t.Setenv(k, "")
		os.Unsetenv(k)
	}
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "config"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "credentials"))
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
}

func static(k awstest.Keys) []func(*awsconfig.LoadOptions) error {
	return []func(*awsconfig.LoadOptions) error{
		awsconfig.WithCredentialsProvider(credentials.NewStaticCredentialsProvider(k.AccessKeyID, k.SecretAccessKey, k.SessionToken)),
		awsconfig.WithRetryMaxAttempts(1),
	}
}

func ssmStore(t *testing.T, c awsx.Config, prefix string) *awsx.SSMStore {
	t.Helper()
	cfg, err := c.Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	st, err := awsx.NewSSMStore(cfg, prefix)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func TestSSMStoreParams(t *testing.T) {
	isolate(t)
	fake := awstest.NewSSM(t, region, awstest.TestKeys())
	fake.Put("/kafka_spark_demo/kafka_servers", "b-1.demo.kafka.eu-west-1.amazonaws.com:9098,b-2.demo.kafka.eu-west-1.amazonaws.com:9098", false)
	fake.Put("/kafka_spark_demo/schema_registry_url_int", "http://registry.internal:8080", false)
	fake.Put("/kafka_spark_demo/kafka_demo_bucket", "demo-bucket", false)
	fake.Put("/kafka_spark_demo/kafka_sasl_password", "s3cr3t", true)
	var names []string
	for i := range 21 {
		n := fmt.Sprintf("extra_%02d", i)
		fake.Put("/kafka_spark_demo/"+n, "v"+n, false)
		names = append(names, n)
	}
	names = append(names, "kafka_servers", "schema_registry_url_int", "kafka_demo_bucket", "kafka_sasl_password", "absent", "kafka_servers")

	for _, prefix := range []string{"/kafka_spark_demo", "kafka_spark_demo/"} {
		t.Run(prefix, func(t *testing.T) {
			st := ssmStore(t, awsx.Config{Region: region, EndpointURL: fake.URL, LoadOptions: static(awstest.TestKeys())}, prefix)
			var logs strings.Builder
			st.Logger = slog.New(slog.NewTextHandler(&logs, nil))
			got, err := st.Params(context.Background(), names)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(logs.String(), "/kafka_spark_demo/absent") {
				t.Errorf("the missing parameter was not logged: %q", logs.String())
			}
			if strings.Contains(logs.String(), "s3cr3t") {
				t.Errorf("a SecureString value was logged: %q", logs.String())
			}
			want := map[string]string{
				"kafka_servers":           "b-1.demo.kafka.eu-west-1.amazonaws.com:9098,b-2.demo.kafka.eu-west-1.amazonaws.com:9098",
				"schema_registry_url_int": "http://registry.internal:8080",
				"kafka_demo_bucket":       "demo-bucket",
				"kafka_sasl_password":     "s3cr3t",
			}
			for i := range 21 {
				n := fmt.Sprintf("extra_%02d", i)
				want[n] = "v" + n
			}
			if len(got) != len(want) {
				t.Errorf("got %d parameters, want %d: %v", len(got), len(want), got)
			}
			for k, v := range want {
				if got[k] != v {
					t.Errorf("%s = %q, want %q", k, got[k], v)
				}
			}
			if _, ok := got["absent"]; ok {
				t.Error("absent parameter present in result")
			}
		})
	}
	calls := fake.Calls()
	if len(calls) != 6 { // 26 distinct names, 3 calls per prefix
		t.Fatalf("got %d GetParameters calls, want 6: %v", len(calls), calls)
	}
	for _, c := range calls {
		if len(c) > 10 {
			t.Errorf("call asked for %d names, the API allows 10", len(c))
		}
		for _, n := range c {
			if !strings.HasPrefix(n, "/kafka_spark_demo/") {
				t.Errorf("name %q lacks the prefix", n)
			}
		}
	}
}

func TestSSMStoreErrors(t *testing.T) {
	isolate(t)
	wrongSecret := awstest.TestKeys()
	wrongSecret.SecretAccessKey = "not-the-secret"
	tests := []struct {
		name      string
		fail      string // error code the service answers
		keys      awstest.Keys
		region    string
		noCreds   bool
		wantKind  awsx.Kind
		wantInMsg []string
	}{
		{name: "access denied", fail: "AccessDeniedException", keys: awstest.TestKeys(), region: region, wantKind: awsx.AccessDenied,
			wantInMsg: []string{"access denied", "ssm:GetParameters", "kms:Decrypt", "/kafka_spark_demo"}},
		{name: "expired token", fail: "ExpiredTokenException", keys: awstest.TestKeys(), region: region, wantKind: awsx.ExpiredCredentials,
			wantInMsg: []string{"expired", "renew"}},
		{name: "wrong secret key", keys: wrongSecret, region: region, wantKind: awsx.InvalidCredentials,
			wantInMsg: []string{"InvalidSignatureException", "AWS_SECRET_ACCESS_KEY"}},
		{name: "parameters not found", keys: awstest.TestKeys(), region: region, wantKind: awsx.NotFound,
			wantInMsg: []string{"/kafka_spark_demo/kafka_servers", "--ssm-prefix", "--aws-region"}},
		{name: "wrong region", keys: awstest.TestKeys(), region: "us-east-1", wantKind: awsx.WrongRegion,
			wantInMsg: []string{"--aws-region"}},
		{name: "no credentials", noCreds: true, region: region, wantKind: awsx.NoCredentials,
			wantInMsg: []string{"no AWS credentials", "IRSA", "AWS_PROFILE"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := awstest.NewSSM(t, region, awstest.TestKeys())
			if tt.fail != "" {
				fake.Fail(tt.fail, "message from the service")
			}
			c := awsx.Config{Region: tt.region, EndpointURL: fake.URL, LoadOptions: static(tt.keys)}
			if tt.noCreds {
				c.LoadOptions = []func(*awsconfig.LoadOptions) error{awsconfig.WithRetryMaxAttempts(1)}
			}
			st := ssmStore(t, c, "/kafka_spark_demo")
			_, err := st.Params(context.Background(), []string{"kafka_servers"})
			var ae *awsx.Error
			if !errors.As(err, &ae) {
				t.Fatalf("error %v is not an *awsx.Error", err)
			}
			t.Log(err)
			if ae.Kind != tt.wantKind {
				t.Errorf("kind %v, want %v (error: %v)", ae.Kind, tt.wantKind, err)
			}
			for _, w := range tt.wantInMsg {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q:\n%v", w, err)
				}
			}
		})
	}
}

func TestAssumeRole(t *testing.T) {
	isolate(t)
	const role = "arn:aws:iam::123456789012:role/salesstream-reader"
	issued := awstest.Keys{AccessKeyID: "ASIAISSUEDBYSTS", SecretAccessKey: "issued-secret", SessionToken: "issued-session-token"}
	sts := awstest.NewSTS(t, region, awstest.TestKeys(), role, issued)
	ssm := awstest.NewSSM(t, region, issued) // accepts only the assumed role's keys
	ssm.Put("/p/kafka_servers", "broker:9098", false)

	// Two fakes, so route with the SDK's per-service endpoint variables
	// rather than --aws-endpoint-url, which would send both to one.
	t.Setenv("AWS_ENDPOINT_URL_STS", sts.URL)
	t.Setenv("AWS_ENDPOINT_URL_SSM", ssm.URL)
	st := ssmStore(t, awsx.Config{Region: region, RoleARN: role, LoadOptions: static(awstest.TestKeys())}, "/p")
	got, err := st.Params(context.Background(), []string{"kafka_servers"})
	if err != nil {
		t.Fatal(err)
	}
	if got["kafka_servers"] != "broker:9098" {
		t.Errorf("got %v", got)
	}
	if c := sts.Calls(); !slices.Equal(c, []string{"AssumeRole"}) {
		t.Errorf("STS calls %v, want one AssumeRole", c)
	}
}

func TestAssumeRoleRefused(t *testing.T) {
	isolate(t)
	sts := awstest.NewSTS(t, region, awstest.TestKeys(), "arn:aws:iam::123456789012:role/other", awstest.TestKeys())
	t.Setenv("AWS_ENDPOINT_URL_STS", sts.URL)
	cfg, err := awsx.Config{Region: region, RoleARN: "arn:aws:iam::123456789012:role/salesstream", LoadOptions: static(awstest.TestKeys())}.Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	_, err = awsx.CheckCredentials(context.Background(), cfg)
	var ae *awsx.Error
	if !errors.As(err, &ae) || ae.Kind != awsx.AccessDenied || !strings.Contains(err.Error(), "sts:AssumeRole") {
		t.Fatalf("got %v, want access denied naming sts:AssumeRole", err)
	}
}

// TestWebIdentity runs the default credential chain as on EKS with IRSA:
// the pod has AWS_ROLE_ARN and AWS_WEB_IDENTITY_TOKEN_FILE, and the SDK
// trades the token for session keys with STS.
func TestWebIdentity(t *testing.T) {
	isolate(t)
	const role = "arn:aws:iam::123456789012:role/salesstream-irsa"
	issued := awstest.Keys{AccessKeyID: "ASIAWEBIDENTITY", SecretAccessKey: "web-secret", SessionToken: "web-session"}
	sts := awstest.NewSTS(t, region, awstest.Keys{}, role, issued)
	sts.SetWebIdentityEnv(t, "projected-service-account-token", role, region)

	cfg, err := awsx.Config{}.Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	creds, err := awsx.CheckCredentials(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if creds.AccessKeyID != issued.AccessKeyID || creds.SessionToken != issued.SessionToken {
		t.Errorf("got key %s, want the web identity session %s", creds.AccessKeyID, issued.AccessKeyID)
	}
	if c := sts.Calls(); !slices.Equal(c, []string{"AssumeRoleWithWebIdentity"}) {
		t.Errorf("STS calls %v", c)
	}
}

func TestLoadErrors(t *testing.T) {
	isolate(t)
	tests := []struct {
		name string
		c    awsx.Config
		want string
	}{
		{"no region", awsx.Config{}, "no AWS region configured: set --aws-region"},
		{"bad region", awsx.Config{Region: "eu-west"}, `--aws-region "eu-west" is not an AWS region`},
		{"bad role", awsx.Config{Region: region, RoleARN: "salesstream"}, "--aws-role-arn"},
		{"bad endpoint", awsx.Config{Region: region, EndpointURL: "localhost:4566"}, "--aws-endpoint-url"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.c.Load(context.Background())
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

func TestValidRegion(t *testing.T) {
	for _, r := range []string{"eu-west-1", "us-east-1", "us-gov-west-1", "ap-southeast-2", "cn-north-1", "eusc-de-east-1", "il-central-1"} {
		if !awsx.ValidRegion(r) {
			t.Errorf("%s rejected", r)
		}
	}
	for _, r := range []string{"", "eu-west", "EU-WEST-1", "euwest1", "eu-west-1a", "https://eu-west-1"} {
		if awsx.ValidRegion(r) {
			t.Errorf("%q accepted", r)
		}
	}
}

// checkCredentialsFails checks that CheckCredentials on cfg fails with an
// *awsx.Error of the given kind, and returns the error.
func checkCredentialsFails(t *testing.T, cfg aws.Config, kind awsx.Kind) error {
	t.Helper()
	_, err := awsx.CheckCredentials(context.Background(), cfg)
	var ae *awsx.Error
	if !errors.As(err, &ae) || ae.Kind != kind {
		t.Fatalf("got %v, want %v", err, kind)
	}
	return err
}

func TestNoCredentials(t *testing.T) {
	isolate(t)
	cfg, err := awsx.Config{Region: region}.Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	err = checkCredentialsFails(t, cfg, awsx.NoCredentials)
	for _, w := range []string{"no AWS credentials", "IRSA", "AWS_PROFILE", "AWS_ACCESS_KEY_ID"} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error lacks %q: %v", w, err)
		}
	}
}

func TestExpiredCredentials(t *testing.T) {
	isolate(t)
	expired := aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
		return aws.Credentials{AccessKeyID: "A", SecretAccessKey: "S", CanExpire: true}, nil // zero Expires: already expired
	})
	cfg, err := awsx.Config{Region: region, LoadOptions: []func(*awsconfig.LoadOptions) error{awsconfig.WithCredentialsProvider(expired)}}.Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	checkCredentialsFails(t, cfg, awsx.ExpiredCredentials)
}

func TestExplain(t *testing.T) {
	api := func(code string) error {
		return &smithy.OperationError{ServiceID: "S3", OperationName: "GetObject", Err: &smithy.GenericAPIError{Code: code, Message: "msg"}}
	}
	tests := []struct {
		err  error
		kind awsx.Kind
		hint string
	}{
		{api("AccessDenied"), awsx.AccessDenied, "grant it s3:GetObject"},
		{api("ExpiredToken"), awsx.ExpiredCredentials, "renew"},
		{api("InvalidAccessKeyId"), awsx.InvalidCredentials, "AWS_ACCESS_KEY_ID"},
		{api("SignatureDoesNotMatch"), awsx.InvalidCredentials, "secret key"},
		{api("NoSuchKey"), awsx.NotFound, "--aws-region"},
		{api("PermanentRedirect"), awsx.WrongRegion, "--aws-region"},
		{api("SlowDown"), awsx.Other, ""},
		{fmt.Errorf("send: %w", &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connect: connection refused")}), awsx.Unreachable, "VPC endpoint"},
	}
	for _, tt := range tests {
		t.Run(tt.err.Error(), func(t *testing.T) {
			e := awsx.Explain("read s3://b/k", tt.err, "s3:GetObject")
			if e.Kind != tt.kind || !strings.Contains(e.Hint, tt.hint) {
				t.Errorf("got kind %v hint %q, want %v with %q", e.Kind, e.Hint, tt.kind, tt.hint)
			}
			if !errors.Is(e, tt.err) {
				t.Error("explained error does not wrap the cause")
			}
			if !strings.HasPrefix(e.Error(), "read s3://b/k: ") {
				t.Errorf("message does not start with the operation: %v", e)
			}
		})
	}
}

func TestSettingsShared(t *testing.T) {
	set := config.New(flag.NewFlagSet("t", flag.ContinueOnError))
	a, b := awsx.Settings(set), awsx.Settings(set)
	if a != b {
		t.Fatal("Settings returned two configurations for one set")
	}
	if err := set.FlagSet().Parse([]string{"--aws-region", "eu-central-1", "--aws-role-arn", "arn:aws:iam::123456789012:role/x"}); err != nil {
		t.Fatal(err)
	}
	if err := set.Resolve(context.Background(), func(k string) (string, bool) {
		return map[string]string{"AWS_ENDPOINT_URL": "http://localhost:4566", "AWS_REGION": "us-east-1"}[k], k == "AWS_ENDPOINT_URL" || k == "AWS_REGION"
	}, nil); err != nil {
		t.Fatal(err)
	}
	want := awsx.Config{Region: "eu-central-1", RoleARN: "arn:aws:iam::123456789012:role/x", EndpointURL: "http://localhost:4566"}
	if a.Region != want.Region || a.RoleARN != want.RoleARN || a.EndpointURL != want.EndpointURL {
		t.Errorf("got %+v, want %+v", *a, want)
	}
}
