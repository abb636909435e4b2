// Package source opens the pipeline's input files by name: a local path,
// or an s3://bucket/key object streamed from Amazon S3.
//
// An S3 object is read as a stream, never buffered whole. If the connection
// drops mid-object, the reader asks S3 again for the rest (a ranged GET from
// the byte offset reached, pinned to the object's ETag so that a replaced
// object is an error rather than a silent splice). AWS is contacted only when
// an s3:// name is opened, so local runs never need AWS configuration.
package source

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"

	"github.com/salesstream/salesstream/internal/platform/awsx"
	"github.com/salesstream/salesstream/internal/platform/config"
)

// MaxResumes bounds how many times in a row a read of an S3 object resumes
// after a dropped connection without making progress.
const MaxResumes = 5

// Opener opens input files. The zero value opens local files, and S3
// objects with the default AWS configuration. An Opener must not be copied
// after first use.
type Opener struct {
	// AWS says how to reach S3 (region, role, endpoint); nil means the
	// default AWS configuration. It is loaded on the first s3:// open.
	AWS *awsx.Config
	// S3Options tune the S3 client, after the defaults (path-style
	// addressing when an endpoint override is set).
	S3Options []func(*s3.Options)
	// Logger receives a line for each resumed S3 read; nil means
	// slog.Default().
	Logger *slog.Logger
	// Bucket, if set, is where relative paths are read from: path p
	// opens s3://Bucket/p.
	Bucket string

	mu     sync.Mutex
	client *s3.Client
	cfg    aws.Config
}

// Open returns a reader of the file named by path: a local path or
// s3://bucket/key. The caller closes it. An S3 object is read with ctx: a
// cancelled ctx ends its reads.
func (o *Opener) Open(ctx context.Context, path string) (io.ReadCloser, error) {
	path = o.Resolve(path)
	if strings.HasPrefix(path, "s3://") {
		return o.openS3(ctx, path)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("input file: %w", err)
	}
	return f, nil
}

// Resolve returns the name Open reads for path: path itself, or, with a
// Bucket set and a relative path, its s3:// URL in that bucket.
func (o *Opener) Resolve(path string) string {
	if o.Bucket == "" || strings.HasPrefix(path, "s3://") || filepath.IsAbs(path) {
		return path
	}
	return "s3://" + strings.TrimSuffix(strings.TrimPrefix(o.Bucket, "s3://"), "/") + "/" + strings.TrimPrefix(filepath.ToSlash(filepath.Clean(path)), "./")
}

// Register declares the input settings in s: --data-bucket (the
// reference's kafka_demo_bucket parameter) and the shared AWS settings.
func (o *Opener) Register(s *config.Set) {
	o.AWS = awsx.Settings(s)
	s.String(&o.Bucket, "data-bucket", "", "S3 bucket that relative input paths are read from (optional)",
		config.Env("DATA_BUCKET"), config.Param("kafka_demo_bucket"))
}

// ParseS3URL splits s3://bucket/key into its bucket and key.
func ParseS3URL(u string) (bucket, key string, err error) {
	rest, ok := strings.CutPrefix(u, "s3://")
	if !ok {
		return "", "", fmt.Errorf("%q is not an s3://bucket/key URL", u)
	}
	bucket, key, _ = strings.Cut(rest, "/")
	if bucket == "" || key == "" || strings.HasSuffix(key, "/") {
		return "", "", fmt.Errorf("%q is not an s3://bucket/key URL naming an object", u)
	}
	return bucket, key, nil
}

// s3Client returns the S3 client, creating it on first use.
func (o *Opener) s3Client(ctx context.Context) (*s3.Client, aws.Config, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.client != nil {
		return o.client, o.cfg, nil
	}
	var c awsx.Config
	if o.AWS != nil {
		c = *o.AWS
	}
	cfg, err := c.Load(ctx)
	if err != nil {
		return nil, aws.Config{}, err
	}
	opts := []func(*s3.Options){func(so *s3.Options) {
		so.UsePathStyle = c.EndpointURL != ""
		// Ranged reads never carry a whole-object checksum; do not log
		// each time.
		so.DisableLogOutputChecksumValidationSkipped = true
	}}
	o.client = s3.NewFromConfig(cfg, append(opts, o.S3Options...)...)
	o.cfg = cfg
	return o.client, cfg, nil
}

