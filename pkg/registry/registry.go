// Package registry is a client of Apicurio Registry's core REST API, version
// 3 (/apis/registry/v3) by default and version 2 (/apis/registry/v2) as an
// option, over github.com/go-resty/resty/v2.
//
// Imported by package serde, by salesstream's schemas job
// (internal/pipeline/registrar), producer, enricher and reader, by
// internal/platform/registryconn (the client built from the binaries'
// settings) and the laptop stack; any Go program may import it to talk to an
// Apicurio registry. Package registrytest serves a registry with injected
// faults for tests of such programs.
//
// A Client is bound to one registry and one artifact group ("default"
// unless set). It registers schemas idempotently (Register creates a new
// version only when the content differs from every existing version), looks
// artifacts and their versions up, fetches schema content by content id or
// global id (the ids that framed Kafka messages carry), and manages
// validity and compatibility rules.
//
// Failures are retried with jittered exponential backoff when they may
// pass: connection errors, timeouts, 429 (honouring Retry-After) and 5xx.
// What is left after the retry budget is an error that errors.Is matches
// against ErrUnavailable (try again later), ErrNotFound (a 404: the
// artifact, version or id does not exist), or ErrAuth (the registry or the
// token endpoint refused the credentials). *APIError carries the parsed
// Apicurio error body. IsRetryable tells callers which errors are worth
// waiting out.
package registry

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/go-resty/resty/v2"
)

// Defaults of a Client.
const (
	// DefaultGroup is Apicurio's default artifact group.
	DefaultGroup = "default"
	// DefaultTimeout bounds one HTTP attempt, response body included.
	DefaultTimeout = 10 * time.Second
	// DefaultRetries is the number of retries after a first failed attempt.
	DefaultRetries = 2
	// DefaultMinWait and DefaultMaxWait bound the wait between attempts.
	DefaultMinWait = 200 * time.Millisecond
	DefaultMaxWait = 2 * time.Second
	// dialTimeout bounds connection establishment, so that an unreachable
	// host fails fast even with a long request timeout.
	dialTimeout = 3 * time.Second
	// maxResponseBytes bounds a response body.
	maxResponseBytes = 32 << 20
)

const (
	v3Path = "/apis/registry/v3"
	v2Path = "/apis/registry/v2"
)

// Client talks to one Apicurio Registry. It is safe for concurrent use.
type Client struct {
	base   string // scheme://host[:port][/prefix], without the API path
	api    string // base + v3Path or v2Path
	v2     bool
	group  string
	http   *resty.Client
	tokens *tokenSource // nil unless OAuth2 is configured
}

// Option configures a Client.
type Option func(*options)

type options struct {
	v2      bool
	group   string
	timeout time.Duration
	retries int
	minWait time.Duration
	maxWait time.Duration
	user    string
	pass    string
	basic   bool
	oauth   *oauthConfig
	caFile  string
	tls     *tls.Config
	log     *slog.Logger
	now     func() time.Time
}

// WithAPIV2 selects the core v2 API (/apis/registry/v2), for Apicurio
// Registry 2.x. A base URL ending in /apis/registry/v2 selects it too.
func WithAPIV2() Option { return func(o *options) { o.v2 = true } }

// WithGroup sets the artifact group of every artifact operation.
func WithGroup(g string) Option { return func(o *options) { o.group = g } }

// WithTimeout bounds each HTTP attempt, reading the response included
// (default DefaultTimeout). Connecting is bounded by the smaller of d and
// 3 s, so an unreachable host fails fast.
func WithTimeout(d time.Duration) Option { return func(o *options) { o.timeout = d } }

// WithRetries sets how many times a failed request is retried after its
// first attempt (0 disables retries), and the bounds of the jittered
// exponential wait between attempts. Connection errors, timeouts, 429 and
// 5xx responses (except 501 and 505) are retried; a Retry-After header is
// honoured within [minWait, maxWait].
func WithRetries(n int, minWait, maxWait time.Duration) Option {
	return func(o *options) { o.retries, o.minWait, o.maxWait = n, minWait, maxWait }
}

