package registryserver

import (
	"compress/gzip"
	"compress/zlib"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// decodeBody undoes the Content-Encoding of r's body, as Apicurio does with
// decompression enabled: Apicurio's own SDKs gzip request bodies by default.
// gzip (also x-gzip), deflate (zlib format) and identity are understood,
// applied in the reverse order of the header; the decoded body is bounded
// by limit, so a small compressed body cannot expand past what an
// uncompressed one may be. Any other encoding is a 415.
func decodeBody(w http.ResponseWriter, r *http.Request, limit int64) *apiError {
	header := r.Header.Values("Content-Encoding")
	if len(header) == 0 {
		return nil
	}
	var codings []string
	for _, h := range header {
		for c := range strings.SplitSeq(h, ",") {
			c = strings.ToLower(strings.TrimSpace(c))
			if c != "" && c != "identity" {
				codings = append(codings, c)
			}
		}
	}
	if len(codings) == 0 {
		r.Header.Del("Content-Encoding")
		return nil
	}
	body := r.Body
	for i := len(codings) - 1; i >= 0; i-- {
		switch codings[i] {
		case "gzip", "x-gzip":
			body = &lazyDecoder{src: body, open: func(src io.Reader) (io.ReadCloser, error) { return gzip.NewReader(src) }, name: "gzip"}
		case "deflate":
			body = &lazyDecoder{src: body, open: zlib.NewReader, name: "deflate"}
		default:
			return newAPIError(http.StatusUnsupportedMediaType, "UnsupportedMediaTypeException",
				"The request body's Content-Encoding %q is not supported: send it uncompressed, gzip or deflate.", codings[i]).withCode(415)
		}
	}
	r.Body = http.MaxBytesReader(w, body, limit)
	r.Header.Del("Content-Encoding")
	r.ContentLength = -1
	return nil
}

// lazyDecoder opens its decompressor on the first read, so that a stream
// with a bad header is reported where the body is read, as a 400.
type lazyDecoder struct {
	src  io.ReadCloser
	open func(io.Reader) (io.ReadCloser, error)
	name string
	dec  io.ReadCloser
	err  error
}

func (d *lazyDecoder) Read(p []byte) (int, error) {
	if d.err != nil {
		return 0, d.err
	}
	if d.dec == nil {
		dec, err := d.open(d.src)
		if err != nil {
			d.err = fmt.Errorf("the body is not valid %s: %w", d.name, err)
			return 0, d.err
		}
		d.dec = dec
	}
	n, err := d.dec.Read(p)
	if err != nil && err != io.EOF {
		err = fmt.Errorf("the body is not valid %s: %w", d.name, err)
		d.err = err
	}
	return n, err
}

func (d *lazyDecoder) Close() error {
	if d.dec != nil {
		_ = d.dec.Close()
	}
	return d.src.Close()
}
