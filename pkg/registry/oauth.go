package registry

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/go-resty/resty/v2"
)

// Token lifetimes.
const (
	// maxRefreshMargin is how long before its expiry a token is replaced at
	// the latest; shorter-lived tokens are replaced after 90% of their life.
	maxRefreshMargin = 30 * time.Second
	// defaultTokenLife applies when the token endpoint gives no expires_in.
	defaultTokenLife = time.Minute
)

type oauthConfig struct {
	tokenURL     string
	clientID     string
	clientSecret string
	scopes       []string
}

// tokenSource fetches client-credentials tokens and caches one until
// shortly before it expires. One fetch runs at a time; concurrent callers
// wait for it.
type tokenSource struct {
	cfg  oauthConfig
	http *resty.Client
	now  func() time.Time
	log  *slog.Logger

	mu        sync.Mutex
	tok       string
	refreshAt time.Time
}

func newTokenSource(cfg oauthConfig, hc *resty.Client, now func() time.Time, log *slog.Logger) *tokenSource {
	return &tokenSource{cfg: cfg, http: hc, now: now, log: log}
}

// token returns a valid access token, fetching one if none is cached or
// the cached one is about to expire.
func (t *tokenSource) token(ctx context.Context) (string, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.tok != "" && t.now().Before(t.refreshAt) {
		return t.tok, nil
	}
	tok, life, err := t.fetch(ctx)
	if err != nil {
		return "", err
	}
	margin := min(maxRefreshMargin, life/10)
	t.tok, t.refreshAt = tok, t.now().Add(life-margin)
	t.log.Debug("fetched OAuth2 token", "token_url", t.cfg.tokenURL, "expires_in", life)
	return tok, nil
}

// invalidate drops tok if it is still the cached token, so the next call
// fetches a new one.
func (t *tokenSource) invalidate(tok string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.tok == tok {
		t.tok = ""
	}
}

type tokenResponse struct {
	AccessToken      string          `json:"access_token"`
	TokenType        string          `json:"token_type"`
	ExpiresIn        json.RawMessage `json:"expires_in"`
	Error            string          `json:"error"`
	ErrorDescription string          `json:"error_description"`
}

func (t *tokenSource) fetch(ctx context.Context) (string, time.Duration, error) {
	form := map[string]string{
		"grant_type":    "client_credentials",
		"client_id":     t.cfg.clientID,
		"client_secret": t.cfg.clientSecret,
	}
	if len(t.cfg.scopes) > 0 {
		form["scope"] = strings.Join(t.cfg.scopes, " ")
	}
	resp, err := t.http.R().SetContext(ctx).SetFormData(form).SetHeader("Accept", "application/json").Post(t.cfg.tokenURL)
	if err != nil {
		if ctx.Err() != nil {
			return "", 0, fmt.Errorf("get OAuth2 token from %s: %w", t.cfg.tokenURL, ctx.Err())
		}
		return "", 0, &TokenError{TokenURL: t.cfg.tokenURL, Err: err}
	}
	var body tokenResponse
	jsonErr := json.Unmarshal(resp.Body(), &body)
	if resp.StatusCode() != http.StatusOK {
		return "", 0, &TokenError{TokenURL: t.cfg.tokenURL, Status: resp.StatusCode(), Code: body.Error, Description: body.ErrorDescription}
	}
	if jsonErr != nil || body.AccessToken == "" {
		return "", 0, &TokenError{TokenURL: t.cfg.tokenURL, Status: resp.StatusCode(), Err: errors.New("the answer holds no access_token")}
	}
	life := defaultTokenLife
	if secs, ok := parseExpiresIn(body.ExpiresIn); ok {
		life = time.Duration(secs) * time.Second
	}
	return body.AccessToken, life, nil
}

// parseExpiresIn reads expires_in as a JSON number or a numeric string.
func parseExpiresIn(raw json.RawMessage) (int64, bool) {
	s := strings.Trim(strings.TrimSpace(string(raw)), `"`)
	v, err := json.Number(s).Int64()
	if err != nil || v <= 0 {
		return 0, false
	}
	return v, true
}

// TokenError reports a failure to obtain an OAuth2 token. It matches
// ErrUnavailable when the token endpoint was unreachable or answered 429 or
// 5xx, and ErrAuth when it refused the client.
type TokenError struct {
	// TokenURL is the token endpoint.
	TokenURL string
	// Status is the HTTP status, 0 when there was no answer.
	Status int
	// Code and Description are the OAuth2 error and error_description.
	Code, Description string
	// Err is the transport or decoding error, if any.
	Err error
}

// Error says what the token endpoint answered and what to check.
func (e *TokenError) Error() string {
	switch {
	case e.Status == 0:
		return fmt.Sprintf("get OAuth2 token from %s: unreachable (%v): check the token URL", e.TokenURL, e.Err)
	case e.Err != nil:
		return fmt.Sprintf("get OAuth2 token from %s: %d %s: %v", e.TokenURL, e.Status, http.StatusText(e.Status), e.Err)
	}
	msg := fmt.Sprintf("get OAuth2 token from %s: %d %s", e.TokenURL, e.Status, http.StatusText(e.Status))
	if e.Code != "" {
		msg += ": " + e.Code
	}
	if e.Description != "" {
		msg += ": " + e.Description
	}
	if e.Status == http.StatusBadRequest || e.Status == http.StatusUnauthorized || e.Status == http.StatusForbidden {
		msg += ": check the client id, secret and scopes"
	}
	return msg
}

// Unwrap returns the transport or decoding error.
func (e *TokenError) Unwrap() error { return e.Err }

// Is matches ErrUnavailable and ErrAuth as the type documents.
func (e *TokenError) Is(target error) bool {
	switch target {
	case ErrUnavailable:
		return e.Status == 0 || retryableStatus(e.Status)
	case ErrAuth:
		return e.Status == http.StatusBadRequest || e.Status == http.StatusUnauthorized || e.Status == http.StatusForbidden
	}
	return false
}
