package registryserver

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// quietLogger drops logs below errors so test output stays readable.
func quietLogger() *slog.Logger {
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

func newTestServer(t testing.TB, opts ...Option) *Server {
	t.Helper()
	s, err := New(context.Background(), append([]Option{WithLogger(quietLogger())}, opts...)...)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// call sends one request to h; headers are name, value pairs.
func call(h http.Handler, method, path, body string, headers ...string) *httptest.ResponseRecorder {
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req := httptest.NewRequest(method, "http://registry.test"+path, rd)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

// mustCall is call that fails the test unless the status is want; it
// decodes a JSON answer into out when out is not nil.
func mustCall(t testing.TB, h http.Handler, want int, out any, method, path, body string, headers ...string) *httptest.ResponseRecorder {
	t.Helper()
	rec := call(h, method, path, body, headers...)
	if rec.Code != want {
		t.Fatalf("%s %s: status %d, want %d; body: %s", method, path, rec.Code, want, rec.Body.String())
	}
	if out != nil {
		if err := json.Unmarshal(rec.Body.Bytes(), out); err != nil {
			t.Fatalf("%s %s: decode %q: %v", method, path, rec.Body.String(), err)
		}
	}
	return rec
}

// jsonString quotes s as a JSON string.
func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// v3Create returns a v3 CreateArtifact body with a first version.
func v3Create(artifactID, artifactType, content string) string {
	return `{"artifactId":` + jsonString(artifactID) + `,"artifactType":"` + artifactType +
		`","firstVersion":{"content":{"content":` + jsonString(content) + `,"contentType":"application/json"}}}`
}

// v3VersionBody returns a v3 CreateVersion body.
func v3VersionBody(content string) string {
	return `{"content":{"content":` + jsonString(content) + `,"contentType":"application/json"}}`
}

// ccBody returns a ccompat RegisterSchemaRequest body.
func ccBody(schema string) string { return `{"schema":` + jsonString(schema) + `}` }

// Avro schemas used across the tests: a sale record and its evolutions.
const (
	saleV1 = `{"type":"record","name":"Sale","namespace":"salesstream","fields":[
		{"name":"payment_id","type":"int"},{"name":"amount","type":"string"}]}`
	// saleV1Spaced is saleV1 with other whitespace and key order.
	saleV1Spaced = `{ "namespace" : "salesstream", "name": "Sale", "type": "record",
		"fields": [ {"type": "int", "name": "payment_id"}, {"name": "amount", "type": "string"} ] }`
	// saleAddOptional adds a field with a default: backward and forward compatible.
	saleAddOptional = `{"type":"record","name":"Sale","namespace":"salesstream","fields":[
		{"name":"payment_id","type":"int"},{"name":"amount","type":"string"},
		{"name":"city","type":["null","string"],"default":null}]}`
	// saleAddRequired adds a field without a default: forward compatible only.
	saleAddRequired = `{"type":"record","name":"Sale","namespace":"salesstream","fields":[
		{"name":"payment_id","type":"int"},{"name":"amount","type":"string"},
		{"name":"country","type":"string"}]}`
	// saleDropAmount removes a field without a default: backward compatible only.
	saleDropAmount = `{"type":"record","name":"Sale","namespace":"salesstream","fields":[
		{"name":"payment_id","type":"int"}]}`
	// saleAmountInt changes a type incompatibly both ways.
	saleAmountInt = `{"type":"record","name":"Sale","namespace":"salesstream","fields":[
		{"name":"payment_id","type":"int"},{"name":"amount","type":"int"}]}`
	regionV1 = `{"type":"record","name":"Region","fields":[{"name":"country","type":"string"},{"name":"region","type":"string"}]}`
)
