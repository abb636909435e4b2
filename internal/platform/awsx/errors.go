package awsx

import (
	"context"
	"errors"
	"net"
	"strings"

	"github.com/aws/smithy-go"
)

// Kind classifies an AWS failure by what the user has to fix.
type Kind int

// The kinds of AWS failure.
const (
	// Other is a failure of no known kind.
	Other Kind = iota
	// NoCredentials: the default chain found no credentials.
	NoCredentials
	// InvalidCredentials: AWS does not know the access key, or the
	// signature made with the secret key does not match.
	InvalidCredentials
	// ExpiredCredentials: the (session) credentials have expired.
	ExpiredCredentials
	// AccessDenied: the identity lacks a permission.
	AccessDenied
	// NotFound: the parameter, bucket or object does not exist.
	NotFound
	// WrongRegion: the resource lives in another region.
	WrongRegion
	// Unreachable: the AWS endpoint could not be reached.
	Unreachable
)

var kindNames = [...]string{
	Other:              "failed",
	NoCredentials:      "no AWS credentials",
	InvalidCredentials: "AWS credentials refused",
	ExpiredCredentials: "AWS credentials expired",
	AccessDenied:       "access denied",
	NotFound:           "not found",
	WrongRegion:        "wrong region",
	Unreachable:        "AWS endpoint unreachable",
}

// String says what went wrong in a few words.
func (k Kind) String() string {
	if k < 0 || int(k) >= len(kindNames) {
		return "failed"
	}
	return kindNames[k]
}

// Error is an AWS failure explained: what was being done, what kind of
// failure it is, the cause, and what to check.
type Error struct {
	// Op says what was being done, such as "read s3://bucket/key".
	Op string
	// Kind classifies the failure.
	Kind Kind
	// Hint says what to check or do.
	Hint string
	// Err is the underlying error.
	Err error
}

// Error returns "op: kind: cause; hint".
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.Op)
	b.WriteString(": ")
	b.WriteString(e.Kind.String())
	if e.Err != nil {
		b.WriteString(" (")
		b.WriteString(cause(e.Err))
		b.WriteString(")")
	}
	if e.Hint != "" {
		b.WriteString(": ")
		b.WriteString(e.Hint)
	}
	return b.String()
}

// Unwrap returns the underlying error.
func (e *Error) Unwrap() error { return e.Err }

// cause is the shortest true description of err: the service's error code
// and message when a service answered, else the error text.
func cause(err error) string {
	if ae, ok := errors.AsType[smithy.APIError](err); ok {
		if m := ae.ErrorMessage(); m != "" {
			return ae.ErrorCode() + ": " + m
		}
		return ae.ErrorCode()
	}
	return err.Error()
}

const (
	noCredentialsHint = "on EKS give the pod's service account an IAM role (IRSA annotation eks.amazonaws.com/role-arn, or EKS Pod Identity); " +
		"on EC2 or EMR attach an instance profile; locally set AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"
	invalidCredentialsHint = "check AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY or the profile's keys (a secret key that does not match its key id, " +
		"or a deleted key), and that the system clock is right"
	expiredHint = "the session credentials have expired: renew them (aws sso login, a new session token, or restart the pod so its role's token is re-read), " +
		"and check the system clock"
	wrongRegionHint = "the resource is in another region: set --aws-region (AWS_REGION) to its region"
	unreachableHint = "check network access to the AWS endpoint (NAT gateway or VPC endpoint for the service, proxy settings) " +
		"and --aws-endpoint-url if set"
)

// codes maps AWS error codes to kinds.
var codes = map[string]Kind{
	"AccessDenied":                       AccessDenied,
	"AccessDeniedException":              AccessDenied,
	"AllAccessDisabled":                  AccessDenied,
	"UnauthorizedOperation":              AccessDenied,
	"AuthorizationError":                 AccessDenied,
	"KMSAccessDeniedException":           AccessDenied,
	"InvalidKeyId":                       AccessDenied,
	"ExpiredToken":                       ExpiredCredentials,
	"ExpiredTokenException":              ExpiredCredentials,
	"RequestExpired":                     ExpiredCredentials,
	"TokenRefreshRequired":               ExpiredCredentials,
	"InvalidClientTokenId":               InvalidCredentials,
	"UnrecognizedClientException":        InvalidCredentials,
	"InvalidAccessKeyId":                 InvalidCredentials,
	"SignatureDoesNotMatch":              InvalidCredentials,
	"InvalidSignatureException":          InvalidCredentials,
	"IncompleteSignature":                InvalidCredentials,
	"InvalidIdentityToken":               InvalidCredentials,
	"RequestTimeTooSkewed":               InvalidCredentials,
	"ParameterNotFound":                  NotFound,
	"ParameterVersionNotFound":           NotFound,
	"NoSuchKey":                          NotFound,
	"NoSuchBucket":                       NotFound,
	"NotFound":                           NotFound,
	"AuthorizationHeaderMalformed":       WrongRegion,
	"PermanentRedirect":                  WrongRegion,
	"IllegalLocationConstraintException": WrongRegion,
}

// classify returns the kind of err.
func classify(err error) Kind {
	if ae, ok := errors.AsType[smithy.APIError](err); ok {
		if k, ok := codes[ae.ErrorCode()]; ok {
			return k
		}
		return Other
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return Other
	}
	if _, ok := errors.AsType[*net.OpError](err); ok {
		return Unreachable
	}
	if _, ok := errors.AsType[*net.DNSError](err); ok {
		return Unreachable
	}
	if strings.Contains(err.Error(), "expired") {
		return ExpiredCredentials
	}
	return Other
}

// Explain wraps err, a non-nil error from an AWS call, in an *Error for op
// (what was being done). need names the IAM permission op requires, used in
// the hint when access is denied. Callers may replace the hint of a kind
// they know better (a missing S3 key, say).
func Explain(op string, err error, need string) *Error {
	if e, ok := errors.AsType[*Error](err); ok && e.Op == op {
		return e
	}
	k := classify(err)
	e := &Error{Op: op, Kind: k, Err: err}
	switch k {
	case NoCredentials:
		e.Hint = noCredentialsHint
	case InvalidCredentials:
		e.Hint = invalidCredentialsHint
	case ExpiredCredentials:
		e.Hint = expiredHint
	case AccessDenied:
		e.Hint = "the identity in use lacks a permission"
		if need != "" {
			e.Hint += ": grant it " + need
		}
	case NotFound:
		e.Hint = "check the name, and that --aws-region is the region where it lives"
	case WrongRegion:
		e.Hint = wrongRegionHint
	case Unreachable:
		e.Hint = unreachableHint
	}
	return e
}
