// Package kafkaconn builds franz-go clients from configuration. It is the
// one place that knows how salesstream connects to Kafka: broker addresses,
// TLS and SASL, so that every binary connects the same way.
//
// Four ways in are supported: plaintext; TLS (system roots or a CA file,
// optionally a client certificate); SASL PLAIN or SCRAM-SHA-256/512 with a
// username and password; and AWS_MSK_IAM, Amazon MSK's IAM access control,
// which is SASL/OAUTHBEARER with a token that is a SigV4-presigned
// kafka-cluster:Connect request made from the default AWS credentials. A
// fresh token is signed for every SASL authentication, including the
// re-authentications the broker asks for when a session's lifetime ends, so
// long-lived connections outlive any one token.
//
// Failures are explained: Options and NewClient return errors that say what
// failed (no credentials, certificate not trusted, password refused, ...)
// and what to check.
package kafkaconn

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"reflect"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-msk-iam-sasl-signer-go/signer"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
	"github.com/twmb/franz-go/pkg/sasl"
	"github.com/twmb/franz-go/pkg/sasl/oauth"
	"github.com/twmb/franz-go/pkg/sasl/plain"
	"github.com/twmb/franz-go/pkg/sasl/scram"

	"github.com/salesstream/salesstream/internal/platform/awsx"
	"github.com/salesstream/salesstream/internal/platform/config"
)

// DefaultBrokers is the embedded stack's broker address.
const DefaultBrokers = "127.0.0.1:9092"

// The SASL mechanisms Config accepts.
const (
	MechanismNone        = "none"
	MechanismPlain       = "PLAIN"
	MechanismScramSHA256 = "SCRAM-SHA-256"
	MechanismScramSHA512 = "SCRAM-SHA-512"
	MechanismMSKIAM      = "AWS_MSK_IAM"
)

// Config says how to reach a Kafka cluster.
type Config struct {
	// Brokers are the seed brokers, host:port.
	Brokers []string
	// ClientID names the client in broker logs.
	ClientID string

	// TLS turns on TLS. The broker certificate is checked against the
	// system roots, or against CAFile when set.
	TLS bool
	// CAFile is a PEM file of the CA certificates to trust (optional).
	CAFile string
	// CertFile and KeyFile are a PEM client certificate and its key, for
	// brokers that authenticate clients by certificate (optional).
	CertFile, KeyFile string
	// ServerName overrides the host name the broker certificate must
	// match (optional; by default each broker's host).
	ServerName string

	// SASLMechanism is none (or empty), PLAIN, SCRAM-SHA-256,
	// SCRAM-SHA-512 or AWS_MSK_IAM.
	SASLMechanism string
	// SASLUsername and SASLPassword are the PLAIN or SCRAM credentials.
	SASLUsername, SASLPassword string

	// AWS says which region, role and credentials AWS_MSK_IAM signs
	// with. nil means the default credential chain, with the region from
	// AWS_REGION or else from MSK broker host names.
	AWS *awsx.Config

	// Logger receives the client's log lines; nil means slog.Default().
	// franz-go's debug lines are passed on only when the logger is
	// enabled at debug level.
	Logger *slog.Logger
}

// Register declares the connection settings in s, and the AWS settings
// shared with other packages (see awsx.Settings).
func (c *Config) Register(s *config.Set) {
	s.Strings(&c.Brokers, "brokers", []string{DefaultBrokers}, "Kafka bootstrap brokers, comma-separated host:port",
		config.Env("KAFKA_BROKERS"), config.Param("kafka_servers"))
	s.Bool(&c.TLS, "kafka-tls", false, "connect to Kafka with TLS (MSK: port 9094, or 9096 with SCRAM, 9098 with IAM)",
		config.Env("KAFKA_TLS"))
	s.String(&c.CAFile, "kafka-ca-file", "", "PEM file of CA certificates to trust instead of the system roots",
		config.Env("KAFKA_CA_FILE"))
	s.String(&c.CertFile, "kafka-cert-file", "", "PEM client certificate, for brokers that require one",
		config.Env("KAFKA_CERT_FILE"))
	s.String(&c.KeyFile, "kafka-key-file", "", "PEM key of the client certificate",
		config.Env("KAFKA_KEY_FILE"))
	s.String(&c.ServerName, "kafka-tls-server-name", "", "host name the broker certificates must match, if not the broker host",
		config.Env("KAFKA_TLS_SERVER_NAME"))
	s.String(&c.SASLMechanism, "sasl-mechanism", MechanismNone, "SASL mechanism: none, PLAIN, SCRAM-SHA-256, SCRAM-SHA-512 or AWS_MSK_IAM",
		config.Env("KAFKA_SASL_MECHANISM"))
	s.String(&c.SASLUsername, "sasl-username", "", "SASL username for PLAIN and SCRAM",
		config.Env("KAFKA_SASL_USERNAME"), config.Param("kafka_sasl_username"))
	s.String(&c.SASLPassword, "sasl-password", "", "SASL password for PLAIN and SCRAM",
		config.Env("KAFKA_SASL_PASSWORD"), config.Param("kafka_sasl_password"), config.Secret())
	c.AWS = awsx.Settings(s)
}

