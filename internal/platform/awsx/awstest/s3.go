package awstest

import (
	"crypto/md5"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// S3 is a fake Amazon S3 serving GetObject and HeadObject on path-style
// URLs (/bucket/key), with byte ranges, If-Match, and S3's XML errors.
type S3 struct {
	// URL is the endpoint to give the SDK (BaseEndpoint, with
	// UsePathStyle).
	URL string

	region string
	keys   Keys

	mu      sync.Mutex
	buckets map[string]map[string][]byte
	denied  map[string]bool
	drops   []int64
	reqs    []S3Request
}

// S3Request is a request the fake S3 received.
type S3Request struct {
	Method, Bucket, Key string
	// Range and IfMatch are the request's headers.
	Range, IfMatch string
	// Status is the status answered; 0 when the connection was cut.
	Status int
}

// NewS3 starts a fake S3 endpoint of region that accepts requests signed
// with keys; it stops when the test ends.
func NewS3(t testing.TB, region string, keys Keys) *S3 {
	s := &S3{region: region, keys: keys, buckets: map[string]map[string][]byte{}, denied: map[string]bool{}}
	srv := httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(srv.Close)
	s.URL = srv.URL
	return s
}

// Put stores an object, creating its bucket.
func (s *S3) Put(bucket, key string, data []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.buckets[bucket] == nil {
		s.buckets[bucket] = map[string][]byte{}
	}
	s.buckets[bucket][key] = data
}

// Deny answers AccessDenied to every request for bucket.
func (s *S3) Deny(bucket string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.denied[bucket] = true
}

// CutAfter makes the next len(n) object bodies stop after n[i] bytes, the
// connection closed mid-body, as a dropped connection does.
func (s *S3) CutAfter(n ...int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.drops = append(s.drops, n...)
}

// Requests returns the requests received so far.
func (s *S3) Requests() []S3Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]S3Request, len(s.reqs))
	copy(out, s.reqs)
	return out
}

func etag(data []byte) string {
	h := md5.Sum(data)
	return `"` + hex.EncodeToString(h[:]) + `"`
}

func (s *S3) serve(w http.ResponseWriter, r *http.Request) {
	bucket, key, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
	rec := S3Request{Method: r.Method, Bucket: bucket, Key: key, Range: r.Header.Get("Range"), IfMatch: r.Header.Get("If-Match")}
	// Record on arrival, so that Requests lists them in the order sent
	// even when a cut response finishes after the next request arrives.
	s.mu.Lock()
	i := len(s.reqs)
	s.reqs = append(s.reqs, rec)
	s.mu.Unlock()
	status, cut := s.handle(w, r, bucket, key, &rec)
	if cut {
		status = 0
	}
	s.mu.Lock()
	s.reqs[i].Status = status
	s.mu.Unlock()
}

