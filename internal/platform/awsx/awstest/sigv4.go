// Package awstest provides fake AWS services for tests: SSM Parameter Store,
// S3 and STS servers on loopback that speak the services' wire protocols and
// check each request's Signature Version 4, and a verifier of MSK IAM
// authentication tokens. The signature checks are computed here from the
// specification, independently of the SDK that signs, so a test passes only
// if the SDK (or the MSK signer) really signed with the expected keys,
// region and service.
package awstest

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Keys are the credentials a fake accepts.
type Keys struct {
	AccessKeyID     string
	SecretAccessKey string
	// SessionToken, when set, must accompany every request.
	SessionToken string
}

// TestKeys returns static credentials for tests.
func TestKeys() Keys {
	return Keys{AccessKeyID: "AKIDSALESSTREAMTEST", SecretAccessKey: "c2FsZXNzdHJlYW0tdGVzdC1zZWNyZXQta2V5"}
}

const (
	algorithm = "AWS4-HMAC-SHA256"
	amzDate   = "20060102T150405Z"
	maxSkew   = 5 * time.Minute
	emptySHA  = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
	scopeTerm = "aws4_request"
)

// SigError is a signature check failure, with the AWS error code a service
// would answer.
type SigError struct {
	Code string
	Msg  string
}

// Error returns "code: message".
func (e *SigError) Error() string { return e.Code + ": " + e.Msg }

func sigErr(code, format string, args ...any) error {
	return &SigError{Code: code, Msg: fmt.Sprintf(format, args...)}
}

// escape is SigV4's URI encoding: every byte but A-Z a-z 0-9 - _ . ~ as %XX.
func escape(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.' || c == '~' {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

// canonicalQuery sorts and encodes q, leaving out the keys in skip.
func canonicalQuery(q url.Values, skip ...string) string {
	var pairs []string
	for k, vs := range q {
		if slices.Contains(skip, k) {
			continue
		}
		for _, v := range vs {
			pairs = append(pairs, escape(k)+"="+escape(v))
		}
	}
	slices.Sort(pairs)
	return strings.Join(pairs, "&")
}

func hmacSHA256(key []byte, data string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(data))
	return m.Sum(nil)
}

func sha256Hex(data []byte) string {
	h := sha256.Sum256(data)
	return hex.EncodeToString(h[:])
}

// signature computes the SigV4 signature of canonicalRequest.
func signature(secret, date, region, service, stamp, canonicalRequest string) string {
	scope := strings.Join([]string{date, region, service, scopeTerm}, "/")
	toSign := strings.Join([]string{algorithm, stamp, scope, sha256Hex([]byte(canonicalRequest))}, "\n")
	k := hmacSHA256([]byte("AWS4"+secret), date)
	k = hmacSHA256(k, region)
	k = hmacSHA256(k, service)
	k = hmacSHA256(k, scopeTerm)
	return hex.EncodeToString(hmacSHA256(k, toSign))
}

// checkScope checks a credential scope "AKID/date/region/service/aws4_request"
// against keys, region and service and the request time stamp; it returns
// the scope's date.
func checkScope(credential string, keys Keys, region, service, stamp string) (string, error) {
	parts := strings.Split(credential, "/")
	if len(parts) != 5 || parts[4] != scopeTerm {
		return "", sigErr("IncompleteSignature", "credential scope %q is not AKID/date/region/service/aws4_request", credential)
	}
	if parts[0] != keys.AccessKeyID {
		return "", sigErr("InvalidClientTokenId", "the security token included in the request is invalid (unknown access key %s)", parts[0])
	}
	if parts[2] != region {
		return "", sigErr("AuthorizationHeaderMalformed", "the region %q is wrong; expecting %q", parts[2], region)
	}
	if parts[3] != service {
		return "", sigErr("IncompleteSignature", "the service %q in the credential scope is wrong; expecting %q", parts[3], service)
	}
	if !strings.HasPrefix(stamp, parts[1]) {
		return "", sigErr("SignatureDoesNotMatch", "the scope date %s does not match the request time %s", parts[1], stamp)
	}
	return parts[1], nil
}

