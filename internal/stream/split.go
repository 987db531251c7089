package stream

import (
	"bufio"
	"bytes"
	"errors"
	"io"
)

// Reader splits a YAML stream into raw documents at lines that start with
// the `---` marker. Each document's bytes include its own separator line and
// everything up to the next one, so concatenating them gives back the input
// exactly. A `---` at column 0 always starts a document, even inside what
// looks like a block scalar: YAML forbids document markers in content.
type Reader struct {
	r       *bufio.Reader
	pending []byte // separator line read ahead, starting the next document
	line    []byte
	done    bool
}

func NewReader(r io.Reader) *Reader {
	return &Reader{r: bufio.NewReaderSize(r, 64<<10)}
}

// next returns the next raw document, or io.EOF. The returned slice is only
// valid until the next call.
func (d *Reader) Next(buf []byte) ([]byte, error) {
	buf = append(buf[:0], d.pending...)
	d.pending = d.pending[:0]
	if d.done {
		if len(buf) == 0 {
			return nil, io.EOF
		}
		return buf, nil
	}
	for {
		line, err := d.readLine()
		if len(line) > 0 {
			if IsSeparator(line) && len(buf) > 0 {
				d.pending = append(d.pending, line...)
				return buf, nil
			}
			buf = append(buf, line...)
		}
		if errors.Is(err, io.EOF) {
			d.done = true
			if len(buf) == 0 {
				return nil, io.EOF
			}
			return buf, nil
		}
		if err != nil {
			return nil, err
		}
	}
}

// readLine returns one line with its newline, however long.
func (d *Reader) readLine() ([]byte, error) {
	line, err := d.r.ReadSlice('\n')
	if !errors.Is(err, bufio.ErrBufferFull) {
		return line, err
	}
	d.line = append(d.line[:0], line...)
	for errors.Is(err, bufio.ErrBufferFull) {
		line, err = d.r.ReadSlice('\n')
		d.line = append(d.line, line...)
	}
	return d.line, err
}

// ByteOrderMark is the UTF-8 encoding of U+FEFF, which some editors put at
// the start of a file.
var ByteOrderMark = []byte("\ufeff")

// IsSeparator reports whether line is a `---` document marker, alone or
// followed by a space, a tab or a comment.
func IsSeparator(line []byte) bool {
	if !bytes.HasPrefix(line, []byte("---")) {
		return false
	}
	if len(line) == 3 {
		return true
	}
	switch line[3] {
	case ' ', '\t', '\r', '\n':
		return true
	}
	return false
}

// SplitPreamble splits a raw document into the bytes before its first YAML
// line (the separator, comments and blank lines, such as Helm's `# Source:`)
// and the rest. A separator line that carries content (`--- {a: 1}`) is
// treated as YAML: its marker goes to the body, where the parser expects it.
func SplitPreamble(raw []byte) (preamble, body []byte) {
	// A byte order mark starts the stream, not the YAML: it stays in the
	// preamble, and the separator after it is still a separator.
	start := len(raw) - len(bytes.TrimPrefix(raw, ByteOrderMark))
	i := start
	for i < len(raw) {
		end := bytes.IndexByte(raw[i:], '\n')
		if end < 0 {
			end = len(raw)
		} else {
			end += i + 1
		}
		line := raw[i:end]
		t := bytes.TrimSpace(line)
		switch {
		case bytes.IndexByte(bytes.TrimSuffix(bytes.TrimSuffix(line, []byte("\n")), []byte("\r")), '\r') >= 0:
			// A carriage return alone breaks the line for YAML: what
			// follows it is YAML, not part of a comment.
			return raw[:i], raw[i:]
		case len(t) == 0, t[0] == '#':
		case i == start && IsSeparator(line) && (len(t) == 3 || bytes.TrimSpace(t[3:])[0] == '#'):
		default:
			return raw[:i], raw[i:]
		}
		i = end
	}
	return raw, nil
}