// handle answers one request and returns its status, and whether the body
// was cut short.
func (s *S3) handle(w http.ResponseWriter, r *http.Request, bucket, key string, rec *S3Request) (int, bool) {
	if err := VerifyRequest(r, nil, s.keys, s.region, "s3", time.Now()); err != nil {
		var se *SigError
		errors.As(err, &se)
		status := http.StatusForbidden
		if se.Code == "AuthorizationHeaderMalformed" {
			status = http.StatusBadRequest
		}
		return xmlError(w, status, se.Code, se.Msg, rec), false
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		return xmlError(w, http.StatusMethodNotAllowed, "MethodNotAllowed", "the fake serves GET and HEAD only", rec), false
	}
	s.mu.Lock()
	objs, ok := s.buckets[bucket]
	denied := s.denied[bucket]
	data, found := objs[key]
	s.mu.Unlock()
	switch {
	case denied:
		return xmlError(w, http.StatusForbidden, "AccessDenied", "Access Denied", rec), false
	case !ok:
		return xmlError(w, http.StatusNotFound, "NoSuchBucket", "The specified bucket does not exist", rec), false
	case !found:
		return xmlError(w, http.StatusNotFound, "NoSuchKey", "The specified key does not exist.", rec), false
	}
	tag := etag(data)
	if m := r.Header.Get("If-Match"); m != "" && m != tag {
		return xmlError(w, http.StatusPreconditionFailed, "PreconditionFailed", "At least one of the pre-conditions you specified did not hold", rec), false
	}
	h := w.Header()
	h.Set("ETag", tag)
	h.Set("Accept-Ranges", "bytes")
	h.Set("Content-Type", "text/csv")
	h.Set("Last-Modified", time.Unix(1700000000, 0).UTC().Format(http.TimeFormat))
	h.Set("x-amz-request-id", "fake-request-id")
	status, body := http.StatusOK, data
	if rg := r.Header.Get("Range"); rg != "" {
		from, to, ok := parseRange(rg, int64(len(data)))
		if !ok {
			h.Del("ETag")
			return xmlError(w, http.StatusRequestedRangeNotSatisfiable, "InvalidRange", "The requested range is not satisfiable", rec), false
		}
		status, body = http.StatusPartialContent, data[from:to+1]
		h.Set("Content-Range", fmt.Sprintf("bytes %d-%d/%d", from, to, len(data)))
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	if r.Method == http.MethodHead {
		w.WriteHeader(status)
		return status, false
	}
	s.mu.Lock()
	cutAt := int64(-1)
	if len(s.drops) > 0 {
		cutAt, s.drops = s.drops[0], s.drops[1:]
	}
	s.mu.Unlock()
	if cutAt >= 0 && cutAt < int64(len(body)) {
		cutConn(w, status, body[:cutAt])
		return status, true
	}
	w.WriteHeader(status)
	_, _ = w.Write(body)
	return status, false
}

// cutConn writes the status, the headers already set and part of the body,
// then closes the connection.
func cutConn(w http.ResponseWriter, status int, part []byte) {
	conn, buf, err := http.NewResponseController(w).Hijack()
	if err != nil {
		panic("awstest: cannot hijack the connection: " + err.Error())
	}
	defer conn.Close()
	fmt.Fprintf(buf, "HTTP/1.1 %d %s\r\n", status, http.StatusText(status))
	_ = w.Header().Write(buf)
	_, _ = buf.WriteString("\r\n")
	_, _ = buf.Write(part)
	_ = buf.Flush()
}

// parseRange parses "bytes=from-" or "bytes=from-to" against size.
func parseRange(h string, size int64) (from, to int64, ok bool) {
	spec, ok := strings.CutPrefix(h, "bytes=")
	if !ok {
		return 0, 0, false
	}
	a, b, _ := strings.Cut(spec, "-")
	from, err := strconv.ParseInt(a, 10, 64)
	if err != nil || from < 0 || from >= size {
		return 0, 0, false
	}
	to = size - 1
	if b != "" {
		if to, err = strconv.ParseInt(b, 10, 64); err != nil || to < from {
			return 0, 0, false
		}
		to = min(to, size-1)
	}
	return from, to, true
}

func xmlError(w http.ResponseWriter, status int, code, msg string, rec *S3Request) int {
	w.Header().Set("Content-Type", "application/xml")
	w.Header().Set("x-amz-request-id", "fake-request-id")
	w.WriteHeader(status)
	body := struct {
		XMLName    xml.Name `xml:"Error"`
		Code       string
		Message    string
		Key        string `xml:",omitempty"`
		BucketName string `xml:",omitempty"`
		RequestID  string `xml:"RequestId"`
		HostID     string `xml:"HostId"`
	}{Code: code, Message: msg, Key: rec.Key, BucketName: rec.Bucket, RequestID: "fake-request-id", HostID: "fake-host-id"}
	_, _ = w.Write([]byte(xml.Header))
	_ = xml.NewEncoder(w).Encode(body)
	return status
}
