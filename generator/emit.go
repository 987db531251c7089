package generator

import (
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf8"
)

// Writing the overlay's own objects (containers, volumes) as block YAML,
// straight from their JSON, for the splice editor: a tenth of the cost of
// yaml.v3's encoder for the same text. Strings are written plain when that
// surely reads back as the same string, as literal blocks when they span
// lines, else quoted.

// emitYAML writes the JSON value data as block YAML at indentation 0, lists
// in compact or indented style. ok false means it met a shape it does not
// write (a list right inside a list), and the caller asks yaml.v3.
func emitYAML(data []byte, compact bool) (out []byte, ok bool) {
	e := emitter{data: data, compact: compact}
	e.skip()
	switch e.peek() {
	case '{':
		if !e.object(0, false) {
			return nil, false
		}
	default:
		return nil, false
	}
	return e.out, true
}

type emitter struct {
	data    []byte
	i       int
	out     []byte
	compact bool
}

func (e *emitter) peek() byte {
	if e.i < len(e.data) {
		return e.data[e.i]
	}
	return 0
}

func (e *emitter) skip() {
	for e.i < len(e.data) && (e.data[e.i] == ' ' || e.data[e.i] == '\n' || e.data[e.i] == '\t' || e.data[e.i] == '\r') {
		e.i++
	}
}

// object writes the object at e.i, its keys at column indent. inItem says
// the first key goes right after a list dash, already written.
func (e *emitter) object(indent int, inItem bool) bool {
	e.i++ // {
	e.skip()
	if e.peek() == '}' {
		e.i++
		e.out = append(e.out, "{}\n"...)
		return true
	}
	first := true
	for {
		e.skip()
		key, ok := e.str()
		if !ok || len(key) > 512 {
			return false // YAML limits implicit keys to 1024 characters
		}
		e.skip()
		e.i++ // :
		e.skip()
		if !first || !inItem {
			e.out = append(e.out, spaces(indent)...)
		}
		first = false
		e.out = appendYAMLKey(e.out, key)
		e.out = append(e.out, ':')
		if !e.value(indent) {
			return false
		}
		e.skip()
		if e.peek() == ',' {
			e.i++
			continue
		}
		e.i++ // }
		return true
	}
}

// value writes the value at e.i after a key at column indent and its colon.
func (e *emitter) value(indent int) bool {
	switch e.peek() {
	case '{':
		if e.empty('}') {
			e.out = append(e.out, " {}\n"...)
			return true
		}
		e.out = append(e.out, '\n')
		return e.object(indent+2, false)
	case '[':
		if e.empty(']') {
			e.out = append(e.out, " []\n"...)
			return true
		}
		e.out = append(e.out, '\n')
		dash := indent
		if !e.compact {
			dash += 2
		}
		return e.array(dash)
	case '"':
		s, ok := e.str()
		if !ok {
			return false
		}
		e.out = appendYAMLString(e.out, s, indent+2)
		return true
	default:
		start := e.i
		for e.i < len(e.data) && !strings.ContainsRune(",}] \n", rune(e.data[e.i])) {
			e.i++
		}
		e.out = append(append(append(e.out, ' '), e.data[start:e.i]...), '\n')
		return true
	}
}

// empty reports whether the collection at e.i is empty, and moves past it
// if so.
func (e *emitter) empty(close byte) bool {
	j := e.i + 1
	for j < len(e.data) && (e.data[j] == ' ' || e.data[j] == '\n') {
		j++
	}
	if j < len(e.data) && e.data[j] == close {
		e.i = j + 1
		return true
	}
	return false
}

// array writes the non-empty array at e.i with its dashes at column dash.
func (e *emitter) array(dash int) bool {
	e.i++ // [
	for {
		e.skip()
		e.out = append(append(e.out, spaces(dash)...), '-')
		switch e.peek() {
		case '{':
			if e.empty('}') {
				e.out = append(e.out, " {}\n"...)
				break
			}
			e.out = append(e.out, ' ')
			if !e.object(dash+2, true) {
				return false
			}
		case '[':
			return false
		default:
			if !e.value(dash) {
				return false
			}
		}
		e.skip()
		if e.peek() == ',' {
			e.i++
			continue
		}
		e.i++ // ]
		return true
	}
}