// checkTime checks that stamp is within the allowed skew of now.
func checkTime(stamp string, now time.Time) (time.Time, error) {
	t, err := time.Parse(amzDate, stamp)
	if err != nil {
		return time.Time{}, sigErr("IncompleteSignature", "X-Amz-Date %q is not a time like 20060102T150405Z", stamp)
	}
	if d := now.Sub(t); d > maxSkew || d < -maxSkew {
		return time.Time{}, sigErr("RequestTimeTooSkewed", "the request time %s differs from the server time %s by more than %s", t, now.UTC(), maxSkew)
	}
	return t, nil
}

// VerifyRequest checks that r carries a valid SigV4 Authorization header,
// made with keys for service in region, over body (the request body, already
// read). It returns a *SigError on failure.
func VerifyRequest(r *http.Request, body []byte, keys Keys, region, service string, now time.Time) error {
	auth := r.Header.Get("Authorization")
	rest, ok := strings.CutPrefix(auth, algorithm+" ")
	if !ok {
		return sigErr("MissingAuthenticationToken", "the request has no %s Authorization header", algorithm)
	}
	fields := map[string]string{}
	for _, f := range strings.Split(rest, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(f), "=")
		fields[k] = v
	}
	stamp := r.Header.Get("X-Amz-Date")
	if _, err := checkTime(stamp, now); err != nil {
		return err
	}
	date, err := checkScope(fields["Credential"], keys, region, service, stamp)
	if err != nil {
		return err
	}
	if keys.SessionToken != "" && r.Header.Get("X-Amz-Security-Token") != keys.SessionToken {
		return sigErr("InvalidClientTokenId", "the session token is missing or wrong")
	}
	signed := strings.Split(fields["SignedHeaders"], ";")
	if !slices.Contains(signed, "host") {
		return sigErr("IncompleteSignature", "the host header is not signed")
	}
	var ch strings.Builder
	for _, h := range signed {
		var vals []string
		switch h {
		case "host":
			vals = []string{r.Host}
		case "content-length":
			vals = []string{strconv.FormatInt(r.ContentLength, 10)}
		default:
			vals = r.Header.Values(h)
		}
		for i, v := range vals {
			vals[i] = strings.Join(strings.Fields(v), " ")
		}
		ch.WriteString(h + ":" + strings.Join(vals, ",") + "\n")
	}
	payload := r.Header.Get("X-Amz-Content-Sha256")
	if payload == "" {
		payload = sha256Hex(body)
	} else if payload != "UNSIGNED-PAYLOAD" && payload != sha256Hex(body) {
		return sigErr("XAmzContentSHA256Mismatch", "x-amz-content-sha256 does not match the body")
	}
	path := r.URL.EscapedPath()
	if service != "s3" {
		// Services other than S3 encode the (already encoded) path again.
		segs := strings.Split(path, "/")
		for i, s := range segs {
			segs[i] = escape(s)
		}
		path = strings.Join(segs, "/")
	}
	creq := strings.Join([]string{r.Method, path, canonicalQuery(r.URL.Query()), ch.String(), fields["SignedHeaders"], payload}, "\n")
	want := signature(keys.SecretAccessKey, date, region, service, stamp, creq)
	if !hmac.Equal([]byte(want), []byte(fields["Signature"])) {
		return sigErr("SignatureDoesNotMatch", "the request signature we calculated does not match the signature you provided; check your AWS secret access key")
	}
	return nil
}

// MSKToken is a verified MSK IAM authentication token.
type MSKToken struct {
	// AccessKeyID is the key that signed the token.
	AccessKeyID string
	// Signed is the token's signing time (X-Amz-Date).
	Signed time.Time
	// Expires is when the token stops being valid.
	Expires time.Time
	// Signature is the token's SigV4 signature, unique per token.
	Signature string
}

// MSK IAM token errors a broker reports.
var (
	ErrTokenExpired = errors.New("the MSK IAM token has expired")
)

