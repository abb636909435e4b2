package awstest

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

// SSM is a fake AWS Systems Manager Parameter Store serving GetParameters
// over the JSON 1.1 protocol, as the SDK's SSM client calls it.
type SSM struct {
	// URL is the endpoint to give the SDK (BaseEndpoint).
	URL string

	region string
	keys   Keys

	mu     sync.Mutex
	params map[string]ssmParam
	fail   *SigError
	calls  [][]string
}

type ssmParam struct {
	value   string
	secure  bool
	version int64
}

// NewSSM starts a fake SSM endpoint of region that accepts requests signed
// with keys; it stops when the test ends.
func NewSSM(t testing.TB, region string, keys Keys) *SSM {
	s := &SSM{region: region, keys: keys, params: map[string]ssmParam{}}
	srv := httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(srv.Close)
	s.URL = srv.URL
	return s
}

// Put stores a parameter; secure makes it a SecureString.
func (s *SSM) Put(name, value string, secure bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.params[name]
	s.params[name] = ssmParam{value: value, secure: secure, version: p.version + 1}
}

// Fail makes every later request fail with the AWS error code and message,
// such as AccessDeniedException or ExpiredTokenException.
func (s *SSM) Fail(code, message string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fail = &SigError{Code: code, Msg: message}
}

// Calls returns the names asked for by each accepted GetParameters call.
func (s *SSM) Calls() [][]string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([][]string, len(s.calls))
	copy(out, s.calls)
	return out
}

// jsonCodes maps signature error codes to the ones JSON-protocol services
// answer.
var jsonCodes = map[string]string{
	"SignatureDoesNotMatch": "InvalidSignatureException",
	"InvalidClientTokenId":  "UnrecognizedClientException",
}

func (s *SSM) serve(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.URL.Path != "/" {
		jsonError(w, http.StatusNotFound, "UnknownOperationException", "not an SSM request")
		return
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/x-amz-json-1.1" {
		jsonError(w, http.StatusBadRequest, "SerializationException", "content type "+ct+" is not application/x-amz-json-1.1")
		return
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		jsonError(w, http.StatusBadRequest, "SerializationException", err.Error())
		return
	}
	if err := VerifyRequest(r, body, s.keys, s.region, "ssm", time.Now()); err != nil {
		var se *SigError
		errors.As(err, &se)
		code := se.Code
		if c, ok := jsonCodes[code]; ok {
			code = c
		}
		jsonError(w, http.StatusBadRequest, code, se.Msg)
		return
	}
	if t := r.Header.Get("X-Amz-Target"); t != "AmazonSSM.GetParameters" {
		jsonError(w, http.StatusBadRequest, "UnknownOperationException", "operation "+t+" is not supported by the fake")
		return
	}
	var in struct {
		Names          []string
		WithDecryption bool
	}
	if err := json.Unmarshal(body, &in); err != nil {
		jsonError(w, http.StatusBadRequest, "SerializationException", err.Error())
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fail != nil {
		jsonError(w, http.StatusBadRequest, s.fail.Code, s.fail.Msg)
		return
	}
	if len(in.Names) < 1 || len(in.Names) > 10 {
		jsonError(w, http.StatusBadRequest, "ValidationException",
			fmt.Sprintf("1 validation error detected: Value at 'names' failed to satisfy constraint: Member must have length between 1 and 10 (got %d)", len(in.Names)))
		return
	}
	s.calls = append(s.calls, in.Names)
	type param struct {
		Name             string
		Type             string
		Value            string
		Version          int64
		ARN              string
		DataType         string
		LastModifiedDate float64
	}
	out := struct {
		Parameters        []param
		InvalidParameters []string
	}{Parameters: []param{}, InvalidParameters: []string{}}
	for _, n := range in.Names {
		p, ok := s.params[n]
		if !ok {
			out.InvalidParameters = append(out.InvalidParameters, n)
			continue
		}
		typ, val := "String", p.value
		if p.secure {
			typ = "SecureString"
			if !in.WithDecryption {
				val = base64.StdEncoding.EncodeToString([]byte("encrypted:" + p.value))
			}
		}
		out.Parameters = append(out.Parameters, param{
			Name: n, Type: typ, Value: val, Version: p.version, DataType: "text",
			ARN:              "arn:aws:ssm:" + s.region + ":123456789012:parameter" + n,
			LastModifiedDate: float64(time.Now().Unix()),
		})
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.Header().Set("X-Amzn-RequestId", "fake-request-id")
	_ = json.NewEncoder(w).Encode(out)
}

func jsonError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.Header().Set("X-Amzn-RequestId", "fake-request-id")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"__type": code, "message": msg})
}