// str reads the JSON string at e.i.
func (e *emitter) str() (string, bool) {
	if e.peek() != '"' {
		return "", false
	}
	start := e.i
	escaped := false
	for e.i++; e.i < len(e.data); e.i++ {
		switch e.data[e.i] {
		case '\\':
			escaped = true
			e.i++
		case '"':
			e.i++
			raw := e.data[start:e.i]
			if !escaped {
				return string(raw[1 : len(raw)-1]), true
			}
			var s string
			if json.Unmarshal(raw, &s) != nil {
				return "", false
			}
			return s, true
		}
	}
	return "", false
}

func appendYAMLKey(buf []byte, key string) []byte {
	if plainStringValue(key) {
		return append(buf, key...)
	}
	return appendQuoted(buf, key)
}

// appendYAMLString writes " value\n" for a string, whose continuation
// lines, if it is a literal block, are indented to column indent.
func appendYAMLString(buf []byte, s string, indent int) []byte {
	switch {
	case plainStringValue(s):
		return append(append(append(buf, ' '), s...), '\n')
	case literalOK(s):
		header := " |-\n"
		body := s
		if strings.HasSuffix(s, "\n") {
			header, body = " |\n", s[:len(s)-1]
		}
		buf = append(buf, header...)
		for _, line := range strings.Split(body, "\n") {
			if line != "" {
				buf = append(buf, spaces(indent)...)
			}
			buf = append(append(buf, line...), '\n')
		}
		return buf
	}
	return append(appendQuoted(append(buf, ' '), s), '\n')
}

// appendQuoted writes s single-quoted when it is printable ASCII on one
// line, else double-quoted as JSON writes it (JSON's escapes are YAML's).
func appendQuoted(buf []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if s[i] < ' ' || s[i] > '~' {
			return appendDoubleQuoted(buf, s)
		}
	}
	return append(append(append(buf, '\''), strings.ReplaceAll(s, "'", "''")...), '\'')
}

// appendDoubleQuoted writes s double-quoted, escaping what YAML does not
// allow as it is, or reads as a line break.
func appendDoubleQuoted(buf []byte, s string) []byte {
	buf = append(buf, '"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			buf = append(buf, '\\', byte(r))
		case r == '\n':
			buf = append(buf, `\n`...)
		case r == '\t':
			buf = append(buf, `\t`...)
		case !yamlPrintable(r) || r == 0x85 || r == 0x2028 || r == 0x2029 || r == 0xfeff:
			buf = fmt.Appendf(buf, `\u%04x`, r)
		default:
			buf = utf8.AppendRune(buf, r)
		}
	}
	return append(buf, '"')
}

// plainValue reports whether s, written plain, surely reads back as the
// string s: printable ASCII, no indicator first, no `: ` or ` #`, and a
// start that makes it no number, boolean or null.
func plainStringValue(s string) bool {
	if s == "" || s[0] == ' ' || s[len(s)-1] == ' ' || s[len(s)-1] == ':' ||
		strings.Contains(s, ": ") || strings.Contains(s, " #") {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < ' ' || s[i] > '~' {
			return false
		}
	}
	switch strings.ToLower(s) {
	case "y", "n", "yes", "no", "on", "off":
		return false // booleans in YAML 1.1
	}
	b := []byte(s)
	if s[0] == '-' && len(s) > 1 && (s[1] >= 'a' && s[1] <= 'z' || s[1] >= 'A' && s[1] <= 'Z') {
		return true // -c, --flag
	}
	return plainString(b) || quantityString(b)
}

// literalOK reports whether s can be a literal block scalar that reads
// back exactly: several lines, printable, no blank first or last on a
// line (first only on the first), at most one final line break.
func literalOK(s string) bool {
	if !strings.Contains(s, "\n") || strings.HasSuffix(s, "\n\n") || strings.HasPrefix(s, "\n") {
		return false
	}
	if s[0] == ' ' || s[0] == '\t' {
		return false // the block would need an indentation indicator
	}
	if strings.ContainsAny(s, "\u0085\u2028\u2029\ufeff") {
		return false // line breaks to YAML 1.1, or a byte order mark
	}
	for _, line := range strings.Split(strings.TrimSuffix(s, "\n"), "\n") {
		if line != "" && (line[len(line)-1] == ' ' || line[len(line)-1] == '\t') {
			return false
		}
		for _, r := range line {
			if r != '\t' && !yamlPrintable(r) {
				return false
			}
		}
	}
	return true
}

// yamlPrintable reports whether YAML allows r as it is in a scalar.
func yamlPrintable(r rune) bool {
	switch {
	case r < ' ', r == 0x7f, r >= 0x80 && r < 0xa0 && r != 0x85,
		r >= 0xd800 && r <= 0xdfff, r == 0xfffe, r == 0xffff:
		return false
	}
	return true
}