// WithBasicAuth sends HTTP basic credentials with every request.
func WithBasicAuth(user, pass string) Option {
	return func(o *options) { o.user, o.pass, o.basic = user, pass, true }
}

// WithOAuth2ClientCredentials authenticates with bearer tokens obtained
// from tokenURL (for Keycloak, .../realms/<realm>/protocol/openid-connect/token)
// by the OAuth2 client credentials grant. A token is reused until shortly
// before it expires, and fetched again when the registry answers 401.
func WithOAuth2ClientCredentials(tokenURL, clientID, clientSecret string, scopes ...string) Option {
	return func(o *options) {
		o.oauth = &oauthConfig{tokenURL: tokenURL, clientID: clientID, clientSecret: clientSecret, scopes: scopes}
	}
}

// WithCAFile trusts the PEM certificates in path, besides the system's, to
// verify the registry's (and the token endpoint's) TLS certificate.
func WithCAFile(path string) Option { return func(o *options) { o.caFile = path } }

// WithTLSConfig sets the TLS configuration of connections. WithCAFile adds
// its certificates to a copy of it.
func WithTLSConfig(cfg *tls.Config) Option { return func(o *options) { o.tls = cfg } }

// WithLogger sets the logger of retries and token refreshes.
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.log = l } }

// New returns a client of the registry at baseURL, such as
// http://127.0.0.1:8080. A base URL that already ends in /apis/registry/v3
// or /apis/registry/v2 is accepted; the latter selects the v2 API.
func New(baseURL string, opts ...Option) (*Client, error) {
	o := options{
		group:   DefaultGroup,
		timeout: DefaultTimeout,
		retries: DefaultRetries,
		minWait: DefaultMinWait,
		maxWait: DefaultMaxWait,
		log:     slog.Default(),
		now:     time.Now,
	}
	for _, opt := range opts {
		opt(&o)
	}
	base, v2, err := normalizeBase(baseURL)
	if err != nil {
		return nil, err
	}
	o.v2 = o.v2 || v2
	if err := o.validate(); err != nil {
		return nil, fmt.Errorf("registry client for %s: %w", base, err)
	}
	tlsCfg, err := o.tlsConfig()
	if err != nil {
		return nil, fmt.Errorf("registry client for %s: %w", base, err)
	}

	c := &Client{base: base, v2: o.v2, group: o.group}
	c.api = base + v3Path
	if o.v2 {
		c.api = base + v2Path
	}
	transport := newTransport(tlsCfg, o.timeout)
	c.http = newResty(transport, o, o.log)
	switch {
	case o.basic:
		c.http.SetBasicAuth(o.user, o.pass)
	case o.oauth != nil:
		// The token endpoint gets its own resty client: its failures are
		// retried there, and must not be retried again by the registry
		// request that needed the token.
		c.tokens = newTokenSource(*o.oauth, newResty(transport, o, o.log), o.now, o.log)
		c.http.OnBeforeRequest(func(_ *resty.Client, r *resty.Request) error {
			tok, err := c.tokens.token(r.Context())
			if err != nil {
				return err
			}
			r.SetAuthToken(tok)
			return nil
		})
	}
	return c, nil
}

// BaseURL returns the registry's base URL, without the API path.
func (c *Client) BaseURL() string { return c.base }

// APIURL returns the root of the API the client uses, such as
// http://127.0.0.1:8080/apis/registry/v3.
func (c *Client) APIURL() string { return c.api }

// Group returns the artifact group of the client's artifact operations.
func (c *Client) Group() string { return c.group }

// IsV2 reports whether the client uses the core v2 API.
func (c *Client) IsV2() bool { return c.v2 }

