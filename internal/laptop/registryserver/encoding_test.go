package registryserver

import (
	"bytes"
	"compress/gzip"
	"compress/zlib"
	"io"
	"strings"
	"testing"
)

// compressed returns s written through the compressor that newWriter makes.
func compressed(t *testing.T, s string, newWriter func(io.Writer) io.WriteCloser) string {
	t.Helper()
	var b bytes.Buffer
	w := newWriter(&b)
	if _, err := w.Write([]byte(s)); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func gzipped(t *testing.T, s string) string {
	t.Helper()
	return compressed(t, s, func(w io.Writer) io.WriteCloser { return gzip.NewWriter(w) })
}

func deflated(t *testing.T, s string) string {
	t.Helper()
	return compressed(t, s, func(w io.Writer) io.WriteCloser { return zlib.NewWriter(w) })
}

// TestCompressedRequestBodies: Apicurio's SDKs gzip request bodies; the
// registry reads gzip and deflate bodies as Apicurio does, bounds what they
// expand to, and refuses encodings it does not know with the API's error
// body.
func TestCompressedRequestBodies(t *testing.T) {
	create := v3Create("a", "AVRO", saleV1)
	// Valid JSON that expands far past the 2 KiB limit below.
	bomb := `{"artifactId":"b"` + strings.Repeat(" ", 64<<10) + `}`
	tests := []struct {
		name     string
		path     string
		body     string
		encoding string
		status   int
		inBody   string
	}{
		{"gzip v3", prefixV3 + "/groups/default/artifacts", gzipped(t, create), "gzip", 200, `"globalId":1`},
		{"x-gzip", prefixV3 + "/groups/default/artifacts", gzipped(t, create), "x-gzip", 200, `"globalId":1`},
		{"deflate", prefixV3 + "/groups/default/artifacts", deflated(t, create), "deflate", 200, `"globalId":1`},
		{"identity", prefixV3 + "/groups/default/artifacts", create, "identity", 200, `"globalId":1`},
		{"gzip then identity", prefixV3 + "/groups/default/artifacts", gzipped(t, create), "gzip, identity", 200, `"globalId":1`},
		{"deflate over gzip", prefixV3 + "/groups/default/artifacts", deflated(t, gzipped(t, create)), "gzip, deflate", 200, `"globalId":1`},
		{"gzip ccompat", prefixCcompat + "/subjects/s/versions", gzipped(t, ccBody(saleV1)), "gzip", 200, `"id":1`},
		{"unknown encoding", prefixV3 + "/groups/default/artifacts", create, "br", 415, `"status":415`},
		{"unknown encoding ccompat", prefixCcompat + "/subjects/s/versions", ccBody(saleV1), "compress", 415, `"error_code":415`},
		{"not gzip", prefixV3 + "/groups/default/artifacts", create, "gzip", 400, "not valid gzip"},
		{"truncated gzip", prefixV3 + "/groups/default/artifacts", gzipped(t, create)[:20], "gzip", 400, "not valid gzip"},
		{"expands past the limit", prefixV3 + "/groups/default/artifacts", gzipped(t, bomb), "gzip", 413, "larger than the limit"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newTestServer(t, WithMaxBodyBytes(2<<10))
			rec := call(s.Handler(), "POST", tt.path, tt.body, "Content-Encoding", tt.encoding)
			if rec.Code != tt.status || !strings.Contains(rec.Body.String(), tt.inBody) {
				t.Fatalf("status %d, body %s; want %d with %q", rec.Code, rec.Body.String(), tt.status, tt.inBody)
			}
		})
	}
}