// mechanism returns the SASL mechanism in canonical form.
func (c Config) mechanism() string {
	m := strings.ToUpper(strings.TrimSpace(c.SASLMechanism))
	switch m {
	case "", "NONE":
		return MechanismNone
	case "IAM", "AWS_MSK_IAM", "AWS-MSK-IAM":
		return MechanismMSKIAM
	}
	return m
}

// Validate checks the settings without connecting.
func (c Config) Validate() error {
	if len(c.Brokers) == 0 {
		return errors.New("no Kafka brokers configured: set --brokers or KAFKA_BROKERS")
	}
	for _, b := range c.Brokers {
		if _, _, err := net.SplitHostPort(b); err != nil {
			return fmt.Errorf("broker %q is not host:port: set --brokers to a list such as b-1.example:9098,b-2.example:9098", b)
		}
	}
	if !c.TLS {
		for _, f := range []struct{ flag, v string }{{"--kafka-ca-file", c.CAFile}, {"--kafka-cert-file", c.CertFile},
			{"--kafka-key-file", c.KeyFile}, {"--kafka-tls-server-name", c.ServerName}} {
			if f.v != "" {
				return fmt.Errorf("%s is set but TLS is off: add --kafka-tls (KAFKA_TLS=true)", f.flag)
			}
		}
	}
	if (c.CertFile == "") != (c.KeyFile == "") {
		return errors.New("a client certificate needs both --kafka-cert-file and --kafka-key-file")
	}
	switch m := c.mechanism(); m {
	case MechanismNone:
	case MechanismPlain, MechanismScramSHA256, MechanismScramSHA512:
		if c.SASLUsername == "" || c.SASLPassword == "" {
			return fmt.Errorf("--sasl-mechanism %s needs --sasl-username and --sasl-password (KAFKA_SASL_USERNAME, KAFKA_SASL_PASSWORD)", m)
		}
	case MechanismMSKIAM:
		if !c.TLS {
			return errors.New("--sasl-mechanism AWS_MSK_IAM needs --kafka-tls: MSK's IAM listeners accept TLS only (port 9098, or 9198 for public access)")
		}
		if _, err := c.mskRegion(c.awsConfig().Region); err != nil {
			return err
		}
	default:
		return fmt.Errorf("--sasl-mechanism %q is not one of none, PLAIN, SCRAM-SHA-256, SCRAM-SHA-512, AWS_MSK_IAM", c.SASLMechanism)
	}
	if c.mechanism() == MechanismMSKIAM {
		if err := c.awsConfig().Validate(); err != nil {
			return err
		}
	}
	return nil
}

// mskRegion returns the region to sign MSK IAM tokens for: region (the
// configured one) if set, else the one in the MSK broker host names, else
// "" (the SDK's default). A region that differs from the brokers' is an
// error, since the brokers would refuse every token.
func (c Config) mskRegion(region string) (string, error) {
	var fromHosts string
	for _, b := range c.Brokers {
		host, _, _ := net.SplitHostPort(b)
		if r := regionOfMSKHost(host); r != "" {
			fromHosts = r
			break
		}
	}
	if region != "" && fromHosts != "" && region != fromHosts {
		return "", fmt.Errorf("the AWS region is %s but the MSK brokers are in %s: MSK refuses IAM tokens signed for another region; set --aws-region %s", region, fromHosts, fromHosts)
	}
	if region != "" {
		return region, nil
	}
	return fromHosts, nil
}

// awsConfig returns the AWS settings, the defaults if none were given.
func (c Config) awsConfig() awsx.Config {
	if c.AWS != nil {
		return *c.AWS
	}
	return awsx.Config{}
}

