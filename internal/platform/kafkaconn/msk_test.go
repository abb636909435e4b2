package kafkaconn

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/salesstream/salesstream/internal/platform/awsx"
	"github.com/salesstream/salesstream/internal/platform/awsx/awstest"
)

const mskRegion = "eu-west-1"

// mskBroker is a Kafka broker with MSK's IAM access control: it accepts
// SASL/OAUTHBEARER only, with a token that awstest.VerifyMSKToken accepts
// for its region and keys. A verified session is handed to kfake as its
// PLAIN user, so that kfake enforces authentication on every later request
// and tracks session lifetimes and re-authentication (KIP-368).
type mskBroker struct {
	*kfake.Cluster
	keys awstest.Keys
	// skew shifts the broker's clock, to present tokens as old.
	skew time.Duration

	mu       sync.Mutex
	verified []awstest.MSKToken
	refusal  string // why the last token was refused
}

const mskPrincipal = "msk-iam-principal"

// newMSKBroker starts the broker with TLS from ca; a positive lifetime is
// the SessionLifetimeMillis it gives each session.
func newMSKBroker(t *testing.T, ca *testCA, keys awstest.Keys, lifetime time.Duration, skew time.Duration) *mskBroker {
	t.Helper()
	pass := rand.Text()
	opts := []kfake.Opt{kfake.TLS(ca.serverTLS(t, nil)), kfake.EnableSASL(), kfake.Superuser("PLAIN", mskPrincipal, pass)}
	if lifetime > 0 {
		opts = append(opts, kfake.BrokerConfigs(map[string]string{"connections.max.reauth.ms": strconv.FormatInt(lifetime.Milliseconds(), 10)}))
	}
	b := &mskBroker{Cluster: newCluster(t, opts...), keys: keys, skew: skew}
	b.ControlKey(int16(kmsg.SASLHandshake), func(req kmsg.Request) (kmsg.Response, error, bool) {
		b.KeepControl()
		r := req.(*kmsg.SASLHandshakeRequest)
		if r.Mechanism != "OAUTHBEARER" {
			resp := r.ResponseKind().(*kmsg.SASLHandshakeResponse)
			resp.ErrorCode = kerr.UnsupportedSaslMechanism.Code
			resp.SupportedMechanisms = []string{"OAUTHBEARER"}
			return resp, nil, true
		}
		r.Mechanism = "PLAIN" // kfake runs the session from here
		return nil, nil, false
	})
	b.ControlKey(int16(kmsg.SASLAuthenticate), func(req kmsg.Request) (kmsg.Response, error, bool) {
		b.KeepControl()
		r := req.(*kmsg.SASLAuthenticateRequest)
		resp := r.ResponseKind().(*kmsg.SASLAuthenticateResponse)
		if bytes.Equal(r.SASLAuthBytes, []byte{1}) {
			// The client acknowledged our error challenge (RFC 7628
			// 3.2.2): fail the authentication, with the reason.
			b.mu.Lock()
			msg := "Access denied: " + b.refusal
			b.mu.Unlock()
			resp.ErrorCode = kerr.SaslAuthenticationFailed.Code
			resp.ErrorMessage = &msg
			return resp, nil, true
		}
		tok, err := b.verify(r.SASLAuthBytes)
		b.mu.Lock()
		defer b.mu.Unlock()
		if err != nil {
			b.refusal = err.Error()
			resp.SASLAuthBytes = []byte(`{"status":"invalid_token"}`)
			return resp, nil, true
		}
		b.verified = append(b.verified, tok)
		r.SASLAuthBytes = []byte("\x00" + mskPrincipal + "\x00" + pass)
		return nil, nil, false
	})
	return b
}

// verify parses an OAUTHBEARER client-first message (RFC 7628 3.1) and
// verifies its token.
func (b *mskBroker) verify(msg []byte) (awstest.MSKToken, error) {
	var token string
	for _, kv := range strings.Split(string(msg), "\x01") {
		if v, ok := strings.CutPrefix(kv, "auth=Bearer "); ok {
			token = v
		}
	}
	if !strings.HasPrefix(string(msg), "n,") || token == "" {
		return awstest.MSKToken{}, errors.New("not an OAUTHBEARER bearer token message")
	}
	return awstest.VerifyMSKToken(token, b.keys, mskRegion, time.Now().Add(b.skew))
}

// tokens returns the tokens verified so far.
func (b *mskBroker) tokens() []awstest.MSKToken {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]awstest.MSKToken(nil), b.verified...)
}

