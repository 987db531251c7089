package blockyaml

import (
	"strings"
)

// One decision for how the overlay writes a string it inserts, whichever
// road it takes (issue 12): the splice editor's emitter writes the style
// StyleOf picks, and the tree road sets the same style on the nodes it
// hands yaml.v3 (styleNodes), so a second run, on either road, writes the
// same bytes as the first.

// Style is how a string is written.
type Style uint8

const (
	Plain   Style = iota // debug
	Single               // '001-peers.sh', 'true'
	Literal              // a block: |, or |- without a final line break
	Double               // "\t", "é": escapes, written by yaml.v3
)

// StyleOf picks the style of s: plain when that surely reads back as the
// string s in YAML 1.1 and 1.2 alike, a literal block when it spans lines
// and can, single-quoted when it is printable ASCII, else double-quoted.
func StyleOf(s string) Style {
	switch {
	case plainStringValue(s):
		return Plain
	case literalOK(s):
		return Literal
	case singleOK(s):
		return Single
	}
	return Double
}

// KeyStyleOf picks the style of a mapping key: as StyleOf, but a key is
// never a block.
func KeyStyleOf(s string) Style {
	if st := StyleOf(s); st != Literal {
		return st
	}
	return Double
}

// String writes s as a one-line scalar in the style StyleOf picks; the
// names it writes (volumes) are never double-quoted.
func String(s string) string {
	if StyleOf(s) == Plain {
		return s
	}
	return string(AppendSingleQuoted(nil, s))
}

// singleOK reports whether s can be single-quoted as yaml.v3 writes it:
// printable ASCII on one line.
func singleOK(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < ' ' || s[i] > '~' {
			return false
		}
	}
	return true
}

func AppendSingleQuoted(buf []byte, s string) []byte {
	return append(append(append(buf, '\''), strings.ReplaceAll(s, "'", "''")...), '\'')
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