func normalizeBase(raw string) (base string, v2 bool, err error) {
	s := strings.TrimSpace(raw)
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", false, fmt.Errorf("registry URL %q is not an http:// or https:// URL with a host: set it like http://127.0.0.1:8080", raw)
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return "", false, fmt.Errorf("registry URL %q has a query or fragment: give only scheme, host and path", raw)
	}
	s = strings.TrimRight(s, "/")
	switch {
	case strings.HasSuffix(s, v3Path):
		s = strings.TrimSuffix(s, v3Path)
	case strings.HasSuffix(s, v2Path):
		s, v2 = strings.TrimSuffix(s, v2Path), true
	}
	return strings.TrimRight(s, "/"), v2, nil
}

func (o *options) validate() error {
	switch {
	case o.group == "":
		return errors.New("empty artifact group: leave the group unset for \"default\"")
	case o.timeout <= 0:
		return fmt.Errorf("timeout %s is not positive", o.timeout)
	case o.retries < 0:
		return fmt.Errorf("retry count %d is negative", o.retries)
	case o.minWait <= 0 || o.maxWait < o.minWait:
		return fmt.Errorf("retry waits [%s, %s] are not a positive range", o.minWait, o.maxWait)
	case o.basic && o.oauth != nil:
		return errors.New("both basic auth and OAuth2 are configured: choose one")
	case o.oauth != nil && (o.oauth.tokenURL == "" || o.oauth.clientID == ""):
		return errors.New("OAuth2 needs a token URL and a client id")
	}
	if o.oauth != nil {
		if u, err := url.Parse(o.oauth.tokenURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("OAuth2 token URL %q is not an http:// or https:// URL", o.oauth.tokenURL)
		}
	}
	return nil
}

func (o *options) tlsConfig() (*tls.Config, error) {
	var cfg *tls.Config
	if o.tls != nil {
		cfg = o.tls.Clone()
	}
	if o.caFile == "" {
		return cfg, nil
	}
	pem, err := os.ReadFile(o.caFile)
	if err != nil {
		return nil, fmt.Errorf("read CA file: %w", err)
	}
	if cfg == nil {
		cfg = &tls.Config{MinVersion: tls.VersionTLS12}
	}
	pool := cfg.RootCAs
	if pool == nil {
		if pool, err = x509.SystemCertPool(); err != nil {
			pool = x509.NewCertPool()
		}
	} else {
		pool = pool.Clone()
	}
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("CA file %s holds no PEM certificate", o.caFile)
	}
	cfg.RootCAs = pool
	return cfg, nil
}

func newTransport(tlsCfg *tls.Config, timeout time.Duration) *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	d := &net.Dialer{Timeout: min(dialTimeout, timeout), KeepAlive: 30 * time.Second}
	t.DialContext = d.DialContext
	t.TLSClientConfig = tlsCfg
	t.TLSHandshakeTimeout = min(dialTimeout, timeout)
	t.MaxIdleConnsPerHost = 16
	return t
}

func newResty(t http.RoundTripper, o options, log *slog.Logger) *resty.Client {
	r := resty.NewWithClient(&http.Client{Transport: t, Timeout: o.timeout})
	r.SetLogger(restyLogger{log})
	r.SetResponseBodyLimit(maxResponseBytes)
	r.SetHeader("User-Agent", "salesstream-registry-client")
	r.SetRetryCount(o.retries)
	r.SetRetryWaitTime(o.minWait)
	r.SetRetryMaxWaitTime(o.maxWait)
	r.SetRetryAfter(retryAfter(o.now))
	r.AddRetryCondition(shouldRetry)
	r.AddRetryHook(func(resp *resty.Response, err error) {
		if resp == nil || resp.Request == nil {
			return
		}
		attrs := []any{"method", resp.Request.Method, "url", resp.Request.URL, "attempt", resp.Request.Attempt, "of", o.retries + 1}
		if err != nil {
			attrs = append(attrs, "err", err)
		} else {
			attrs = append(attrs, "status", resp.StatusCode())
		}
		log.Warn("registry request failed", attrs...)
	})
	return r
}

// shouldRetry is the retry condition: transport errors (but not token
// errors, retried by the token client), 429, and 5xx but 501 and 505.
func shouldRetry(resp *resty.Response, err error) bool {
	if err != nil {
		var te *TokenError
		return !errors.As(err, &te) && !isCertError(err)
	}
	if resp == nil {
		return false
	}
	return retryableStatus(resp.StatusCode())
}

