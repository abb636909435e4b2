package sales

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"io"
	"strings"
)

// lineReader reads the records of the sales CSV as encoding/csv (with
// LazyQuotes, any number of fields) reads them, a line at a time: a line
// without a quote, nearly every line of the file, is split at the
// separators directly, which costs a fifth of encoding/csv's time; a line
// with a quote is handed to encoding/csv, which may read the lines a
// quoted field spans.
type lineReader struct {
	br     *bufio.Reader
	long   []byte   // a line longer than br's buffer, put together
	lines  int      // lines read from br
	fields []string // the last record's fields, reused
	quoted *quotedLines
}

func newLineReader(r io.Reader) *lineReader {
	return &lineReader{br: bufio.NewReaderSize(r, 64<<10), fields: make([]string, 0, 7)}
}

// read returns the fields of the next record that is not an empty line,
// and the line it starts on. The fields are valid until the next call. A
// bad quoted row's *csv.ParseError counts its lines in the whole file.
func (r *lineReader) read() ([]string, int, error) {
	for {
		raw, err := r.readRaw()
		if err != nil {
			return nil, r.lines + 1, err
		}
		if bytes.IndexByte(raw, '"') >= 0 {
			return r.readQuoted(raw)
		}
		// encoding/csv drops a final "\n" or "\r\n", and a "\r" at the
		// end of the file, and skips empty lines.
		raw = bytes.TrimSuffix(raw, []byte{'\n'})
		raw = bytes.TrimSuffix(raw, []byte{'\r'})
		if len(raw) == 0 {
			continue
		}
		r.fields = splitFields(r.fields[:0], string(raw)) // one allocation for the row, as encoding/csv makes
		return r.fields, r.lines, nil
	}
}

// splitFields appends the Comma-separated fields of line to dst.
func splitFields(dst []string, line string) []string {
	for {
		i := strings.IndexByte(line, Comma)
		if i < 0 {
			return append(dst, line)
		}
		dst = append(dst, line[:i])
		line = line[i+1:]
	}
}

// readRaw returns the next line with its end of line, if it has one (the
// last line may not), valid until the next read. It returns io.EOF only
// when no bytes are left.
func (r *lineReader) readRaw() ([]byte, error) {
	line, err := r.br.ReadSlice('\n')
	if err == bufio.ErrBufferFull {
		r.long = append(r.long[:0], line...)
		for err == bufio.ErrBufferFull {
			line, err = r.br.ReadSlice('\n')
			r.long = append(r.long, line...)
		}
		line = r.long
	}
	if len(line) > 0 && err == io.EOF {
		err = nil
	}
	if err != nil {
		return nil, err
	}
	r.lines++
	return line, nil
}

// quotedLines feeds encoding/csv the lines of the rows that hold a quote.
// It hands out one line per Read, so that the csv.Reader's buffer never
// holds more than the lines of the record it parses: the lines after it
// stay in the lineReader's buffer.
type quotedLines struct {
	r       *lineReader
	cr      *csv.Reader
	buf     []byte
	pending []byte // what is left of the line being handed out
	fed     int    // lines handed to cr
}

// Read implements io.Reader for cr.
func (q *quotedLines) Read(p []byte) (int, error) {
	if len(q.pending) == 0 {
		line, err := q.r.readRaw()
		if err != nil {
			return 0, err
		}
		q.feed(line)
	}
	n := copy(p, q.pending)
	q.pending = q.pending[n:]
	return n, nil
}

func (q *quotedLines) feed(line []byte) {
	q.buf = append(q.buf[:0], line...)
	q.pending = q.buf
	q.fed++
}

// readQuoted reads the record that starts with raw, a line that holds a
// quote, with encoding/csv.
func (r *lineReader) readQuoted(raw []byte) ([]string, int, error) {
	if r.quoted == nil {
		q := &quotedLines{r: r}
		q.cr = csv.NewReader(q)
		q.cr.Comma = Comma
		q.cr.LazyQuotes = true
		q.cr.FieldsPerRecord = -1
		q.cr.ReuseRecord = true
		r.quoted = q
	}
	q := r.quoted
	// cr counts the lines it was fed; the line of raw in the file is
	// r.lines, and raw is cr's line q.fed+1.
	shift := r.lines - (q.fed + 1)
	q.feed(raw)
	rec, err := q.cr.Read()
	if pe := (*csv.ParseError)(nil); errors.As(err, &pe) {
		c := *pe
		c.StartLine += shift
		c.Line += shift
		return nil, c.Line, &c
	}
	if err != nil {
		return nil, r.lines + 1, err
	}
	line, _ := q.cr.FieldPos(0)
	return rec, line + shift, nil
}
