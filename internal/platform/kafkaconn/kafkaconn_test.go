package kafkaconn

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/salesstream/salesstream/internal/platform/addrtest"
	"github.com/salesstream/salesstream/internal/platform/awsx"
	"github.com/salesstream/salesstream/internal/platform/kafkatest"
	"github.com/salesstream/salesstream/internal/platform/syncbuf"
)

const topic = "pagila.sales.test"

// quiet is a logger for tests that do not look at logs.
var quiet = slog.New(slog.DiscardHandler)

func newCluster(t *testing.T, opts ...kfake.Opt) *kfake.Cluster {
	t.Helper()
	return kafkatest.Cluster(t, append([]kfake.Opt{kfake.SeedTopics(1, topic)}, opts...)...)
}

// connectErr connects with cfg within timeout and returns why it could
// not, failing t if it could.
func connectErr(t *testing.T, cfg Config, timeout time.Duration) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cl, err := NewClient(ctx, cfg)
	if err == nil {
		cl.Close()
		t.Fatal("connected")
	}
	t.Log(err)
	return err
}

// errorSays fails t for each of want that err's message lacks.
func errorSays(t *testing.T, err error, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error lacks %q:\n%v", w, err)
		}
	}
}

// roundTrip connects with cfg, produces a record and consumes it back.
func roundTrip(t *testing.T, cfg Config, extra ...kgo.Opt) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	opts := append([]kgo.Opt{kgo.DefaultProduceTopic(topic), kgo.ConsumeTopics(topic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart())}, extra...)
	cl, err := NewClient(ctx, cfg, opts...)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	want := rand.Text()
	if err := cl.ProduceSync(ctx, &kgo.Record{Key: []byte("k"), Value: []byte(want)}).FirstErr(); err != nil {
		t.Fatalf("produce: %v", cfg.Explain(err))
	}
	for {
		fs := cl.PollFetches(ctx)
		if err := ctx.Err(); err != nil {
			t.Fatalf("the produced record was not consumed: %v", err)
		}
		for _, fe := range fs.Errors() {
			t.Fatalf("consume: %v", cfg.Explain(fe.Err))
		}
		found := false
		fs.EachRecord(func(r *kgo.Record) { found = found || string(r.Value) == want })
		if found {
			return
		}
	}
}

func TestRoundTrip(t *testing.T) {
	ca := newCA(t, "ca")
	clientCA := newCA(t, "client-ca")
	_, clientCert, clientKey := clientCA.issue(t, "client", false)
	tests := []struct {
		name    string
		cluster []kfake.Opt
		cfg     Config
	}{
		{"plaintext", nil, Config{}},
		{"TLS with a CA file", []kfake.Opt{kfake.TLS(ca.serverTLS(t, nil))},
			Config{TLS: true, CAFile: ca.pemFile}},
		{"TLS with a server name", []kfake.Opt{kfake.TLS(ca.serverTLS(t, nil))},
			Config{TLS: true, CAFile: ca.pemFile, ServerName: "localhost"}},
		{"TLS with a client certificate", []kfake.Opt{kfake.TLS(ca.serverTLS(t, clientCA))},
			Config{TLS: true, CAFile: ca.pemFile, CertFile: clientCert, KeyFile: clientKey}},
		{"PLAIN", []kfake.Opt{kfake.EnableSASL(), kfake.Superuser("PLAIN", "alice", "pw-plain")},
			Config{SASLMechanism: "PLAIN", SASLUsername: "alice", SASLPassword: "pw-plain"}},
		{"SCRAM-SHA-256", []kfake.Opt{kfake.EnableSASL(), kfake.Superuser("SCRAM-SHA-256", "alice", "pw-256")},
			Config{SASLMechanism: "SCRAM-SHA-256", SASLUsername: "alice", SASLPassword: "pw-256"}},
		{"TLS and SCRAM-SHA-512", []kfake.Opt{kfake.TLS(ca.serverTLS(t, nil)), kfake.EnableSASL(), kfake.Superuser("SCRAM-SHA-512", "alice", "pw-512")},
			Config{TLS: true, CAFile: ca.pemFile, SASLMechanism: "scram-sha-512", SASLUsername: "alice", SASLPassword: "pw-512"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newCluster(t, tt.cluster...)
			cfg := tt.cfg
			cfg.Brokers = c.ListenAddrs()
			cfg.Logger = quiet
			roundTrip(t, cfg)
		})
	}
}

