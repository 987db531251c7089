package stream

import (
	"bytes"
	"errors"
	"io"
	"slices"
)

// Reader splits a YAML stream into raw documents at lines that start with
// the `---` marker. Each document's bytes include its own separator line and
// everything up to the next one, so concatenating them gives back the input
// exactly. A `---` at column 0 always starts a document, even inside what
// looks like a block scalar: YAML forbids document markers in content.
//
// The Reader reads in blocks of ReadBlock bytes into a buffer of its own,
// which grows to hold the largest document, and returns each document from
// it: nothing is copied a line at a time. It walks each document's lines
// once, to find where the document ends and to scan its header (Header).
// A Reader made by NewSpoolReader hands its full buffers to a Spool instead
// of reusing them, so the documents it reads are held without being
// copied.
type Reader struct {
	r          io.Reader
	buf        []byte
	start, end int // buf[start:end] is read and not yet returned
	scan       int // the line where the walk goes on
	eof        bool
	err        error // a read error, returned once the bytes before it are

	spool *Spool // where the documents are kept, if anywhere
	base  int64  // the spool offset of buf[0]
	last  int64  // the spool offset of the last document returned

	hs     headerScan // of the document from start, up to scan
	header Header     // of the last document returned
}

// ReadBlock is how much a Reader asks its source for at once.
const ReadBlock = 256 << 10

// spoolBuffer is the size the buffers a spooling Reader fills and hands to
// its Spool grow to (see bigBuffer): documents up to about this size need
// no bigger one, and the 4.5 MB of a CRD-only chart fit in one or two.
const spoolBuffer = 4 << 20

// NewReader returns a Reader of the documents of r.
func NewReader(r io.Reader) *Reader {
	return &Reader{r: r, hs: newHeaderScan()}
}

// NewSpoolReader returns a Reader of the documents of r that keeps each of
// them in s, which must be empty and written by nothing else, as it reads:
// the bytes are read into buffers that become s's memory (or, past its
// limit, are written to its file), so they are never copied. Offset tells
// where a document is in s; once Next has returned io.EOF, s holds the
// whole stream.
func NewSpoolReader(r io.Reader, s *Spool) *Reader {
	// The first buffer is an ordinary one: a small stream fits in it, and
	// a huge page would cost it more than it saves.
	return &Reader{r: r, spool: s, buf: make([]byte, 0, ReadBlock), hs: newHeaderScan()}
}

// Offset returns where the last document returned starts in the Spool of a
// Reader made by NewSpoolReader.
func (d *Reader) Offset() int64 { return d.last }

// Header returns ScanHeader's reading of the last document returned: the
// Reader scans it while it looks for the document's end, so the lines are
// walked once.
func (d *Reader) Header() Header { return d.header }

// Next returns the next raw document, or io.EOF after the last one. The
// returned slice, the Reader's own buffer, is only valid until the next
// call.
func (d *Reader) Next() ([]byte, error) {
	for {
		if at, ok := d.separator(); ok {
			return d.take(at), nil
		}
		if d.err != nil {
			return nil, d.err
		}
		if d.eof {
			if d.start < d.end {
				return d.take(d.end), nil
			}
			if d.release(); d.err != nil {
				return nil, d.err
			}
			return nil, io.EOF
		}
		d.fill()
	}
}

// take returns the document from d.start to at.
func (d *Reader) take(at int) []byte {
	doc := d.buf[d.start:at]
	d.last = d.base + int64(d.start)
	d.header = d.hs.result()
	d.hs = newHeaderScan()
	d.start, d.scan = at, at
	return doc
}

// separator reads the lines from d.scan on, scanning the header of the
// document that starts at d.start, up to the next line that is a document
// marker, and returns where that starts. It returns false when the buffer
// ends first (or in a line it cannot tell yet), having remembered where to
// go on. Looking at line starts is what the header scan does anyway: most
// lines of a large document cost one search for their end.
func (d *Reader) separator() (int, bool) {
	buf := d.buf[:d.end]
	i := d.scan
	if d.base == 0 && i == 0 {
		// A byte order mark starts the stream, not its first line.
		if len(buf) < len(ByteOrderMark) && !d.eof {
			return 0, false
		}
		if bytes.HasPrefix(buf, ByteOrderMark) {
			i = len(ByteOrderMark)
		}
	}
	for i < len(buf) {
		if i = d.hs.skip(buf, i); i >= len(buf) {
			break
		}
		if i > d.start && buf[i-1] == '\n' && buf[i] == '-' {
			switch {
			case i+3 < len(buf):
				if buf[i+1] == '-' && buf[i+2] == '-' && isMarkerEnd(buf[i+3]) {
					return i, true
				}
			case !d.eof:
				d.scan = i // too few bytes to tell yet
				return 0, false
			case string(buf[i:]) == "---":
				return i, true // the last line, without a newline
			}
		}
		end := bytes.IndexByte(buf[i:], '\n')
		if end < 0 {
			if !d.eof {
				break // the line is not all here yet
			}
			end = len(buf) - i
		}
		d.hs.line(buf[i : i+end])
		i += end + 1
	}
	d.scan = min(i, len(buf))
	return 0, false
}

// isMarkerEnd reports whether c, after `---`, ends a document marker.
func isMarkerEnd(c byte) bool {
	return c == ' ' || c == '\t' || c == '\r' || c == '\n'
}

// fill reads the next block. It first lets go of the documents returned
// (a spooling Reader only once its buffer is nearly full, so that the
// Spool gets large blocks), and grows the buffer when what is left of a
// document fills most of it.
func (d *Reader) fill() {
	low := cap(d.buf)-d.end < ReadBlock/2
	if d.start > 0 && (d.spool == nil || low) {
		if d.release(); d.err != nil {
			return
		}
		low = cap(d.buf)-d.end < ReadBlock/2
	}
	if low && d.spool != nil {
		// A document larger than the buffer: a large stream, which
		// huge pages serve best (see bigBuffer).
		d.buf = append(bigBuffer(max(spoolBuffer, 2*cap(d.buf))), d.buf[:d.end]...)
	} else if low {
		d.buf = slices.Grow(d.buf[:d.end], max(ReadBlock, d.end))
	}
	d.buf = d.buf[:cap(d.buf)]
	d.hs.helm4At = -1 // the annotation may be in what comes
	for empty := 0; empty < 100; empty++ {
		n, err := d.r.Read(d.buf[d.end:])
		d.end += n
		switch {
		case errors.Is(err, io.EOF):
			d.eof = true
			return
		case err != nil:
			d.err = err
			return
		case n > 0:
			return
		}
	}
	d.err = io.ErrNoProgress
}

// release lets go of the documents returned, buf[:start], and moves what
// is left to the front of the buffer. A spooling Reader hands them to its
// Spool first; when the Spool keeps the memory, the rest goes to a new
// buffer.
func (d *Reader) release() {
	kept := false
	if d.spool != nil && d.start > 0 {
		var err error
		if kept, err = d.spool.adopt(d.buf[:d.start:d.start]); err != nil {
			d.err = err
			return
		}
	}
	rest := d.buf[d.start:d.end]
	if kept {
		d.buf = bigBuffer(max(min(2*cap(d.buf), spoolBuffer), 2*len(rest)))
	}
	n := copy(d.buf[:cap(d.buf)], rest)
	d.base += int64(d.start)
	d.scan -= d.start
	d.start, d.end = 0, n
	d.hs.helm4At = -1 // a position in the old buffer
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
	return len(line) == 3 || isMarkerEnd(line[3])
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
