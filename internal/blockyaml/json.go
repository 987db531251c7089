package blockyaml

import (
	"bytes"
	"strconv"
)

// Reading indexed YAML as JSON, the way decodeNode reads yaml.v3 trees, but
// without building one: a plain scalar is resolved by a cautious subset of
// yaml.v3's rules, and whatever falls outside it (block scalars, escapes,
// octal or hexadecimal numbers, timestamps, merge keys) makes the writer
// give up, and the caller asks yaml.v3.

// appendJSON appends node n as JSON. ok false means "ask yaml.v3".
func (d *Doc) appendJSON(buf []byte, n int32) ([]byte, bool) {
	v := d.nodes[n]
	b := d.body
	switch v.kind {
	case bNull:
		return append(buf, "null"...), true
	case bMap:
		buf = append(buf, '{')
		for c := v.first; c >= 0; c = d.nodes[c].next {
			if c != v.first {
				buf = append(buf, ',')
			}
			var ok bool
			if buf, ok = d.appendKey(buf, c); !ok {
				return buf, false
			}
			if buf, ok = d.appendJSON(buf, c); !ok {
				return buf, false
			}
		}
		return append(buf, '}'), true
	case bSeq:
		buf = append(buf, '[')
		for c := v.first; c >= 0; c = d.nodes[c].next {
			if c != v.first {
				buf = append(buf, ',')
			}
			var ok bool
			if buf, ok = d.appendJSON(buf, c); !ok {
				return buf, false
			}
		}
		return append(buf, ']'), true
	case bScalar:
		s := b[v.from:v.to]
		switch v.quote {
		case 0:
			return appendPlainJSON(buf, s)
		case '\'':
			if bytes.Contains(s, []byte("''")) {
				s = bytes.ReplaceAll(s, []byte("''"), []byte("'"))
			}
			return AppendJSONString(buf, s), true
		case '"':
			if bytes.IndexByte(s, '\\') >= 0 {
				return buf, false
			}
			return AppendJSONString(buf, s), true
		case '[', '{':
			end, ok := flowJSON(b, v.from, v.to, 0, &buf)
			return buf, ok && end == v.to
		}
	}
	return buf, false // block scalars
}

// appendKey appends the key of entry c and a colon; keys must read as
// strings.
func (d *Doc) appendKey(buf []byte, c int32) ([]byte, bool) {
	k := d.nodes[c].key
	key := d.body[k.from:k.to]
	if !plainString(key) && !d.quotedKey(c) {
		return buf, false
	}
	return append(AppendJSONString(buf, key), ':'), true
}

// quotedKey reports whether the key of entry c was written in quotes.
func (d *Doc) quotedKey(c int32) bool {
	k := d.nodes[c].key
	return k.from > 0 && (d.body[k.from-1] == '"' || d.body[k.from-1] == '\'')
}

// appendPlainJSON appends a plain scalar as the JSON value yaml.v3 resolves
// it to, when it is sure to know it.
func appendPlainJSON(buf, s []byte) ([]byte, bool) {
	if nullWord(s) {
		return append(buf, "null"...), true
	}
	switch string(s) {
	case "true", "True", "TRUE":
		return append(buf, "true"...), true
	case "false", "False", "FALSE":
		return append(buf, "false"...), true
	}
	switch {
	case plainString(s):
		return AppendJSONString(buf, s), true
	case jsonNumber(s):
		return append(buf, s...), true
	case len(s) > 1 && len(s) < 12 && s[0] == '0' && octalDigits(s[1:]):
		// 0440: octal in yaml.v3 as in YAML 1.1, and common as a defaultMode
		n, _ := strconv.ParseInt(string(s[1:]), 8, 64)
		return strconv.AppendInt(buf, n, 10), true
	case quantityString(s), digitLedString(s):
		return AppendJSONString(buf, s), true
	}
	return buf, false
}

// digitLedString reports whether a plain scalar that starts with a digit
// surely reads as a string, such as 001-peers.sh (a ConfigMap key used as
// a subPath): it holds a letter that no number or timestamp has (not a
// hex digit, nor the x and o of 0x and 0o, nor the t and z of a time).
func digitLedString(s []byte) bool {
	if len(s) == 0 || s[0] < '0' || s[0] > '9' {
		return false
	}
	for _, c := range s {
		switch {
		case c >= 'g' && c <= 'z' && c != 'o' && c != 't' && c != 'x' && c != 'z',
			c >= 'G' && c <= 'Z' && c != 'O' && c != 'T' && c != 'X' && c != 'Z':
			return true
		}
	}
	return false
}

func octalDigits(s []byte) bool {
	for _, c := range s {
		if c < '0' || c > '7' {
			return false
		}
	}
	return true
}

// plainString reports whether a plain scalar surely reads as a string: it
// starts with a letter, / _ $ or (, and is no null or boolean word.
func plainString(s []byte) bool {
	if len(s) == 0 {
		return false
	}
	switch c := s[0]; {
	case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c == '/', c == '_', c == '$', c == '(':
	default:
		return false
	}
	switch string(s) {
	case "true", "True", "TRUE", "false", "False", "FALSE":
		return false
	}
	return !nullWord(s)
}

// nullWord reports whether a plain scalar reads as null in yaml.v3.
func nullWord(s []byte) bool {
	switch string(s) {
	case "", "~", "null", "Null", "NULL":
		return true
	}
	return false
}

// jsonNumber reports whether s is a decimal integer (at most 18 digits) or
// a decimal fraction, which YAML and JSON read alike.
func jsonNumber(s []byte) bool {
	i := 0
	if i < len(s) && s[i] == '-' {
		i++
	}
	digits := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
		digits++
	}
	if digits == 0 || digits > 18 || digits > 1 && s[len(s)-len(s[i:])-digits] == '0' {
		return false // nothing, too long, or a leading zero (octal in YAML 1.1)
	}
	if i == len(s) {
		return true
	}
	if s[i] != '.' || s[0] == '-' {
		return false
	}
	i++
	frac := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
		frac++
	}
	return frac > 0 && i == len(s)
}

// quantityString reports whether s is a Kubernetes quantity with a suffix,
// such as 100m or 1.5Gi, which YAML reads as a string.
func quantityString(s []byte) bool {
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	if i == 0 {
		return false
	}
	if i < len(s) && s[i] == '.' {
		i++
		j := i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		if i == j {
			return false
		}
	}
	switch string(s[i:]) {
	case "m", "k", "M", "G", "T", "P", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei":
		return true
	}
	return false
}

// appendJSONString appends s, which is valid printable UTF-8, as a JSON
// string.
func AppendJSONString(buf, s []byte) []byte {
	buf = append(buf, '"')
	for {
		i := bytes.IndexAny(s, "\"\\\t")
		if i < 0 {
			break
		}
		buf = append(buf, s[:i]...)
		switch s[i] {
		case '\t':
			buf = append(buf, `\t`...)
		default:
			buf = append(buf, '\\', s[i])
		}
		s = s[i+1:]
	}
	return append(append(buf, s...), '"')
}
