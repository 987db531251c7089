package generator

import (
	"strings"

	"go.yaml.in/yaml/v3"
)

// One decision for how the overlay writes a string it inserts, whichever
// road it takes (issue 12): the splice editor's emitter writes the style
// styleOf picks, and the tree road sets the same style on the nodes it
// hands yaml.v3 (styleNodes), so a second run, on either road, writes the
// same bytes as the first.

// scalarStyle is how a string is written.
type scalarStyle uint8

const (
	stylePlain   scalarStyle = iota // debug
	styleSingle                     // '001-peers.sh', 'true'
	styleLiteral                    // a block: |, or |- without a final line break
	styleDouble                     // "\t", "é": escapes, written by yaml.v3
)

// styleOf picks the style of s: plain when that surely reads back as the
// string s in YAML 1.1 and 1.2 alike, a literal block when it spans lines
// and can, single-quoted when it is printable ASCII, else double-quoted.
func styleOf(s string) scalarStyle {
	switch {
	case plainStringValue(s):
		return stylePlain
	case literalOK(s):
		return styleLiteral
	case singleOK(s):
		return styleSingle
	}
	return styleDouble
}

// yamlNodeStyle is the yaml.v3 node style of a scalar style.
func (s scalarStyle) yamlNodeStyle() yaml.Style {
	switch s {
	case styleSingle:
		return yaml.SingleQuotedStyle
	case styleLiteral:
		return yaml.LiteralStyle
	case styleDouble:
		return yaml.DoubleQuotedStyle
	}
	return 0
}

// keyStyleOf picks the style of a mapping key: as styleOf, but a key is
// never a block.
func keyStyleOf(s string) scalarStyle {
	if st := styleOf(s); st != styleLiteral {
		return st
	}
	return styleDouble
}

// styleNodes sets on every string scalar of a tree the overlay built (keys
// included) the style styleOf picks, and drops the flow styles that
// parsing JSON leaves, so the new nodes look like the block YAML around
// them.
func styleNodes(n *yaml.Node) {
	n.Style = 0
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!str" {
		n.Style = styleOf(n.Value).yamlNodeStyle()
	}
	for i, c := range n.Content {
		styleNodes(c)
		if n.Kind == yaml.MappingNode && i%2 == 0 && c.Kind == yaml.ScalarNode && c.ShortTag() == "!!str" {
			c.Style = keyStyleOf(c.Value).yamlNodeStyle()
		}
	}
}

// setStyled sets a scalar node the overlay rewrites (a rewired volume
// name) to s, in the style styleOf picks.
func setStyled(n *yaml.Node, s string) {
	n.Value, n.Tag, n.Style = s, "!!str", styleOf(s).yamlNodeStyle()
}

// yamlString writes s as a one-line scalar in the style styleOf picks; the
// names it writes (volumes) are never double-quoted.
func yamlString(s string) string {
	if styleOf(s) == stylePlain {
		return s
	}
	return string(appendSingleQuoted(nil, s))
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

func appendSingleQuoted(buf []byte, s string) []byte {
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
