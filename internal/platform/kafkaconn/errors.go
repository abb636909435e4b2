package kafkaconn

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"syscall"

	"github.com/twmb/franz-go/pkg/kerr"

	"github.com/salesstream/salesstream/internal/platform/awsx"
)

// Explain returns err, an error from a client built from c, prefixed with
// the brokers and followed by what to check: a refused password, an
// untrusted certificate, a denied topic, an unreachable broker. Errors it
// knows nothing about are only prefixed. The result wraps err.
func (c Config) Explain(err error) error {
	if err == nil {
		return nil
	}
	return c.explain(err, false)
}

// explain is Explain knowing whether a SASL exchange failed on the wire.
func (c Config) explain(err error, saslFailed bool) error {
	at := "kafka at " + strings.Join(c.Brokers, ",")
	mech := c.mechanism()
	hint := func(what, check string) error {
		return fmt.Errorf("%s: %s: %w: %s", at, what, err, check)
	}
	if _, ok := errors.AsType[*awsx.Error](err); ok {
		return fmt.Errorf("%s: authenticate with AWS_MSK_IAM: %w", at, err)
	}
	if e, ok := errors.AsType[*kerr.Error](err); ok {
		switch e {
		case kerr.SaslAuthenticationFailed:
			return hint("the broker refused the "+mech+" authentication", c.authHint(err))
		case kerr.UnsupportedSaslMechanism, kerr.IllegalSaslState:
			return hint("the broker does not accept SASL "+mech+" on this listener",
				"check --sasl-mechanism and the port (MSK: 9094 TLS only, 9096 SCRAM, 9098 IAM)")
		case kerr.TopicAuthorizationFailed, kerr.GroupAuthorizationFailed, kerr.ClusterAuthorizationFailed,
			kerr.TransactionalIDAuthorizationFailed, kerr.DelegationTokenAuthorizationFailed:
			return hint("access denied", c.aclHint())
		}
	}
	var (
		unknownCA    x509.UnknownAuthorityError
		hostErr      x509.HostnameError
		invalidCert  x509.CertificateInvalidError
		recordHeader tls.RecordHeaderError
		alert        tls.AlertError
	)
	switch {
	case errors.As(err, &unknownCA):
		return hint("TLS handshake failed: the broker's certificate is not signed by a trusted CA",
			c.caHint())
	case errors.As(err, &hostErr):
		return hint("TLS handshake failed: the broker's certificate is not valid for the broker's host name",
			"check --brokers uses the names on the certificate, or set --kafka-tls-server-name")
	case errors.As(err, &invalidCert):
		return hint("TLS handshake failed: the broker's certificate is invalid",
			"check the system clock and that the broker's certificate has not expired")
	case errors.As(err, &recordHeader):
		return hint("TLS handshake failed: the broker does not speak TLS on this port",
			"drop --kafka-tls, or use the cluster's TLS port (MSK: 9094, 9096 SCRAM, 9098 IAM)")
	case errors.As(err, &alert), isRemoteTLSAlert(err):
		return hint("TLS handshake failed: the broker refused the connection",
			"if it requires a client certificate, set --kafka-cert-file and --kafka-key-file to one it trusts")
	}
	if closedByPeer(err) {
		switch {
		case saslFailed && mech != MechanismNone:
			return hint("the broker closed the connection during SASL "+mech+" authentication, as brokers do when they refuse the credentials",
				c.authHint(err))
		case !c.TLS:
			return hint("the broker closed the connection",
				"if this is a TLS listener (MSK: 9094, 9096, 9098), set --kafka-tls; if it requires SASL, set --sasl-mechanism")
		case mech == MechanismNone:
			return hint("the broker closed the connection",
				"if the listener requires SASL (MSK: 9096 SCRAM, 9098 IAM), set --sasl-mechanism; if it is a plaintext listener (MSK: 9092), drop --kafka-tls")
		}
	}
	if isUnreachable(err) {
		check := "check --brokers (KAFKA_BROKERS) and the network path (security groups allow the port)"
		if c.TLS {
			check += "; if the port is a plaintext listener (MSK: 9092), drop --kafka-tls"
		} else {
			check += "; for a local run start the embedded stack with \"go run ./cmd/devstack\""
		}
		return hint("no broker answered", check)
	}
	return fmt.Errorf("%s: %w", at, err)
}

// authHint says what to check when the broker refused SASL authentication.
func (c Config) authHint(err error) string {
	if c.mechanism() != MechanismMSKIAM {
		return "check --sasl-username and --sasl-password (KAFKA_SASL_USERNAME, KAFKA_SASL_PASSWORD), and that the user exists for " + c.mechanism()
	}
	region, _ := c.mskRegion(c.awsConfig().Region)
	if strings.Contains(strings.ToLower(err.Error()), "expired") {
		return "the MSK IAM token or the AWS credentials behind it have expired: check the system clock and that the credentials are renewed (IRSA tokens are re-read by the SDK)"
	}
	return "check that the AWS credentials are valid (secret key, session token), that --aws-region (" + region +
		") is the cluster's region, that the role's IAM policy allows kafka-cluster:Connect on the cluster, and the system clock"
}

// aclHint says what to check when the broker denied an operation.
func (c Config) aclHint() string {
	if c.mechanism() == MechanismMSKIAM {
		return "grant the role the kafka-cluster actions it needs (Connect, DescribeTopic, ReadData, WriteData, CreateTopic, AlterGroup, DescribeGroup, ...) on the cluster, topic and group ARNs"
	}
	if c.SASLUsername != "" {
		return "ask for ACLs that allow user " + c.SASLUsername + " the operation on the topic or group"
	}
	return "the cluster's ACLs do not allow this client the operation on the topic or group"
}

// caHint says what to check when the broker's certificate is not trusted.
func (c Config) caHint() string {
	if c.CAFile != "" {
		return "check that --kafka-ca-file " + c.CAFile + " holds the CA that signed the broker certificates"
	}
	return "set --kafka-ca-file to the CA that signed the broker certificates (MSK's certificates are trusted by the system roots)"
}

// isRemoteTLSAlert reports whether the broker sent a TLS alert, such as
// "certificate required".
func isRemoteTLSAlert(err error) bool {
	oe, ok := errors.AsType[*net.OpError](err)
	return ok && oe.Op == "remote error"
}

// closedByPeer reports whether the broker hung up.
func closedByPeer(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, syscall.EPIPE) || errors.Is(err, net.ErrClosed)
}

// isUnreachable reports whether no broker could be reached in time.
func isUnreachable(err error) bool {
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, syscall.ECONNREFUSED) {
		return true
	}
	if oe, ok := errors.AsType[*net.OpError](err); ok && oe.Op == "dial" {
		return true
	}
	_, ok := errors.AsType[*net.DNSError](err)
	return ok
}