// isCertError reports a TLS certificate that does not verify: retrying
// cannot help.
func isCertError(err error) bool {
	var cv *tls.CertificateVerificationError
	var ua x509.UnknownAuthorityError
	var he x509.HostnameError
	var ci x509.CertificateInvalidError
	return errors.As(err, &cv) || errors.As(err, &ua) || errors.As(err, &he) || errors.As(err, &ci)
}

func retryableStatus(s int) bool {
	return s == http.StatusTooManyRequests ||
		(s >= 500 && s != http.StatusNotImplemented && s != http.StatusHTTPVersionNotSupported)
}

// retryAfter reads a Retry-After header in seconds or as an HTTP date.
// Zero means "use the backoff schedule"; resty bounds the result within the
// retry waits.
func retryAfter(now func() time.Time) resty.RetryAfterFunc {
	return func(_ *resty.Client, resp *resty.Response) (time.Duration, error) {
		if resp == nil || resp.RawResponse == nil {
			return 0, nil
		}
		return parseRetryAfter(resp.Header().Get("Retry-After"), now()), nil
	}
}

func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if secs, err := strconv.Atoi(v); err == nil {
		if secs <= 0 {
			return 0
		}
		return time.Duration(secs) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := t.Sub(now); d > 0 {
			return d
		}
	}
	return 0
}

type restyLogger struct{ l *slog.Logger }

func (r restyLogger) Errorf(format string, v ...any) { r.debug(format, v...) }
func (r restyLogger) Warnf(format string, v ...any)  { r.debug(format, v...) }
func (r restyLogger) Debugf(format string, v ...any) { r.debug(format, v...) }
func (r restyLogger) debug(format string, v ...any) {
	r.l.Debug(strings.TrimSpace(fmt.Sprintf(format, v...)), "component", "resty")
}

// request is one call of the API.
type request struct {
	method      string
	path        string // below the API root, segments escaped
	query       url.Values
	headers     map[string]string
	body        []byte
	contentType string
}

// do runs r and returns the response of a 2xx status. Other statuses are
// *APIError; connection failures *UnavailableError; a canceled ctx its
// error.
func (c *Client) do(ctx context.Context, r request) (*resty.Response, error) {
	full := c.api + r.path
	if len(r.query) > 0 {
		full += "?" + r.query.Encode()
	}
	for attempt := 0; ; attempt++ {
		req := c.http.R().SetContext(ctx).SetHeader("Accept", "application/json, */*")
		for k, v := range r.headers {
			req.SetHeader(k, v)
		}
		if r.body != nil {
			req.SetHeader("Content-Type", r.contentType).SetBody(r.body)
		}
		resp, err := req.Execute(r.method, full)
		if err != nil {
			if ctx.Err() != nil {
				return nil, fmt.Errorf("%s %s: %w", r.method, full, ctx.Err())
			}
			var te *TokenError
			if errors.As(err, &te) {
				return nil, err
			}
			if isCertError(err) {
				return nil, fmt.Errorf("registry at %s presented a TLS certificate that does not verify (%w): trust its CA with the CA file option, or fix the URL's host name", c.base, transportCause(err))
			}
			return nil, &UnavailableError{Registry: c.base, Method: r.method, URL: full, Err: err}
		}
		status := resp.StatusCode()
		if status >= 200 && status < 300 {
			return resp, nil
		}
		if status == http.StatusUnauthorized && c.tokens != nil && attempt == 0 {
			// The token may have been revoked or expired early: fetch a
			// new one and try once more.
			c.tokens.invalidate(req.Token)
			continue
		}
		return nil, newAPIError(r.method, full, status, resp.Header().Get("Content-Type"), resp.Body())
	}
}

// escape escapes one path segment.
func escape(s string) string { return url.PathEscape(s) }

func (c *Client) artifactPath(artifactID string) string {
	return "/groups/" + escape(c.group) + "/artifacts/" + escape(artifactID)
}