// refuseSASL makes the broker answer the final SASL step as Apache Kafka
// does for bad credentials (kfake itself hangs up instead).
func refuseSASL(c *kfake.Cluster, mechanism string) {
	c.ControlKey(int16(kmsg.SASLAuthenticate), func(req kmsg.Request) (kmsg.Response, error, bool) {
		c.KeepControl()
		r := req.(*kmsg.SASLAuthenticateRequest)
		if !strings.Contains(string(r.SASLAuthBytes), "p=") { // not SCRAM's client-final message
			return nil, nil, false
		}
		resp := r.ResponseKind().(*kmsg.SASLAuthenticateResponse)
		resp.ErrorCode = kerr.SaslAuthenticationFailed.Code
		msg := "Authentication failed during authentication due to invalid credentials with SASL mechanism " + mechanism
		resp.ErrorMessage = &msg
		return resp, nil, true
	})
}

func TestConnectErrors(t *testing.T) {
	ca := newCA(t, "ca")
	otherCA := newCA(t, "other-ca")
	clientCA := newCA(t, "client-ca")
	scram := []kfake.Opt{kfake.EnableSASL(), kfake.Superuser("SCRAM-SHA-512", "alice", "right-password")}
	tests := []struct {
		name    string
		cluster []kfake.Opt
		setup   func(*kfake.Cluster)
		brokers []string // instead of the cluster's
		cfg     Config
		want    []string
	}{
		{name: "wrong password, broker hangs up", cluster: scram,
			cfg:  Config{SASLMechanism: "SCRAM-SHA-512", SASLUsername: "alice", SASLPassword: "wrong-password"},
			want: []string{"closed the connection during SASL SCRAM-SHA-512 authentication", "--sasl-password"}},
		{name: "wrong password, broker refuses", cluster: scram, setup: func(c *kfake.Cluster) { refuseSASL(c, "SCRAM-SHA-512") },
			cfg:  Config{SASLMechanism: "SCRAM-SHA-512", SASLUsername: "alice", SASLPassword: "wrong-password"},
			want: []string{"refused the SCRAM-SHA-512 authentication", "invalid credentials", "--sasl-username and --sasl-password"}},
		{name: "unknown user", cluster: scram,
			cfg:  Config{SASLMechanism: "SCRAM-SHA-512", SASLUsername: "bob", SASLPassword: "right-password"},
			want: []string{"SASL SCRAM-SHA-512", "--sasl-username"}},
		{name: "TLS with the wrong CA", cluster: []kfake.Opt{kfake.TLS(ca.serverTLS(t, nil))},
			cfg:  Config{TLS: true, CAFile: otherCA.pemFile},
			want: []string{"TLS handshake failed", "not signed by a trusted CA", "--kafka-ca-file " + otherCA.pemFile}},
		{name: "TLS without a CA file", cluster: []kfake.Opt{kfake.TLS(ca.serverTLS(t, nil))},
			cfg:  Config{TLS: true},
			want: []string{"not signed by a trusted CA", "set --kafka-ca-file"}},
		{name: "TLS with the wrong server name", cluster: []kfake.Opt{kfake.TLS(ca.serverTLS(t, nil))},
			cfg:  Config{TLS: true, CAFile: ca.pemFile, ServerName: "broker.example.com"},
			want: []string{"not valid for the broker's host name", "--kafka-tls-server-name"}},
		{name: "TLS without the client certificate the broker requires", cluster: []kfake.Opt{kfake.TLS(ca.serverTLS(t, clientCA))},
			cfg:  Config{TLS: true, CAFile: ca.pemFile},
			want: []string{"TLS handshake failed", "--kafka-cert-file"}},
		{name: "plaintext to a TLS listener", cluster: []kfake.Opt{kfake.TLS(ca.serverTLS(t, nil))},
			cfg:  Config{},
			want: []string{"closed the connection", "--kafka-tls"}},
		{name: "TLS to a plaintext listener",
			cfg:  Config{TLS: true, CAFile: ca.pemFile},
			want: []string{"no broker answered", "plaintext listener", "drop --kafka-tls"}},
		{name: "no SASL to a SASL listener", cluster: scram,
			cfg:  Config{},
			want: []string{"closed the connection", "--sasl-mechanism"}},
		{name: "nothing listening", brokers: []string{addrtest.Free(t)},
			cfg:  Config{},
			want: []string{"no broker answered", "--brokers"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := tt.cfg
			cfg.Brokers = tt.brokers
			if cfg.Brokers == nil {
				c := newCluster(t, tt.cluster...)
				if tt.setup != nil {
					tt.setup(c)
				}
				cfg.Brokers = c.ListenAddrs()
			}
			cfg.Logger = quiet
			err := connectErr(t, cfg, 2*time.Second)
			errorSays(t, err, append(tt.want, "kafka at "+cfg.Brokers[0])...)
		})
	}
}

