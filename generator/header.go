package generator

import (
	"bytes"
	"strings"
)

// header is what a cheap line scan learns of a document without parsing it.
type header struct {
	apiVersion string
	kind       string
	source     string // Helm 3's `# Source:` comment
	empty      bool   // only comments, blank lines and markers
	sure       bool   // kind and apiVersion found once each, as plain values
}

// scanHeader reads the top-level apiVersion and kind of a block-style
// document from its column-0 lines. Anything unusual (flow style, JSON,
// anchors, tags, quotes with escapes, a key found twice) leaves sure false,
// and the caller parses the document properly.
func scanHeader(raw []byte) header {
	var h header
	h.empty = true
	kinds, versions := 0, 0
	clean := true
	afterValue := false // the previous line was kind: or apiVersion:
	raw = bytes.TrimPrefix(raw, byteOrderMark)
	for len(raw) > 0 {
		var line []byte
		if i := bytes.IndexByte(raw, '\n'); i >= 0 {
			line, raw = raw[:i], raw[i+1:]
		} else {
			line, raw = raw, nil
		}
		line = bytes.TrimRight(line, "\r")
		t := bytes.TrimSpace(line)
		if len(t) == 0 {
			continue
		}
		if t[0] == '#' {
			if h.source == "" && bytes.HasPrefix(line, []byte("# Source: ")) {
				h.source = string(line[len("# Source: "):])
			}
			continue
		}
		if isSeparator(line) && len(t) == 3 || string(t) == "..." {
			continue
		}
		h.empty = false
		if afterValue && (line[0] == ' ' || line[0] == '\t') {
			clean = false // `kind: Deployment` continued on an indented line is "Deployment ..."
		}
		afterValue = false
		switch {
		case bytes.HasPrefix(line, []byte("kind:")):
			kinds++
			h.kind, clean = plainValue(line[len("kind:"):], clean)
			afterValue = true
		case bytes.HasPrefix(line, []byte("apiVersion:")):
			versions++
			h.apiVersion, clean = plainValue(line[len("apiVersion:"):], clean)
			afterValue = true
		case line[0] == '-' && (len(line) == 1 || line[1] == ' '):
			// A list in compact style under a top-level key (`rules:` then
			// `- apiGroups:`): the column-0 keys still say what the
			// document is.
		case line[0] == '{' || line[0] == '[' || line[0] == '%' || line[0] == '!' || line[0] == '&' || line[0] == '-':
			clean = false
		}
	}
	h.sure = clean && kinds == 1 && versions == 1 && h.kind != "" && h.apiVersion != ""
	return h
}

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
