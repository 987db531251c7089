package stream

import (
	"bytes"
	"strings"
)

// Header is what a cheap line scan learns of a document without parsing it.
type Header struct {
	APIVersion string
	Kind       string
	Source     string // Helm 3's `# Source:` comment, or Helm 4's filename annotation
	Empty      bool   // only comments, blank lines and markers
	Sure       bool   // kind and apiVersion found once each, as plain values
}

// ScanHeader reads the top-level apiVersion and kind of a block-style
// document from its column-0 lines. Anything unusual (flow style, JSON,
// anchors, tags, quotes with escapes, a key found twice) leaves Sure false,
// and the caller parses the document properly.
//
// Every column-0 line is read, since a key found twice must be seen, but an
// indented line is only looked at when it can change the answer: the first
// content line after kind: or apiVersion: (a plain value continued there is
// not plain any more), the first content line of all (Empty), and a line
// holding Helm 4's filename annotation while no source is known. The rest,
// nearly all of a large CustomResourceDefinition, costs one search for the
// line's end. A Reader scans each document's header the same way as it
// looks for the document's end (Reader.Header).
func ScanHeader(raw []byte) Header {
	raw = bytes.TrimPrefix(raw, ByteOrderMark)
	hs := newHeaderScan()
	for start := 0; start < len(raw); {
		if start = hs.skip(raw, start); start >= len(raw) {
			break
		}
		end := len(raw)
		if i := bytes.IndexByte(raw[start:], '\n'); i >= 0 {
			end = start + i
		}
		hs.line(raw[start:end])
		start = end + 1
	}
	return hs.result()
}

// headerScan is ScanHeader's reading of a document, a line at a time.
type headerScan struct {
	h               Header
	kinds, versions int
	clean           bool
	afterValue      bool // the previous line was kind: or apiVersion:
	// helm4At is where Helm 4's annotation next occurs at or after a line
	// skipped (len of the bytes when it does not, -1 when not looked for
	// yet): only the line holding it needs reading for the source. It is
	// looked for only while no source is known, which for Helm 3's
	// documents is never.
	helm4At int
}

func newHeaderScan() headerScan {
	return headerScan{h: Header{Empty: true}, clean: true, helm4At: -1}
}

// skip returns where the first line at or after start in b begins that the
// scan must read: indented lines that cannot change the answer are
// skipped, up to the line holding Helm 4's annotation while no source is
// known. A last line without a newline is never skipped.
func (hs *headerScan) skip(b []byte, start int) int {
	if hs.afterValue || hs.h.Empty {
		return start
	}
	stop := len(b)
	if hs.h.Source == "" {
		if hs.helm4At < start {
			hs.helm4At = indexFrom(b, helm4Filename, start)
		}
		stop = hs.helm4At
	}
	return skipIndented(b, start, stop)
}

// line reads one line, without its newline.
func (hs *headerScan) line(line []byte) {
	h := &hs.h
	line = bytes.TrimRight(line, "\r")
	t := bytes.TrimSpace(line)
	if len(t) == 0 {
		return
	}
	if t[0] == '#' {
		if h.Source == "" && bytes.HasPrefix(line, []byte("# Source: ")) {
			h.Source = string(line[len("# Source: "):])
		}
		return
	}
	if IsSeparator(line) && len(t) == 3 || string(t) == "..." {
		return
	}
	h.Empty = false
	if h.Source == "" && bytes.HasPrefix(t, helm4Filename) {
		// Helm 4 sends no `# Source:` comments, but this annotation.
		h.Source, _ = plainValue(t[len(helm4Filename):], true)
	}
	if hs.afterValue && (line[0] == ' ' || line[0] == '\t') {
		hs.clean = false // `kind: Deployment` continued on an indented line is "Deployment ..."
	}
	hs.afterValue = false
	switch {
	case bytes.HasPrefix(line, []byte("kind:")):
		hs.kinds++
		h.Kind, hs.clean = plainValue(line[len("kind:"):], hs.clean)
		hs.afterValue = true
	case bytes.HasPrefix(line, []byte("apiVersion:")):
		hs.versions++
		h.APIVersion, hs.clean = plainValue(line[len("apiVersion:"):], hs.clean)
		hs.afterValue = true
	case line[0] == '-' && (len(line) == 1 || line[1] == ' '):
		// A list in compact style under a top-level key (`rules:` then
		// `- apiGroups:`): the column-0 keys still say what the
		// document is.
	case line[0] == '{' || line[0] == '[' || line[0] == '%' || line[0] == '!' || line[0] == '&' || line[0] == '-':
		hs.clean = false
	}
}

// result is the header of the lines read.
func (hs *headerScan) result() Header {
	h := hs.h
	h.Sure = hs.clean && hs.kinds == 1 && hs.versions == 1 && h.Kind != "" && h.APIVersion != ""
	return h
}

// skipIndented returns where the first line at or after start begins that
// is not indented, or that holds stop, or that has no newline. It is a
// function of its own so that its loop, which runs once for nearly every
// line of a large document, keeps its variables in registers.
//
//go:noinline
func skipIndented(raw []byte, start, stop int) int {
	for start < len(raw) && (raw[start] == ' ' || raw[start] == '\t') {
		i := bytes.IndexByte(raw[start:], '\n')
		if i < 0 || start+i > stop {
			break
		}
		start += i + 1
	}
	return start
}

// indexFrom returns the index of the first sep in s at or after from, or
// len(s) when there is none.
func indexFrom(s, sep []byte, from int) int {
	if from < len(s) {
		if i := bytes.Index(s[from:], sep); i >= 0 {
			return from + i
		}
	}
	return len(s)
}

// helm4Filename is the annotation by which Helm 4 tells a post-renderer
// which template file a document came from.
var helm4Filename = []byte("postrenderer.helm.sh/postrender-filename:")

// plainValue extracts a simple scalar (letters, digits, . / - _) after a
// key, with optional quotes and a trailing comment.
func plainValue(v []byte, clean bool) (string, bool) {
	s := strings.TrimSpace(string(v))
	if i := strings.Index(s, " #"); i >= 0 {
		s = strings.TrimSpace(s[:i])
	}
	if len(s) >= 2 && (s[0] == '"' && s[len(s)-1] == '"' || s[0] == '\'' && s[len(s)-1] == '\'') {
		s = s[1 : len(s)-1]
	}
	for _, r := range s {
		ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("./-_", r)
		if !ok {
			return s, false
		}
	}
	return s, clean
}