// regionOfMSKHost returns the region in an MSK broker host name such as
// b-1.demo.abc123.c2.kafka.eu-west-1.amazonaws.com, or "".
func regionOfMSKHost(host string) string {
	labels := strings.Split(strings.ToLower(host), ".")
	for i := 0; i+2 < len(labels); i++ {
		if strings.HasPrefix(labels[i], "kafka") && strings.HasPrefix(labels[i+2], "amazonaws") && awsx.ValidRegion(labels[i+1]) {
			return labels[i+1]
		}
	}
	return ""
}

// Options returns the franz-go options that connect to the cluster. For
// AWS_MSK_IAM it loads the AWS configuration and fetches the credentials, so
// that missing credentials fail here rather than at the first connection.
func (c Config) Options(ctx context.Context) ([]kgo.Opt, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	opts := []kgo.Opt{kgo.SeedBrokers(c.Brokers...), kgo.WithLogger(kgoLogger{c.logger()})}
	if c.ClientID != "" {
		opts = append(opts, kgo.ClientID(c.ClientID))
	}
	if c.TLS {
		tc, err := c.tlsConfig()
		if err != nil {
			return nil, err
		}
		opts = append(opts, kgo.DialTLSConfig(tc))
	}
	mech, err := c.saslMechanism(ctx)
	if err != nil {
		return nil, err
	}
	if mech != nil {
		opts = append(opts, kgo.SASL(mech))
	}
	return opts, nil
}

func (c Config) logger() *slog.Logger {
	if c.Logger != nil {
		return c.Logger
	}
	return slog.Default()
}

// tlsConfig builds the TLS configuration from the CA and certificate files.
func (c Config) tlsConfig() (*tls.Config, error) {
	tc := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: c.ServerName}
	if c.CAFile != "" {
		pem, err := os.ReadFile(c.CAFile)
		if err != nil {
			return nil, fmt.Errorf("read --kafka-ca-file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("--kafka-ca-file %s holds no PEM certificate: give the CA certificate(s) in PEM form", c.CAFile)
		}
		tc.RootCAs = pool
	}
	if c.CertFile != "" {
		cert, err := tls.LoadX509KeyPair(c.CertFile, c.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("load the client certificate --kafka-cert-file %s and key --kafka-key-file %s: %w", c.CertFile, c.KeyFile, err)
		}
		tc.Certificates = []tls.Certificate{cert}
	}
	return tc, nil
}

// saslMechanism returns the SASL mechanism, or nil for none.
func (c Config) saslMechanism(ctx context.Context) (sasl.Mechanism, error) {
	switch c.mechanism() {
	case MechanismPlain:
		return plain.Auth{User: c.SASLUsername, Pass: c.SASLPassword}.AsMechanism(), nil
	case MechanismScramSHA256:
		return scram.Auth{User: c.SASLUsername, Pass: c.SASLPassword}.AsSha256Mechanism(), nil
	case MechanismScramSHA512:
		return scram.Auth{User: c.SASLUsername, Pass: c.SASLPassword}.AsSha512Mechanism(), nil
	case MechanismMSKIAM:
		return c.mskIAM(ctx)
	}
	return nil, nil
}

// TokenTimeout bounds how long signing one MSK IAM token may take,
// including a refresh of the AWS credentials.
const TokenTimeout = 30 * time.Second

// mskIAM returns the OAUTHBEARER mechanism that signs an MSK IAM token
// for each authentication.
func (c Config) mskIAM(ctx context.Context) (sasl.Mechanism, error) {
	ac := c.awsConfig()
	region, err := c.mskRegion(ac.Region)
	if err != nil {
		return nil, err
	}
	ac.Region = region
	cfg, err := ac.Load(ctx)
	if err != nil {
		return nil, fmt.Errorf("AWS_MSK_IAM: %w", err)
	}
	// The SDK may have found the region in the environment or a profile.
	if region, err = c.mskRegion(cfg.Region); err != nil {
		return nil, err
	}
	if _, err := awsx.CheckCredentials(ctx, cfg); err != nil {
		return nil, fmt.Errorf("AWS_MSK_IAM: %w", err)
	}
	log := c.logger()
	if c.SASLUsername != "" || c.SASLPassword != "" {
		log.Warn("--sasl-username and --sasl-password are ignored: AWS_MSK_IAM signs with AWS credentials")
	}
	return oauth.Oauth(func(ctx context.Context) (oauth.Auth, error) {
		ctx, cancel := context.WithTimeout(ctx, TokenTimeout)
		defer cancel()
		// Fetching the credentials first separates a credentials failure
		// (explained) from a signing one; the SDK caches them.
		if _, err := awsx.CheckCredentials(ctx, cfg); err != nil {
			return oauth.Auth{}, fmt.Errorf("sign MSK IAM token: %w", err)
		}
		tok, expiresMs, err := signer.GenerateAuthTokenFromCredentialsProvider(ctx, region, cfg.Credentials)
		if err != nil {
			return oauth.Auth{}, fmt.Errorf("sign MSK IAM token for %s: %w", region, err)
		}
		log.Debug("signed an MSK IAM token", "region", region, "expires", time.UnixMilli(expiresMs))
		return oauth.Auth{Token: tok}, nil
	}), nil
}