// VerifyMSKToken checks an MSK IAM OAUTHBEARER token as the broker of an
// MSK cluster in region does: the token is a base64url-encoded URL
// presigned with SigV4 for https://kafka.<region>.amazonaws.com/?Action=kafka-cluster:Connect,
// service kafka-cluster, signed headers "host", with an X-Amz-Date no
// more than 15 minutes old and an X-Amz-Expires not yet passed at now.
func VerifyMSKToken(token string, keys Keys, region string, now time.Time) (MSKToken, error) {
	raw, err := base64URLDecode(token)
	if err != nil {
		return MSKToken{}, fmt.Errorf("token is not base64url: %w", err)
	}
	u, err := url.Parse(string(raw))
	if err != nil {
		return MSKToken{}, fmt.Errorf("token is not a URL: %w", err)
	}
	host := "kafka." + region + ".amazonaws.com"
	if u.Scheme != "https" || u.Host != host || (u.Path != "/" && u.Path != "") {
		return MSKToken{}, fmt.Errorf("token URL %s://%s%s is not https://%s/", u.Scheme, u.Host, u.Path, host)
	}
	q := u.Query()
	if a := q.Get("Action"); a != "kafka-cluster:Connect" {
		return MSKToken{}, fmt.Errorf("token action %q is not kafka-cluster:Connect", a)
	}
	if a := q.Get("X-Amz-Algorithm"); a != algorithm {
		return MSKToken{}, fmt.Errorf("token algorithm %q is not %s", a, algorithm)
	}
	if h := q.Get("X-Amz-SignedHeaders"); h != "host" {
		return MSKToken{}, fmt.Errorf("token signed headers %q are not host", h)
	}
	stamp := q.Get("X-Amz-Date")
	signed, err := time.Parse(amzDate, stamp)
	if err != nil {
		return MSKToken{}, fmt.Errorf("token X-Amz-Date %q: %w", stamp, err)
	}
	if signed.After(now.Add(maxSkew)) {
		return MSKToken{}, fmt.Errorf("token signed at %s, in the future", signed)
	}
	if now.Sub(signed) > 15*time.Minute {
		return MSKToken{}, fmt.Errorf("%w: signed at %s, more than 15 minutes ago", ErrTokenExpired, signed)
	}
	secs, err := strconv.Atoi(q.Get("X-Amz-Expires"))
	if err != nil || secs <= 0 || secs > 900 {
		return MSKToken{}, fmt.Errorf("token X-Amz-Expires %q is not 1 to 900 seconds", q.Get("X-Amz-Expires"))
	}
	expires := signed.Add(time.Duration(secs) * time.Second)
	if !now.Before(expires) {
		return MSKToken{}, fmt.Errorf("%w at %s", ErrTokenExpired, expires)
	}
	date, err := checkScope(q.Get("X-Amz-Credential"), keys, region, "kafka-cluster", stamp)
	if err != nil {
		return MSKToken{}, err
	}
	if keys.SessionToken != "" && q.Get("X-Amz-Security-Token") != keys.SessionToken {
		return MSKToken{}, errors.New("token session token is missing or wrong")
	}
	// The signer adds User-Agent after signing; it is not part of the
	// signature.
	creq := strings.Join([]string{"GET", "/", canonicalQuery(q, "X-Amz-Signature", "User-Agent"), "host:" + host + "\n", "host", emptySHA}, "\n")
	want := signature(keys.SecretAccessKey, date, region, "kafka-cluster", stamp, creq)
	got := q.Get("X-Amz-Signature")
	if !hmac.Equal([]byte(want), []byte(got)) {
		return MSKToken{}, sigErr("SignatureDoesNotMatch", "the token signature does not verify with the secret key of %s", keys.AccessKeyID)
	}
	return MSKToken{AccessKeyID: keys.AccessKeyID, Signed: signed, Expires: expires, Signature: got}, nil
}

func base64URLDecode(s string) ([]byte, error) {
	if b, err := base64.RawURLEncoding.DecodeString(s); err == nil {
		return b, nil
	}
	return base64.URLEncoding.DecodeString(s)
}
