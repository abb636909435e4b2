package registry

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
)

// Sentinel errors, matched with errors.Is against what a Client returns.
var (
	// ErrNotFound: the registry answered 404; the artifact, version, rule
	// or id does not exist.
	ErrNotFound = errors.New("not found in registry")
	// ErrUnavailable: the registry (or the token endpoint) could not be
	// reached, timed out, or answered 429 or 5xx after every retry. The
	// same request may succeed later.
	ErrUnavailable = errors.New("registry unavailable")
	// ErrAuth: the registry or the token endpoint refused the credentials
	// (401 or 403, or an OAuth2 error).
	ErrAuth = errors.New("registry refused the credentials")
)

// IsRetryable reports whether err may pass if the same call is made later:
// the registry was unreachable, slow, rate limiting, or failing with 5xx.
func IsRetryable(err error) bool { return errors.Is(err, ErrUnavailable) }

// APIError is a non-2xx answer of the registry, with its parsed error body
// (v3 ProblemDetails, or the v2 Error with error_code and message).
type APIError struct {
	// Method and URL of the request.
	Method, URL string
	// Status is the HTTP status code.
	Status int
	// ErrorCode is the v2 error_code, or the v3 status field.
	ErrorCode int
	// Title is the v3 title or the v2 message: a short summary.
	Title string
	// Detail explains this occurrence. For a body that is not an Apicurio
	// error, it holds the start of the body.
	Detail string
	// Name is the server-side exception name, if any.
	Name string
	// Causes lists rule violations, if any.
	Causes []Cause
}

// Cause is one rule violation of a rejected artifact.
type Cause struct {
	Description string `json:"description"`
	Context     string `json:"context"`
}

// Error describes the failed request and the registry's explanation.
func (e *APIError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "registry answered %s %s with %d %s", e.Method, e.URL, e.Status, http.StatusText(e.Status))
	if e.Title != "" {
		b.WriteString(": ")
		b.WriteString(e.Title)
	}
	if e.Detail != "" && e.Detail != e.Title {
		b.WriteString(": ")
		b.WriteString(e.Detail)
	}
	for _, c := range e.Causes {
		fmt.Fprintf(&b, "; %s", c.Description)
		if c.Context != "" {
			fmt.Fprintf(&b, " (at %s)", c.Context)
		}
	}
	switch e.Status {
	case http.StatusUnauthorized:
		b.WriteString(": check the registry credentials")
	case http.StatusForbidden:
		b.WriteString(": the credentials lack a role this operation needs")
	}
	return b.String()
}

// Is matches ErrNotFound for 404, ErrAuth for 401 and 403, and
// ErrUnavailable for the statuses that are retried.
func (e *APIError) Is(target error) bool {
	switch target {
	case ErrNotFound:
		return e.Status == http.StatusNotFound
	case ErrAuth:
		return e.Status == http.StatusUnauthorized || e.Status == http.StatusForbidden
	case ErrUnavailable:
		return retryableStatus(e.Status)
	}
	return false
}

// apiErrorBody is the union of v3 ProblemDetails and the v2 Error.
type apiErrorBody struct {
	Title     string  `json:"title"`
	Detail    string  `json:"detail"`
	Status    int     `json:"status"`
	Name      string  `json:"name"`
	Message   string  `json:"message"`
	ErrorCode int     `json:"error_code"`
	Causes    []Cause `json:"causes"`
}

func newAPIError(method, u string, status int, contentType string, body []byte) *APIError {
	e := &APIError{Method: method, URL: u, Status: status}
	var b apiErrorBody
	if len(body) > 0 && json.Unmarshal(body, &b) == nil {
		e.Title = b.Title
		if e.Title == "" {
			e.Title = b.Message
		}
		e.Detail, e.Name, e.Causes = b.Detail, b.Name, b.Causes
		e.ErrorCode = b.ErrorCode
		if e.ErrorCode == 0 {
			e.ErrorCode = b.Status
		}
		if e.Title != "" || e.Detail != "" {
			return e
		}
	}
	// Not an Apicurio error body: keep its start, so a proxy's page or a
	// wrong URL shows what answered.
	text := strings.TrimSpace(string(body))
	if len(text) > 200 {
		text = text[:200] + "..."
	}
	if text != "" {
		e.Detail = fmt.Sprintf("unexpected %s body %q", orUnknown(contentType), text)
	}
	return e
}

func orUnknown(ct string) string {
	if ct == "" {
		return "untyped"
	}
	return ct
}

// UnavailableError reports a request that got no HTTP answer: the
// connection failed or timed out, after every retry.
type UnavailableError struct {
	// Registry is the registry's base URL.
	Registry string
	// Method and URL of the request.
	Method, URL string
	// Err is the transport error.
	Err error
}

// Error says the registry is unreachable, why, and what to check; a
// program adds how its users set the registry's address.
func (e *UnavailableError) Error() string {
	cause := transportCause(e.Err)
	if e.Timeout() {
		return fmt.Sprintf("registry at %s did not answer %s %s in time (%v): check that it is healthy, or raise the client timeout", e.Registry, e.Method, e.URL, cause)
	}
	return fmt.Sprintf("registry at %s is unreachable (%v): check that it is running at that address", e.Registry, cause)
}

// Timeout reports whether the registry was reached but did not answer in
// time, rather than unreachable.
func (e *UnavailableError) Timeout() bool {
	var ne net.Error
	return errors.As(e.Err, &ne) && ne.Timeout()
}

// Unwrap returns the transport error.
func (e *UnavailableError) Unwrap() error { return e.Err }

// transportCause drops the method and URL a *url.Error repeats.
func transportCause(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// Is matches ErrUnavailable.
func (e *UnavailableError) Is(target error) bool { return target == ErrUnavailable }

// NotFoundError reports that a looked-up object does not exist in the
// registry. It matches ErrNotFound.
type NotFoundError struct {
	// What names the object, such as "artifact pagila.sales.avro-value" or
	// "content id 42".
	What string
	// Registry is the registry's base URL.
	Registry string
	// Group is the artifact group, empty for ids and global rules.
	Group string
	// Err is the registry's answer.
	Err *APIError
}

// Error reads like "artifact x not found in registry http://host:8080".
func (e *NotFoundError) Error() string {
	if e.Group != "" && e.Group != DefaultGroup {
		return fmt.Sprintf("%s not found in group %s of registry %s", e.What, e.Group, e.Registry)
	}
	return fmt.Sprintf("%s not found in registry %s", e.What, e.Registry)
}

// Unwrap returns the registry's answer.
func (e *NotFoundError) Unwrap() error { return e.Err }

// Is matches ErrNotFound.
func (e *NotFoundError) Is(target error) bool { return target == ErrNotFound }

// notFound turns a 404 into a *NotFoundError naming what; other errors
// are returned wrapped with op.
func (c *Client) notFound(err error, what string, inGroup bool, op string) error {
	var ae *APIError
	if errors.As(err, &ae) && ae.Status == http.StatusNotFound {
		nf := &NotFoundError{What: what, Registry: c.base, Err: ae}
		if inGroup {
			nf.Group = c.group
		}
		return nf
	}
	return fmt.Errorf("%s: %w", op, err)
}