// NewClient builds a client with the connection options followed by extra,
// and checks within PingTimeout that a broker answers, so that a wrong
// address, certificate or credential fails fast with an error that says
// what to check.
func NewClient(ctx context.Context, c Config, extra ...kgo.Opt) (*kgo.Client, error) {
	opts, err := c.Options(ctx)
	if err != nil {
		return nil, err
	}
	w := &saslWatch{}
	opts = append(opts, kgo.WithHooks(w))
	cl, err := kgo.NewClient(append(opts, extra...)...)
	if err != nil {
		return nil, fmt.Errorf("create Kafka client for %s: %w", strings.Join(c.Brokers, ","), err)
	}
	pctx, cancel := context.WithTimeout(ctx, PingTimeout)
	defer cancel()
	if err := cl.Ping(pctx); err != nil {
		cl.Close()
		return nil, c.explain(err, w.failed())
	}
	c.logger().Info("connected to Kafka", "brokers", strings.Join(c.Brokers, ","), "tls", c.TLS,
		"sasl", c.mechanism(), "user", c.SASLUsername)
	return cl, nil
}

// PingTimeout bounds how long Ping waits for a broker.
const PingTimeout = 5 * time.Second

// Ping checks that a broker answers, within PingTimeout.
func Ping(ctx context.Context, cl *kgo.Client, brokers []string) error {
	ctx, cancel := context.WithTimeout(ctx, PingTimeout)
	defer cancel()
	if err := cl.Ping(ctx); err != nil {
		return Config{Brokers: brokers}.explain(err, false)
	}
	return nil
}

// saslWatch is a client hook that notes whether a SASL exchange failed on
// the wire, which tells a broker that hung up on bad credentials from one
// that is unreachable.
type saslWatch struct {
	mu  sync.Mutex
	err error
}

// OnBrokerE2E implements kgo.HookBrokerE2E.
func (w *saslWatch) OnBrokerE2E(_ kgo.BrokerMetadata, key int16, e kgo.BrokerE2E) {
	if key != int16(kmsg.SASLHandshake) && key != int16(kmsg.SASLAuthenticate) {
		return
	}
	if err := e.Err(); err != nil {
		w.mu.Lock()
		w.err = err
		w.mu.Unlock()
	}
}

func (w *saslWatch) failed() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.err != nil
}

// kgoLogger passes franz-go's log lines to slog: errors and warnings
// always, info and debug lines only when the handler is enabled at debug
// level (franz-go is chatty at info).
type kgoLogger struct{ l *slog.Logger }

// Level implements kgo.Logger.
func (k kgoLogger) Level() kgo.LogLevel {
	if k.l.Enabled(context.Background(), slog.LevelDebug) {
		return kgo.LogLevelDebug
	}
	return kgo.LogLevelWarn
}

// Log implements kgo.Logger.
func (k kgoLogger) Log(level kgo.LogLevel, msg string, keyvals ...any) {
	var sl slog.Level
	switch level {
	case kgo.LogLevelError:
		sl = slog.LevelError
	case kgo.LogLevelWarn:
		sl = slog.LevelWarn
	case kgo.LogLevelInfo:
		sl = slog.LevelInfo
	default:
		sl = slog.LevelDebug
	}
	for i := 1; i < len(keyvals); i += 2 {
		keyvals[i] = readable(keyvals[i])
	}
	k.l.Log(context.Background(), sl, "kafka: "+msg, keyvals...)
}

// readable turns a map, such as franz-go's topic -> partitions, into log
// fields (sorted by key) instead of a Go map dump; other values pass.
func readable(v any) any {
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Map {
		return v
	}
	attrs := make([]slog.Attr, 0, rv.Len())
	for it := rv.MapRange(); it.Next(); {
		attrs = append(attrs, slog.Any(fmt.Sprint(it.Key().Interface()), readable(it.Value().Interface())))
	}
	slices.SortFunc(attrs, func(a, b slog.Attr) int { return strings.Compare(a.Key, b.Key) })
	return slog.GroupValue(attrs...)
}