func iamConfig(b *mskBroker, ca *testCA, keys awstest.Keys, region string) Config {
	return Config{
		Brokers: b.ListenAddrs(), TLS: true, CAFile: ca.pemFile, SASLMechanism: "AWS_MSK_IAM", Logger: quiet,
		AWS: &awsx.Config{Region: region, LoadOptions: []func(*awsconfig.LoadOptions) error{
			awsconfig.WithCredentialsProvider(credentials.NewStaticCredentialsProvider(keys.AccessKeyID, keys.SecretAccessKey, keys.SessionToken)),
		}},
	}
}

func TestMSKIAMRoundTrip(t *testing.T) {
	ca := newCA(t, "msk-ca")
	session := awstest.Keys{AccessKeyID: "ASIAMSKSESSION", SecretAccessKey: "msk-session-secret", SessionToken: "msk-session-token"}
	for _, keys := range []awstest.Keys{awstest.TestKeys(), session} {
		t.Run(keys.AccessKeyID, func(t *testing.T) {
			b := newMSKBroker(t, ca, keys, 0, 0)
			roundTrip(t, iamConfig(b, ca, keys, mskRegion))
			if len(b.tokens()) == 0 {
				t.Fatal("no token was verified")
			}
		})
	}
}

// isolateAWS clears the AWS environment so that only what a test sets is
// seen: no profile, no keys, no instance metadata.
func isolateAWS(t *testing.T) {
	t.Helper()
	dir := t.TempDir()
	for _, k := range []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_ROLE_ARN", "AWS_REGION",
		"AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_STS"} {
		t.Setenv(k, "")
		os.Unsetenv(k)
	}
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "config"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "credentials"))
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
}

// TestMSKIAMWithRoles signs tokens with session keys from STS: from an
// assumed role (--aws-role-arn), and from a web identity as on EKS with
// IRSA, where the pod has only AWS_ROLE_ARN and a token file.
func TestMSKIAMWithRoles(t *testing.T) {
	ca := newCA(t, "msk-ca")
	const role = "arn:aws:iam::123456789012:role/salesstream-msk"
	issued := awstest.Keys{AccessKeyID: "ASIAFROMSTS", SecretAccessKey: "sts-secret", SessionToken: "sts-session"}

	t.Run("assumed role", func(t *testing.T) {
		isolateAWS(t)
		sts := awstest.NewSTS(t, mskRegion, awstest.TestKeys(), role, issued)
		t.Setenv("AWS_ENDPOINT_URL_STS", sts.URL)
		b := newMSKBroker(t, ca, issued, 0, 0) // accepts only the role's keys
		cfg := iamConfig(b, ca, awstest.TestKeys(), mskRegion)
		cfg.AWS.RoleARN = role
		roundTrip(t, cfg)
		if got := sts.Calls(); len(got) != 1 || got[0] != "AssumeRole" {
			t.Errorf("STS calls %v, want one AssumeRole", got)
		}
	})
	t.Run("IRSA web identity", func(t *testing.T) {
		isolateAWS(t)
		sts := awstest.NewSTS(t, mskRegion, awstest.Keys{}, role, issued)
		sts.SetWebIdentityEnv(t, "projected-token", role, mskRegion)
		b := newMSKBroker(t, ca, issued, 0, 0)
		cfg := Config{Brokers: b.ListenAddrs(), TLS: true, CAFile: ca.pemFile, SASLMechanism: "AWS_MSK_IAM", Logger: quiet}
		roundTrip(t, cfg)
		if got := sts.Calls(); len(got) != 1 || got[0] != "AssumeRoleWithWebIdentity" {
			t.Errorf("STS calls %v, want one AssumeRoleWithWebIdentity", got)
		}
	})
}

func TestMSKIAMRefused(t *testing.T) {
	ca := newCA(t, "msk-ca")
	wrongSecret := awstest.TestKeys()
	wrongSecret.SecretAccessKey = "not-the-secret"
	tests := []struct {
		name   string
		keys   awstest.Keys
		region string
		skew   time.Duration
		want   []string
	}{
		{"wrong secret key", wrongSecret, mskRegion, 0,
			[]string{"refused the AWS_MSK_IAM authentication", "SignatureDoesNotMatch", "AWS credentials are valid", "kafka-cluster:Connect"}},
		{"wrong region", awstest.TestKeys(), "us-east-1", 0,
			[]string{"refused the AWS_MSK_IAM authentication", "kafka.us-east-1.amazonaws.com", "--aws-region (us-east-1) is the cluster's region"}},
		{"expired token", awstest.TestKeys(), mskRegion, 20 * time.Minute,
			[]string{"refused the AWS_MSK_IAM authentication", "expired", "system clock"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := newMSKBroker(t, ca, awstest.TestKeys(), 0, tt.skew)
			err := connectErr(t, iamConfig(b, ca, tt.keys, tt.region), 10*time.Second)
			if !errors.Is(err, kerr.SaslAuthenticationFailed) {
				t.Errorf("error does not wrap SASL_AUTHENTICATION_FAILED: %v", err)
			}
			errorSays(t, err, tt.want...)
		})
	}
}