func TestValidate(t *testing.T) {
	iam := func(c Config) Config {
		c.SASLMechanism = "AWS_MSK_IAM"
		if c.Brokers == nil {
			c.Brokers = []string{"b-1.demo.abc123.c2.kafka.eu-west-1.amazonaws.com:9098"}
		}
		return c
	}
	tests := []struct {
		name string
		cfg  Config
		want string // "" for valid
	}{
		{"plaintext", Config{Brokers: []string{"localhost:9092"}}, ""},
		{"no brokers", Config{}, "no Kafka brokers configured"},
		{"broker without port", Config{Brokers: []string{"localhost"}}, `broker "localhost" is not host:port`},
		{"CA file without TLS", Config{Brokers: []string{"h:1"}, CAFile: "ca.pem"}, "--kafka-ca-file is set but TLS is off"},
		{"certificate without key", Config{Brokers: []string{"h:1"}, TLS: true, CertFile: "c.pem"}, "needs both --kafka-cert-file and --kafka-key-file"},
		{"SCRAM without password", Config{Brokers: []string{"h:1"}, SASLMechanism: "SCRAM-SHA-512", SASLUsername: "u"}, "needs --sasl-username and --sasl-password"},
		{"unknown mechanism", Config{Brokers: []string{"h:1"}, SASLMechanism: "GSSAPI"}, `--sasl-mechanism "GSSAPI" is not one of`},
		{"IAM", iam(Config{TLS: true}), ""},
		{"IAM without TLS", iam(Config{}), "AWS_MSK_IAM needs --kafka-tls: MSK's IAM listeners accept TLS only (port 9098"},
		{"IAM in the wrong region", iam(Config{TLS: true, AWS: &awsx.Config{Region: "us-east-1"}}),
			"the AWS region is us-east-1 but the MSK brokers are in eu-west-1"},
		{"IAM with a bad region", iam(Config{TLS: true, Brokers: []string{"h:9098"}, AWS: &awsx.Config{Region: "ireland"}}),
			`--aws-region "ireland" is not an AWS region`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.cfg.Validate()
			if tt.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

func TestRegionOfMSKHost(t *testing.T) {
	tests := map[string]string{
		"b-1.demo.abc123.c2.kafka.eu-west-1.amazonaws.com":             "eu-west-1",
		"b-2-public.demo.abc123.c3.kafka.us-east-1.amazonaws.com":      "us-east-1",
		"boot-abc123.c1.kafka-serverless.ap-southeast-2.amazonaws.com": "ap-southeast-2",
		"b-1.demo.abc123.c2.kafka.cn-north-1.amazonaws.com.cn":         "cn-north-1",
		"localhost":                            "",
		"kafka.internal.example.com":           "",
		"b-1.kafka.not-a-region.amazonaws.com": "",
	}
	for host, want := range tests {
		if got := regionOfMSKHost(host); got != want {
			t.Errorf("regionOfMSKHost(%q) = %q, want %q", host, got, want)
		}
	}
}

func TestExplainAccessDenied(t *testing.T) {
	tests := []struct {
		cfg  Config
		want string
	}{
		{Config{SASLMechanism: "AWS_MSK_IAM"}, "kafka-cluster actions"},
		{Config{SASLMechanism: "SCRAM-SHA-512", SASLUsername: "alice"}, "allow user alice"},
		{Config{}, "ACLs"},
	}
	for _, tt := range tests {
		cfg := tt.cfg
		cfg.Brokers = []string{"h:1"}
		err := cfg.Explain(fmt.Errorf("produce: %w", kerr.TopicAuthorizationFailed))
		if !strings.Contains(err.Error(), "access denied") || !strings.Contains(err.Error(), tt.want) || !errors.Is(err, kerr.TopicAuthorizationFailed) {
			t.Errorf("%s: got %v, want access denied with %q", cfg.mechanism(), err, tt.want)
		}
	}
	if (Config{}).Explain(nil) != nil {
		t.Error("Explain(nil) is not nil")
	}
}

// TestSecretsNotLogged connects with SCRAM while capturing every log line,
// franz-go's debug lines included, and checks the password is absent.
func TestSecretsNotLogged(t *testing.T) {
	c := newCluster(t, kfake.EnableSASL(), kfake.Superuser("SCRAM-SHA-512", "alice", "pw-never-logged"))
	logs := &syncbuf.Buffer{}
	cfg := Config{Brokers: c.ListenAddrs(), SASLMechanism: "SCRAM-SHA-512", SASLUsername: "alice", SASLPassword: "pw-never-logged",
		Logger: slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))}
	roundTrip(t, cfg)
	bad := cfg
	bad.SASLPassword = "wrong-pw-never-logged"
	if _, err := NewClient(context.Background(), bad); err == nil {
		t.Fatal("connected with a wrong password")
	} else if strings.Contains(err.Error(), "pw-never-logged") {
		t.Errorf("the error shows the password: %v", err)
	}
	out := logs.String()
	if !strings.Contains(out, "beginning sasl authentication") || !strings.Contains(out, "connected to Kafka") {
		t.Fatalf("the debug log was not captured:\n%s", out)
	}
	if strings.Contains(out, "pw-never-logged") {
		t.Errorf("a password was logged:\n%s", out)
	}
}
