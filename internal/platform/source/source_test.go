package source

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/salesstream/salesstream/internal/platform/awsx"
	"github.com/salesstream/salesstream/internal/platform/awsx/awstest"
)

const region = "eu-west-1"

func s3Opener(t *testing.T, fake *awstest.S3, keys awstest.Keys) *Opener {
	t.Helper()
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	return &Opener{Logger: slog.New(slog.DiscardHandler), AWS: &awsx.Config{
		Region:      region,
		EndpointURL: fake.URL,
		LoadOptions: []func(*awsconfig.LoadOptions) error{
			awsconfig.WithCredentialsProvider(credentials.NewStaticCredentialsProvider(keys.AccessKeyID, keys.SecretAccessKey, keys.SessionToken)),
			awsconfig.WithRetryMaxAttempts(1),
		},
	}}
}

// csvData returns a CSV of n rows, large enough to span several reads.
func csvData(n int) []byte {
	var b bytes.Buffer
	b.WriteString("payment_id|customer_id|amount|payment_date|city|district|country\n")
	for i := range n {
		fmt.Fprintf(&b, "%d|%d|%d.99|2021-05-10 13:04:06.996577+00|City %d|District|Country\n", 16000+i, i%600, i%12, i)
	}
	return b.Bytes()
}

func TestOpenLocal(t *testing.T) {
	p := filepath.Join(t.TempDir(), "sales.csv")
	if err := os.WriteFile(p, []byte("a|b\n1|2\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	var o Opener // zero value: no AWS configuration needed
	rc, err := o.Open(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	got, _ := io.ReadAll(rc)
	if string(got) != "a|b\n1|2\n" {
		t.Errorf("got %q", got)
	}
	if _, err := o.Open(context.Background(), filepath.Join(t.TempDir(), "missing.csv")); err == nil || !strings.Contains(err.Error(), "missing.csv") {
		t.Errorf("missing file: got %v", err)
	}
	if o.client != nil {
		t.Error("opening local files created an S3 client")
	}
}

// readObject opens uri with o and reads it to the end.
func readObject(t *testing.T, o *Opener, uri string) []byte {
	t.Helper()
	rc, err := o.Open(context.Background(), uri)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	got, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func TestOpenS3(t *testing.T) {
	data := csvData(5000) // about 400 KB
	fake := awstest.NewS3(t, region, awstest.TestKeys())
	fake.Put("demo-bucket", "data/sales 2021.csv", data)
	o := s3Opener(t, fake, awstest.TestKeys())
	got := readObject(t, o, "s3://demo-bucket/data/sales 2021.csv")
	if !bytes.Equal(got, data) {
		t.Fatalf("read %d bytes, want the %d of the object", len(got), len(data))
	}
	reqs := fake.Requests()
	if len(reqs) != 1 || reqs[0].Method != "GET" || reqs[0].Key != "data/sales 2021.csv" || reqs[0].Range != "" {
		t.Errorf("requests %+v, want one plain GET", reqs)
	}
}

// TestOpenS3Resumes cuts the connection mid-object, twice, and checks the
// reader resumes at the byte offset reached, pinned to the object's ETag.
func TestOpenS3Resumes(t *testing.T) {
	data := csvData(5000)
	fake := awstest.NewS3(t, region, awstest.TestKeys())
	fake.Put("b", "sales.csv", data)
	fake.CutAfter(100_000, 50_000)
	o := s3Opener(t, fake, awstest.TestKeys())
	var logs strings.Builder
	o.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	got := readObject(t, o, "s3://b/sales.csv")
	if !bytes.Equal(got, data) {
		t.Fatalf("read %d bytes that differ from the %d of the object", len(got), len(data))
	}
	reqs := fake.Requests()
	if len(reqs) != 3 {
		t.Fatalf("got %d requests, want 3: %+v", len(reqs), reqs)
	}
	if reqs[1].Range != "bytes=100000-" || reqs[2].Range != "bytes=150000-" {
		t.Errorf("resumed with ranges %q and %q, want bytes=100000- and bytes=150000-", reqs[1].Range, reqs[2].Range)
	}
	if reqs[1].IfMatch == "" || reqs[1].IfMatch != reqs[2].IfMatch {
		t.Errorf("resumes not pinned to the ETag: %q, %q", reqs[1].IfMatch, reqs[2].IfMatch)
	}
	if !strings.Contains(logs.String(), "offset=100000") || !strings.Contains(logs.String(), "offset=150000") {
		t.Errorf("the resumes were not logged:\n%s", logs.String())
	}
}

func TestOpenS3ReplacedMidRead(t *testing.T) {
	data := csvData(3000)
	fake := awstest.NewS3(t, region, awstest.TestKeys())
	fake.Put("b", "sales.csv", data)
	fake.CutAfter(10_000)
	o := s3Opener(t, fake, awstest.TestKeys())
	rc, err := o.Open(context.Background(), "s3://b/sales.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	buf := make([]byte, 10_000)
	if _, err := io.ReadFull(rc, buf); err != nil {
		t.Fatal(err)
	}
	fake.Put("b", "sales.csv", csvData(10)) // replaced while being read
	_, err = io.ReadAll(rc)
	if err == nil || !strings.Contains(err.Error(), "replaced") || !strings.Contains(err.Error(), "s3://b/sales.csv") {
		t.Fatalf("got %v, want an error saying the object was replaced", err)
	}
}

func TestOpenS3GivesUp(t *testing.T) {
	fake := awstest.NewS3(t, region, awstest.TestKeys())
	fake.Put("b", "k.csv", csvData(100))
	fake.CutAfter(10, 0, 0, 0, 0, 0, 0)
	o := s3Opener(t, fake, awstest.TestKeys())
	rc, err := o.Open(context.Background(), "s3://b/k.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	_, err = io.ReadAll(rc)
	if err == nil || !strings.Contains(err.Error(), "without progress") {
		t.Fatalf("got %v, want the reader to give up", err)
	}
	if n := len(fake.Requests()); n != 1+MaxResumes {
		t.Errorf("got %d requests, want %d", n, 1+MaxResumes)
	}
}

func TestOpenS3Errors(t *testing.T) {
	fake := awstest.NewS3(t, region, awstest.TestKeys())
	fake.Put("demo-bucket", "sales.csv", []byte("x"))
	fake.Put("locked", "sales.csv", []byte("x"))
	fake.Deny("locked")
	wrongSecret := awstest.TestKeys()
	wrongSecret.SecretAccessKey = "wrong"
	tests := []struct {
		name string
		url  string
		keys awstest.Keys
		kind awsx.Kind
		want []string
	}{
		{"no such key", "s3://demo-bucket/missing.csv", awstest.TestKeys(), awsx.NotFound,
			[]string{"read s3://demo-bucket/missing.csv", "NoSuchKey", "no object missing.csv"}},
		{"no such bucket", "s3://nobucket/sales.csv", awstest.TestKeys(), awsx.NotFound,
			[]string{"read s3://nobucket/sales.csv", "NoSuchBucket", "no bucket nobucket"}},
		{"access denied", "s3://locked/sales.csv", awstest.TestKeys(), awsx.AccessDenied,
			[]string{"read s3://locked/sales.csv", "access denied", "s3:GetObject on arn:aws:s3:::locked/sales.csv"}},
		{"wrong secret", "s3://demo-bucket/sales.csv", wrongSecret, awsx.InvalidCredentials,
			[]string{"read s3://demo-bucket/sales.csv", "SignatureDoesNotMatch", "AWS_SECRET_ACCESS_KEY"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := s3Opener(t, fake, tt.keys).Open(context.Background(), tt.url)
			var ae *awsx.Error
			if !errors.As(err, &ae) || ae.Kind != tt.kind {
				t.Fatalf("got %v, want an *awsx.Error of kind %v", err, tt.kind)
			}
			t.Log(err)
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q:\n%v", w, err)
				}
			}
		})
	}
}

func TestParseS3URL(t *testing.T) {
	tests := []struct {
		in, bucket, key string
		ok              bool
	}{
		{"s3://b/k.csv", "b", "k.csv", true},
		{"s3://b/dir/k.csv", "b", "dir/k.csv", true},
		{"s3://b/", "", "", false},
		{"s3://b", "", "", false},
		{"s3:///k", "", "", false},
		{"s3://b/dir/", "", "", false},
		{"https://b/k", "", "", false},
	}
	for _, tt := range tests {
		b, k, err := ParseS3URL(tt.in)
		if (err == nil) != tt.ok || b != tt.bucket || k != tt.key {
			t.Errorf("ParseS3URL(%q) = %q, %q, %v", tt.in, b, k, err)
		}
	}
}

func TestResolve(t *testing.T) {
	tests := []struct{ bucket, path, want string }{
		{"", "data/sales.csv", "data/sales.csv"},
		{"demo", "data/sales.csv", "s3://demo/data/sales.csv"},
		{"s3://demo/", "./sales.csv", "s3://demo/sales.csv"},
		{"demo", "/abs/sales.csv", "/abs/sales.csv"},
		{"demo", "s3://other/k.csv", "s3://other/k.csv"},
	}
	for _, tt := range tests {
		o := &Opener{Bucket: tt.bucket}
		if got := o.Resolve(tt.path); got != tt.want {
			t.Errorf("Resolve(%q) with bucket %q = %q, want %q", tt.path, tt.bucket, got, tt.want)
		}
	}
}