// TestMSKIAMReauthenticates has the broker give sessions a 3 s lifetime and
// checks that a live connection re-authenticates with a fresh token, with
// no new connection, and keeps working.
func TestMSKIAMReauthenticates(t *testing.T) {
	ca := newCA(t, "msk-ca")
	b := newMSKBroker(t, ca, awstest.TestKeys(), 3*time.Second, 0)
	var connects atomic.Int64
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cl, err := NewClient(ctx, iamConfig(b, ca, awstest.TestKeys(), mskRegion), kgo.WithHooks(connectCounter{&connects}))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	// The first Ping went to the seed broker; the next one opens the
	// connection to the broker as named in metadata, which the test
	// watches.
	if err := cl.Ping(ctx); err != nil {
		t.Fatal(err)
	}
	conns := connects.Load()
	first := b.tokens()
	last := first[len(first)-1]

	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		if err := cl.Ping(ctx); err != nil {
			t.Fatalf("ping after %d tokens: %v", len(b.tokens()), err)
		}
		if toks := b.tokens(); len(toks) > len(first) {
			fresh := toks[len(first)]
			if !fresh.Signed.After(last.Signed) || fresh.Signature == last.Signature {
				t.Fatalf("re-authenticated with an old token: %+v after %+v", fresh, last)
			}
			t.Logf("re-authenticated with a token signed at %s; the previous one was signed at %s", fresh.Signed, last.Signed)
			break
		}
		select {
		case <-ctx.Done():
			t.Fatalf("no re-authentication within the deadline; %d tokens verified", len(b.tokens()))
		case <-tick.C:
		}
	}
	if n := connects.Load(); n != conns {
		t.Errorf("%d new connections were opened; re-authentication should reuse the connection", n-conns)
	}
	if err := cl.ProduceSync(ctx, &kgo.Record{Topic: topic, Value: []byte("after re-authentication")}).FirstErr(); err != nil {
		t.Fatalf("produce after re-authentication: %v", err)
	}
}

type connectCounter struct{ n *atomic.Int64 }

func (c connectCounter) OnBrokerConnect(_ kgo.BrokerMetadata, _ time.Duration, _ net.Conn, err error) {
	if err == nil {
		c.n.Add(1)
	}
}

func TestMSKIAMNoCredentials(t *testing.T) {
	isolateAWS(t)
	cfg := Config{Brokers: []string{"b-1.demo.abc123.c2.kafka.eu-west-1.amazonaws.com:9098"}, TLS: true, SASLMechanism: "AWS_MSK_IAM"}
	_, err := cfg.Options(context.Background())
	var ae *awsx.Error
	if !errors.As(err, &ae) || ae.Kind != awsx.NoCredentials {
		t.Fatalf("got %v, want a NoCredentials error", err)
	}
	errorSays(t, err, "AWS_MSK_IAM", "no AWS credentials", "IRSA")
}

// TestMSKIAMListenerRejectsOthers checks the test broker itself: it must
// not let in clients without a verified token, or the tests above prove
// nothing.
func TestMSKIAMListenerRejectsOthers(t *testing.T) {
	ca := newCA(t, "msk-ca")
	b := newMSKBroker(t, ca, awstest.TestKeys(), 0, 0)
	tests := []struct {
		name string
		cfg  Config
		want string
	}{
		{"no SASL", Config{TLS: true, CAFile: ca.pemFile}, "closed the connection"},
		{"SCRAM", Config{TLS: true, CAFile: ca.pemFile, SASLMechanism: "SCRAM-SHA-512", SASLUsername: mskPrincipal, SASLPassword: "x"},
			"does not accept SASL SCRAM-SHA-512 on this listener"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := tt.cfg
			cfg.Brokers, cfg.Logger = b.ListenAddrs(), quiet
			errorSays(t, connectErr(t, cfg, 5*time.Second), tt.want)
		})
	}
	if n := len(b.tokens()); n != 0 {
		t.Errorf("%d tokens verified", n)
	}
}