func (o *Opener) openS3(ctx context.Context, u string) (io.ReadCloser, error) {
	bucket, key, err := ParseS3URL(u)
	if err != nil {
		return nil, err
	}
	op := "read " + u
	client, cfg, err := o.s3Client(ctx)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	if _, err := awsx.CheckCredentials(ctx, cfg); err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	log := o.Logger
	if log == nil {
		log = slog.Default()
	}
	r := &s3Reader{ctx: ctx, client: client, log: log, url: u, bucket: bucket, key: key}
	out, err := client.GetObject(ctx, &s3.GetObjectInput{Bucket: &bucket, Key: &key})
	if err != nil {
		return nil, r.explain(err)
	}
	r.body = out.Body
	r.etag = aws.ToString(out.ETag)
	r.size = -1
	if out.ContentLength != nil {
		r.size = *out.ContentLength
	}
	return r, nil
}

// s3Reader streams one object, resuming after dropped connections.
type s3Reader struct {
	// ctx is the Open call's context; io.Reader has no other way to
	// carry one.
	ctx         context.Context
	client      *s3.Client
	log         *slog.Logger
	url         string
	bucket, key string
	etag        string
	size        int64 // -1 if unknown

	body    io.ReadCloser
	off     int64
	resumes int // consecutive resumes without progress
	closed  bool
}

func (r *s3Reader) Read(p []byte) (int, error) {
	if r.closed {
		return 0, fmt.Errorf("read %s: reader closed", r.url)
	}
	for {
		if r.body == nil {
			if err := r.resume(); err != nil {
				return 0, err
			}
		}
		n, err := r.body.Read(p)
		r.off += int64(n)
		if n > 0 {
			r.resumes = 0
		}
		switch {
		case err == nil:
			return n, nil
		case errors.Is(err, io.EOF) && (r.size < 0 || r.off >= r.size):
			return n, io.EOF
		}
		// The connection dropped (or ended early): resume from r.off.
		if r.ctx.Err() != nil {
			return n, fmt.Errorf("read %s: %w", r.url, r.ctx.Err())
		}
		r.log.Warn("S3 read interrupted; resuming", "url", r.url, "offset", r.off, "size", r.size, "err", err)
		r.body.Close()
		r.body = nil
		if n > 0 {
			return n, nil
		}
	}
}

// resume asks S3 for the bytes from r.off on, of the same object version.
func (r *s3Reader) resume() error {
	r.resumes++
	if r.resumes > MaxResumes {
		return fmt.Errorf("read %s: the connection dropped %d times at byte %d without progress: check the network path to S3",
			r.url, MaxResumes, r.off)
	}
	in := &s3.GetObjectInput{Bucket: &r.bucket, Key: &r.key, Range: aws.String(fmt.Sprintf("bytes=%d-", r.off))}
	if r.etag != "" {
		in.IfMatch = &r.etag
	}
	out, err := r.client.GetObject(r.ctx, in)
	if err != nil {
		return r.explain(err)
	}
	r.body = out.Body
	return nil
}

// explain makes an S3 error say which URL failed and what to check.
func (r *s3Reader) explain(err error) error {
	e := awsx.Explain("read "+r.url, err, "s3:GetObject on arn:aws:s3:::"+r.bucket+"/"+r.key)
	if ae, ok := errors.AsType[smithy.APIError](err); ok {
		switch ae.ErrorCode() {
		case "NoSuchKey":
			e.Hint = "the bucket has no object " + r.key + ": check the path"
		case "NoSuchBucket":
			e.Hint = "there is no bucket " + r.bucket + ": check the bucket name"
		case "AccessDenied":
			e.Hint += " (S3 also answers AccessDenied for a missing object when s3:ListBucket is not granted)"
		case "PreconditionFailed":
			e.Hint = "the object was replaced while it was being read: read it again"
		}
	}
	return e
}

func (r *s3Reader) Close() error {
	if r.closed {
		return nil
	}
	r.closed = true
	if r.body != nil {
		return r.body.Close()
	}
	return nil
}
