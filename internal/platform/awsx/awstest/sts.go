package awstest

import (
	"encoding/xml"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// STS is a fake AWS Security Token Service serving AssumeRole (signed by
// the caller's keys) and AssumeRoleWithWebIdentity (unsigned, authorised by
// a web identity token, as on EKS with IRSA) over the query protocol. Both
// hand out the same issued session keys.
type STS struct {
	// URL is the endpoint to give the SDK.
	URL string

	region   string
	caller   Keys
	roleARN  string
	issued   Keys
	webToken string

	mu    sync.Mutex
	calls []string
}

// NewSTS starts a fake STS endpoint of region. AssumeRole of roleARN
// signed with caller, and AssumeRoleWithWebIdentity of roleARN with the web
// identity token set by AcceptWebIdentity, return issued (which must have
// a SessionToken). It stops when the test ends.
func NewSTS(t testing.TB, region string, caller Keys, roleARN string, issued Keys) *STS {
	s := &STS{region: region, caller: caller, roleARN: roleARN, issued: issued}
	srv := httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(srv.Close)
	s.URL = srv.URL
	return s
}

// AcceptWebIdentity sets the web identity token AssumeRoleWithWebIdentity
// accepts.
func (s *STS) AcceptWebIdentity(token string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.webToken = token
}

// SetWebIdentityEnv makes tb's process look like a pod on EKS with IRSA:
// s accepts token, which a projected token file holds, and AWS_ROLE_ARN,
// AWS_WEB_IDENTITY_TOKEN_FILE, AWS_ENDPOINT_URL_STS and AWS_REGION lead the
// SDK's default credential chain to s for roleARN in region.
func (s *STS) SetWebIdentityEnv(tb testing.TB, token, roleARN, region string) {
	tb.Helper()
	s.AcceptWebIdentity(token)
	tokenFile := filepath.Join(tb.TempDir(), "token")
	if err := os.WriteFile(tokenFile, []byte(token), 0o600); err != nil {
		tb.Fatal(err)
	}
	tb.Setenv("AWS_ROLE_ARN", roleARN)
	tb.Setenv("AWS_WEB_IDENTITY_TOKEN_FILE", tokenFile)
	tb.Setenv("AWS_ENDPOINT_URL_STS", s.URL)
	tb.Setenv("AWS_REGION", region)
}

// Calls returns the actions of the accepted calls, in order.
func (s *STS) Calls() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.calls...)
}

func (s *STS) serve(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil || r.Method != http.MethodPost {
		stsError(w, http.StatusBadRequest, "InvalidAction", "not an STS query request")
		return
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		stsError(w, http.StatusBadRequest, "MalformedQueryString", err.Error())
		return
	}
	action := form.Get("Action")
	switch action {
	case "AssumeRole":
		if err := VerifyRequest(r, body, s.caller, s.region, "sts", time.Now()); err != nil {
			var se *SigError
			errors.As(err, &se)
			stsError(w, http.StatusForbidden, se.Code, se.Msg)
			return
		}
	case "AssumeRoleWithWebIdentity":
		s.mu.Lock()
		ok := s.webToken != "" && form.Get("WebIdentityToken") == s.webToken
		s.mu.Unlock()
		if !ok {
			stsError(w, http.StatusBadRequest, "InvalidIdentityToken", "the web identity token is not valid")
			return
		}
	default:
		stsError(w, http.StatusBadRequest, "InvalidAction", "action "+action+" is not supported by the fake")
		return
	}
	if form.Get("RoleArn") != s.roleARN {
		stsError(w, http.StatusForbidden, "AccessDenied", "not authorized to perform sts:"+action+" on resource "+form.Get("RoleArn"))
		return
	}
	s.mu.Lock()
	s.calls = append(s.calls, action)
	s.mu.Unlock()
	type creds struct {
		AccessKeyID     string `xml:"AccessKeyId"`
		SecretAccessKey string
		SessionToken    string
		Expiration      string
	}
	type user struct {
		Arn           string
		AssumedRoleID string `xml:"AssumedRoleId"`
	}
	type result struct {
		XMLName         xml.Name
		Credentials     creds
		AssumedRoleUser user
	}
	out := struct {
		XMLName          xml.Name
		Xmlns            string `xml:"xmlns,attr"`
		Result           result
		ResponseMetadata struct {
			RequestID string `xml:"RequestId"`
		}
	}{
		XMLName: xml.Name{Local: action + "Response"},
		Xmlns:   "https://sts.amazonaws.com/doc/2011-06-15/",
		Result: result{
			XMLName: xml.Name{Local: action + "Result"},
			Credentials: creds{
				AccessKeyID: s.issued.AccessKeyID, SecretAccessKey: s.issued.SecretAccessKey, SessionToken: s.issued.SessionToken,
				Expiration: time.Now().Add(time.Hour).UTC().Format(time.RFC3339),
			},
			AssumedRoleUser: user{Arn: s.roleARN + "/" + form.Get("RoleSessionName"), AssumedRoleID: "AROAFAKE:" + form.Get("RoleSessionName")},
		},
	}
	out.ResponseMetadata.RequestID = "fake-request-id"
	b, err := xml.Marshal(out)
	if err != nil {
		stsError(w, http.StatusInternalServerError, "InternalFailure", err.Error())
		return
	}
	w.Header().Set("Content-Type", "text/xml")
	_, _ = w.Write(b)
}

func stsError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "text/xml")
	w.WriteHeader(status)
	out := struct {
		XMLName xml.Name `xml:"ErrorResponse"`
		Xmlns   string   `xml:"xmlns,attr"`
		Error   struct {
			Type    string
			Code    string
			Message string
		}
		RequestID string `xml:"RequestId"`
	}{Xmlns: "https://sts.amazonaws.com/doc/2011-06-15/", RequestID: "fake-request-id"}
	out.Error.Type, out.Error.Code, out.Error.Message = "Sender", code, msg
	_ = xml.NewEncoder(w).Encode(out)
}
