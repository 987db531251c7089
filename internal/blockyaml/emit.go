package blockyaml

import (
	"bytes"
	"encoding/json"
	"strings"
)

// Writing the overlay's own objects (containers, volumes) as block YAML,
// straight from their JSON, for the splice editor: a tenth of the cost of
// yaml.v3's encoder for the same text, and the same bytes: strings are
// written in the style StyleOf picks, which the tree road gives yaml.v3 too
// (styleNodes), and what yaml.v3 writes its own way (double quotes, a list
// right inside a list) is left to yaml.v3 on both roads.

// Emit writes the JSON value data as block YAML at indentation 0, lists
// in compact or indented style. ok false means it met a shape it does not
// write (a list right inside a list), and the caller asks yaml.v3.
func Emit(data []byte, compact bool) (out []byte, ok bool) {
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
			e.out = append(e.out, Spaces(indent)...)
		}
		first = false
		if e.out, ok = appendYAMLKey(e.out, key); !ok {
			return false
		}
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
		e.out, ok = appendYAMLString(e.out, s, indent+2)
		return ok
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
		e.out = append(append(e.out, Spaces(dash)...), '-')
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

func appendYAMLKey(buf []byte, key string) ([]byte, bool) {
	switch KeyStyleOf(key) {
	case Plain:
		return append(buf, key...), true
	case Single:
		return AppendSingleQuoted(buf, key), true
	}
	return buf, false // yaml.v3 writes keys it double-quotes its own way
}

// appendYAMLString writes " value\n" for a string, whose continuation
// lines, if it is a literal block, are indented to column indent. ok false
// means a double-quoted string, which yaml.v3 writes in its own way: the
// caller asks yaml.v3, so both roads write the same bytes.
func appendYAMLString(buf []byte, s string, indent int) ([]byte, bool) {
	switch StyleOf(s) {
	case Plain:
		return append(append(append(buf, ' '), s...), '\n'), true
	case Literal:
		header := " |-\n"
		body := s
		if strings.HasSuffix(s, "\n") {
			header, body = " |\n", s[:len(s)-1]
		}
		buf = append(buf, header...)
		for _, line := range strings.Split(body, "\n") {
			if line != "" {
				buf = append(buf, Spaces(indent)...)
			}
			buf = append(append(buf, line...), '\n')
		}
		return buf, true
	case Single:
		return append(AppendSingleQuoted(append(buf, ' '), s), '\n'), true
	}
	return buf, false
}

// AppendItem appends item, block YAML written at indentation 0, as a list
// item with its dash at column col.
func AppendItem(buf, item []byte, col int) []byte {
	first, rest, _ := bytes.Cut(item, []byte("\n"))
	buf = append(append(append(buf, Spaces(col)...), "- "...), first...)
	if len(rest) == 0 && !bytes.HasSuffix(item, []byte("\n")) {
		return buf
	}
	return Indent(append(buf, '\n'), rest, col+2)
}

// Indent appends text, block YAML written at indentation 0, at column col;
// empty lines (in block scalars) stay empty.
func Indent(buf, text []byte, col int) []byte {
	for len(text) > 0 {
		line := text
		if i := bytes.IndexByte(text, '\n'); i >= 0 {
			line, text = text[:i+1], text[i+1:]
		} else {
			text = nil
		}
		if len(line) > 1 {
			buf = append(buf, Spaces(col)...)
		}
		buf = append(buf, line...)
	}
	return buf
}

// Spaces returns n spaces, without allocating for the usual depths.
func Spaces(n int) string {
	if n <= len(blanks) {
		return blanks[:n]
	}
	return strings.Repeat(" ", n)
}

const blanks = "                                                                " +
	"                                                                "
