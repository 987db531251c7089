package blockyaml

import (
	"bytes"
	"unicode/utf8"
)

// A Doc is a structural index of one block-style YAML document: where
// each mapping, sequence and scalar starts and ends, and what each key is.
// It is how the overlay reads and edits workloads without a full YAML parse
// (issue 6): the index finds the few fields the overlay needs, and the edits
// are spliced into the original bytes, so everything else stays as written.
//
// The index understands only the YAML that Helm charts produce in practice:
// block mappings and sequences, one-line plain, quoted and flow scalars,
// block scalars, comments. Anything else (anchors, aliases, tags, multi-line
// flow or quoted scalars, multi-line plain scalars, complex keys, tabs as
// indentation, CRLF, a key twice, indentation that does not line up) makes
// index fail, and the caller falls back to yaml.v3, which also gives the
// proper error for YAML that is not valid.
type Doc struct {
	body  []byte
	lines []bline
	nodes []bnode
	keys  []span // scratch: the keys of the mappings being read, for duplicates
	at    int    // the next line to read
}

// bline is one line of the body.
type bline struct {
	start, end int32 // end excludes the newline
	indent     int32 // leading spaces
	kind       lineKind
}

type lineKind uint8

const (
	lineBlank   lineKind = iota // spaces only
	lineComment                 // # after the indentation
	lineContent
	lineBad // a tab in the indentation, or a document marker
)

// bkind is what a node is.
type bkind uint8

const (
	bNull        bkind = iota // `key:` or `-` with nothing after it
	bScalar                   // a one-line scalar or flow collection
	bBlockScalar              // | or >
	bMap
	bSeq
)

// bnode is one value. Entries of a mapping carry their key; items of a
// sequence do not.
type bnode struct {
	kind        bkind
	quote       byte  // of a bScalar: 0 (plain), '\'', '"', '[' or '{'
	col         int32 // column of a bMap's keys or a bSeq's dashes
	parent      int32
	first, next int32 // first child, next sibling; -1 when none
	last        int32 // last child, while the index is built
	key         span  // the key of a mapping entry, unquoted
	line        int32 // start of the line where the entry (key or dash) is
	from, to    int32 // a bScalar's text, without quotes' surroundings or comment
	end         int32 // end of the entry's last content line, newline included
}

type span struct{ from, to int32 }

// errNotBlock is how the index says "not the simple YAML I read".
type notBlock struct{}

func (notBlock) Error() string { return "not simple block YAML" }

var errNotBlock error = notBlock{}

// index builds the index of body, reusing d's memory. It reports false when
// the document is outside what the index understands.
func (d *Doc) index(body []byte) bool {
	d.body = body
	d.lines = d.lines[:0]
	d.nodes = d.nodes[:0]
	d.keys = d.keys[:0]
	d.at = 0
	if len(body) >= 1<<30 || !printable(body) {
		return false
	}
	d.scanLines()
	d.skip()
	if d.at == len(d.lines) {
		return false // empty: not an object
	}
	l := d.lines[d.at]
	if l.kind != lineContent {
		return false
	}
	if _, _, ok := d.key(l.start + l.indent); !ok {
		return false
	}
	if _, err := d.mapping(-1, l.indent, l.start+l.indent); err != nil {
		return false
	}
	d.skip()
	return d.at == len(d.lines)
}

// printable reports whether b holds only what YAML allows in a stream:
// printable UTF-8, tabs and line feeds. Carriage returns and byte order
// marks are allowed there too, but left to yaml.v3.
func printable(b []byte) bool {
	for i := 0; i < len(b); {
		c := b[i]
		if c < utf8.RuneSelf {
			if c < ' ' && c != '\n' && c != '\t' || c == 0x7f {
				return false
			}
			i++
			continue
		}
		r, n := utf8.DecodeRune(b[i:])
		switch {
		case r == utf8.RuneError && n == 1, r < 0xa0 && r != 0x85,
			r >= 0xd800 && r <= 0xdfff, r >= 0xfffe && r <= 0xffff, r == 0xfeff:
			return false
		}
		i += n
	}
	return true
}

func (d *Doc) scanLines() {
	b := d.body
	for i := 0; i < len(b); {
		end := bytes.IndexByte(b[i:], '\n')
		if end < 0 {
			end = len(b)
		} else {
			end += i
		}
		l := bline{start: int32(i), end: int32(end)}
		j := i
		for j < end && b[j] == ' ' {
			j++
		}
		l.indent = int32(j - i)
		switch {
		case j == end:
			l.kind = lineBlank
		case b[j] == '\t':
			l.kind = lineBad // yaml.v3 reads a tab there as indentation, and refuses it
		case b[j] == '#':
			l.kind = lineComment
		case j == i && (bytes.HasPrefix(b[i:end], []byte("---")) || bytes.HasPrefix(b[i:end], []byte("..."))) &&
			(end-i == 3 || b[i+3] == ' ' || b[i+3] == '\t'):
			l.kind = lineBad
		default:
			l.kind = lineContent
		}
		d.lines = append(d.lines, l)
		i = end + 1
	}
}

// skip moves past blank and comment lines.
func (d *Doc) skip() {
	for d.at < len(d.lines) && (d.lines[d.at].kind == lineBlank || d.lines[d.at].kind == lineComment) {
		d.at++
	}
}

// next returns the next line that holds YAML, if any.
func (d *Doc) next() (bline, bool) {
	d.skip()
	if d.at == len(d.lines) {
		return bline{}, false
	}
	return d.lines[d.at], true
}

func (d *Doc) add(n bnode) int32 {
	n.first, n.next, n.last = -1, -1, -1
	d.nodes = append(d.nodes, n)
	i := int32(len(d.nodes) - 1)
	if n.parent >= 0 {
		p := &d.nodes[n.parent]
		if p.first < 0 {
			p.first = i
		} else {
			d.nodes[p.last].next = i
		}
		p.last = i
	}
	return i
}

// isDash reports whether a content line starts with a sequence dash.
func (d *Doc) isDash(l bline) bool {
	p := l.start + l.indent
	return l.kind == lineContent && d.body[p] == '-' && (p+1 == l.end || d.body[p+1] == ' ')
}

// mapping reads a block mapping whose keys are at column col; its first key
// starts at pos, on the current line (after a dash, perhaps).
func (d *Doc) mapping(parent, col, pos int32) (int32, error) {
	lineStart := d.lines[d.at].start
	m := d.add(bnode{kind: bMap, col: col, parent: parent, line: lineStart})
	keysFrom := len(d.keys)
	defer func() { d.keys = d.keys[:keysFrom] }()
	for {
		k, after, ok := d.key(pos)
		if !ok {
			return 0, errNotBlock
		}
		if d.duplicate(keysFrom, k) || d.nullKey(k) {
			return 0, errNotBlock
		}
		d.keys = append(d.keys, k)
		entryLine := d.lines[d.at].start
		v, err := d.value(m, col, after, true)
		if err != nil {
			return 0, err
		}
		d.nodes[v].key = k
		d.nodes[v].line = entryLine
		d.nodes[m].end = d.nodes[v].end
		l, ok := d.next()
		if !ok || l.indent < col {
			return m, nil
		}
		if l.indent > col || l.kind != lineContent || d.isDash(l) {
			return 0, errNotBlock
		}
		pos = l.start + l.indent
	}
}

// nullKey reports whether an unquoted key reads as null, which the tree
// road refuses.
func (d *Doc) nullKey(k span) bool {
	if k.from > 0 && (d.body[k.from-1] == '"' || d.body[k.from-1] == '\'') {
		return false
	}
	return nullWord(d.body[k.from:k.to])
}

func (d *Doc) duplicate(from int, k span) bool {
	key := d.body[k.from:k.to]
	for _, have := range d.keys[from:] {
		if bytes.Equal(d.body[have.from:have.to], key) {
			return true
		}
	}
	return false
}

// sequence reads a block sequence whose dashes are at column col, starting
// on the current line.
func (d *Doc) sequence(parent, col int32) (int32, error) {
	s := d.add(bnode{kind: bSeq, col: col, parent: parent, line: d.lines[d.at].start})
	for {
		l := d.lines[d.at]
		pos := l.start + l.indent + 1
		for pos < l.end && d.body[pos] == ' ' {
			pos++
		}
		var v int32
		var err error
		switch {
		case pos < l.end && d.body[pos] == '-' && (pos+1 == l.end || d.body[pos+1] == ' ' || d.body[pos+1] == '\t'):
			return 0, errNotBlock // `- - a`
		case pos < l.end && d.body[pos] == '\t':
			return 0, errNotBlock
		default:
			if _, _, ok := d.key(pos); ok {
				v, err = d.mapping(s, pos-l.start, pos)
				if err == nil {
					d.nodes[v].line = l.start
				}
			} else {
				v, err = d.value(s, col, pos, false)
			}
		}
		if err != nil {
			return 0, err
		}
		d.nodes[v].line = l.start
		d.nodes[s].end = d.nodes[v].end
		l, ok := d.next()
		if !ok || l.indent < col || l.indent == col && !d.isDash(l) {
			return s, nil
		}
		if l.indent > col || !d.isDash(l) {
			return 0, errNotBlock
		}
	}
}

// value reads the value that starts at pos on the current line, after a key
// (inMap) or a dash at column col, and moves past it.
func (d *Doc) value(parent, col, pos int32, inMap bool) (int32, error) {
	l := d.lines[d.at]
	b := d.body
	for pos < l.end && (b[pos] == ' ' || b[pos] == '\t') {
		pos++
	}
	if pos == l.end || b[pos] == '#' { // keys and dashes end with a space: # starts a comment
		return d.valueBelow(parent, col, inMap)
	}
	n := bnode{kind: bScalar, parent: parent, from: pos}
	var rest int32 // where the scalar's text ends and only a comment may follow
	switch c := b[pos]; c {
	case '|', '>':
		return d.blockScalar(parent, col, pos)
	case '"', '\'':
		i, ok := quoted(b, pos, l.end)
		if !ok {
			return 0, errNotBlock // the quotes close on a later line, or a bad escape
		}
		n.quote, n.from, n.to, rest = c, pos+1, i-1, i
	case '[', '{':
		i, ok := flow(b, pos, l.end, 0)
		if !ok {
			return 0, errNotBlock // on more than one line, or more than the index reads
		}
		n.quote, n.to, rest = c, i, i
	case '&', '*', '!', '%', '@', '`', ',', ']', '}':
		return 0, errNotBlock
	case '-', '?', ':':
		if pos+1 == l.end || b[pos+1] == ' ' || b[pos+1] == '\t' {
			return 0, errNotBlock
		}
		fallthrough
	default:
		to, ok := plainEnd(b, pos, l.end)
		if !ok {
			return 0, errNotBlock // `a: b: c`
		}
		n.to, rest = to, to
	}
	close := rest
	for rest < l.end && (b[rest] == ' ' || b[rest] == '\t') {
		rest++
	}
	if rest < l.end && (b[rest] != '#' || rest == close) {
		return 0, errNotBlock // text after a closing quote or bracket
	}
	n.end = min(l.end+1, int32(len(b)))
	d.at++
	// A more indented line after a one-line value continues it: a
	// multi-line plain scalar, which the index does not read.
	if nl, ok := d.next(); ok && nl.indent > col {
		return 0, errNotBlock
	}
	return d.add(n), nil
}

// valueBelow reads a value that has nothing on its key's or dash's line:
// the block below, or null.
func (d *Doc) valueBelow(parent, col int32, inMap bool) (int32, error) {
	end := d.lines[d.at].end + 1
	d.at++
	nl, ok := d.next()
	switch {
	case ok && nl.kind != lineContent:
		return 0, errNotBlock
	case ok && nl.indent > col && d.isDash(nl):
		return d.sequence(parent, nl.indent)
	case ok && nl.indent > col:
		if _, _, isKey := d.key(nl.start + nl.indent); !isKey {
			return 0, errNotBlock
		}
		return d.mapping(parent, nl.indent, nl.start+nl.indent)
	case ok && inMap && nl.indent == col && d.isDash(nl):
		return d.sequence(parent, nl.indent)
	}
	return d.add(bnode{kind: bNull, parent: parent, end: min(end, int32(len(d.body)))}), nil
}

// plainEnd returns where a plain scalar starting at pos ends on its line
// (before a comment and trailing blanks); ok false for a second `key: `.
func plainEnd(b []byte, pos, end int32) (int32, bool) {
	i := pos
	for ; i < end; i++ {
		if b[i] == '#' && (b[i-1] == ' ' || b[i-1] == '\t') {
			break
		}
		if b[i] == ':' && (i+1 == end || b[i+1] == ' ' || b[i+1] == '\t') {
			return 0, false
		}
	}
	for i > pos && (b[i-1] == ' ' || b[i-1] == '\t') {
		i--
	}
	return i, true
}

// blockScalar moves past a | or > scalar whose header is at pos; its lines
// are the ones indented deeper than col.
func (d *Doc) blockScalar(parent, col, pos int32) (int32, error) {
	l := d.lines[d.at]
	b := d.body
	i := pos + 1
	if i < l.end && (b[i] == '+' || b[i] == '-') {
		i++ // one chomping indicator
	}
	for i < l.end && (b[i] == ' ' || b[i] == '\t') {
		i++
	}
	if i < l.end && (b[i] != '#' || b[i-1] != ' ' && b[i-1] != '\t') {
		return 0, errNotBlock // an indentation indicator, or text after the header
	}
	n := bnode{kind: bBlockScalar, parent: parent, from: pos, to: l.end, end: min(l.end+1, int32(len(b)))}
	content := int32(0)
	for d.at++; d.at < len(d.lines); d.at++ {
		ll := d.lines[d.at]
		if ll.kind == lineBlank {
			if content == 0 && ll.end-ll.start > col+1 && bytes.IndexByte(b[ll.start:ll.end], '\t') < 0 {
				// a leading blank line with more spaces than the content
				// might have: the rules for it are subtle, leave it to yaml.v3
				return 0, errNotBlock
			}
			continue
		}
		if ll.indent <= col {
			break
		}
		if ll.kind == lineBad && (content == 0 || ll.indent < content) {
			return 0, errNotBlock // a tab where the indentation should be
		}
		if content == 0 {
			content = ll.indent
		} else if ll.indent < content {
			return 0, errNotBlock
		}
		n.end = min(ll.end+1, int32(len(b)))
	}
	return d.add(n), nil
}

// key reads a simple key at pos: a plain or quoted scalar on one line,
// followed by a colon and a space or the line's end. It returns the key
// (unquoted) and where the value may start.
func (d *Doc) key(pos int32) (k span, after int32, ok bool) {
	b := d.body
	end := int32(len(b))
	if i := bytes.IndexByte(b[pos:], '\n'); i >= 0 {
		end = pos + int32(i)
	}
	if pos >= end {
		return span{}, 0, false
	}
	colon := func(i int32) (int32, bool) {
		if i-pos > 1000 {
			return 0, false // YAML limits implicit keys to 1024 characters
		}
		if i < end && b[i] == ':' && (i+1 == end || b[i+1] == ' ' || b[i+1] == '\t') {
			return i + 1, true
		}
		return 0, false
	}
	switch c := b[pos]; c {
	case '"', '\'':
		i := bytes.IndexByte(b[pos+1:end], c)
		if i < 0 {
			return span{}, 0, false
		}
		close := pos + 1 + int32(i)
		inner := b[pos+1 : close]
		if c == '"' && bytes.IndexByte(inner, '\\') >= 0 || c == '\'' && close+1 < end && b[close+1] == '\'' {
			return span{}, 0, false
		}
		after, ok := colon(close + 1)
		return span{pos + 1, close}, after, ok
	case '?', '&', '*', '!', '|', '>', '%', '@', '`', '#', '[', ']', '{', '}', ',', '-', ':':
		if c == '-' && pos+1 < end && b[pos+1] != ' ' && b[pos+1] != '\t' {
			break // a plain scalar such as -x
		}
		return span{}, 0, false
	}
	for i := pos; i < end; i++ {
		switch b[i] {
		case '#':
			if b[i-1] == ' ' || b[i-1] == '\t' {
				return span{}, 0, false
			}
		case ':':
			if after, ok := colon(i); ok {
				to := i
				for to > pos && (b[to-1] == ' ' || b[to-1] == '\t') {
					to--
				}
				return span{pos, to}, after, true
			}
		}
	}
	return span{}, 0, false
}

// get returns the value of key in mapping m, or -1.
func (d *Doc) get(m int32, key string) int32 {
	if m < 0 || d.nodes[m].kind != bMap {
		return -1
	}
	for c := d.nodes[m].first; c >= 0; c = d.nodes[c].next {
		k := d.nodes[c].key
		if string(d.body[k.from:k.to]) == key {
			return c
		}
	}
	return -1
}

// path follows keys from m.
func (d *Doc) path(m int32, keys ...string) int32 {
	for _, k := range keys {
		m = d.get(m, k)
	}
	return m
}

// str returns the value of a one-line scalar as a YAML parser reads it,
// when the index can tell: plain, single-quoted, or double-quoted without
// escapes.
func (d *Doc) str(n int32) (string, bool) {
	if n < 0 || d.nodes[n].kind != bScalar {
		return "", false
	}
	v := d.nodes[n]
	s := d.body[v.from:v.to]
	switch v.quote {
	case 0:
		return string(s), true
	case '\'':
		return string(bytes.ReplaceAll(s, []byte("''"), []byte("'"))), true
	case '"':
		if bytes.IndexByte(s, '\\') >= 0 {
			return "", false
		}
		return string(s), true
	}
	return "", false
}

// kind returns the kind of node n; a missing node (-1) is bNull.
func (d *Doc) kind(n int32) bkind {
	if n < 0 {
		return bNull
	}
	return d.nodes[n].kind
}

// quoted returns the end of the one-line quoted scalar at pos, after its
// closing quote. Double-quoted escapes must be ones YAML knows.
func quoted(b []byte, pos, end int32) (int32, bool) {
	c := b[pos]
	for i := pos + 1; i < end; i++ {
		switch {
		case c == '"' && b[i] == '\\':
			if i+1 >= end {
				return 0, false
			}
			i++
			hex := 0
			switch b[i] {
			case '0', 'a', 'b', 't', '\t', 'n', 'v', 'f', 'r', 'e', ' ', '"', '/', '\\', 'N', '_', 'L', 'P':
			case 'x':
				hex = 2
			case 'u':
				hex = 4
			case 'U':
				hex = 8
			default:
				return 0, false
			}
			for ; hex > 0; hex-- {
				i++
				if i >= end || !isHex(b[i]) {
					return 0, false
				}
			}
		case b[i] == c:
			if c == '\'' && i+1 < end && b[i+1] == '\'' {
				i++
				continue
			}
			return i + 1, true
		}
	}
	return 0, false
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

// flow returns the end of the one-line flow collection at pos. It reads a
// cautious subset: quoted scalars, plain scalars of letters, digits and
// . _ / = + - $ ( ) ~ @ % and spaces, nested collections, `key: value`.
func flow(b []byte, pos, end int32, depth int) (int32, bool) {
	return flowJSON(b, pos, end, depth, nil)
}

// flowJSON is flow, and appends the collection as JSON to out when out is
// not nil; then ok false also means "ask yaml.v3".
func flowJSON(b []byte, pos, end int32, depth int, out *[]byte) (int32, bool) {
	if depth > 32 {
		return 0, false
	}
	close := byte(']')
	if b[pos] == '{' {
		close = '}'
	}
	emit := func(s ...byte) {
		if out != nil {
			*out = append(*out, s...)
		}
	}
	emit(b[pos])
	var keys [][]byte // of a mapping, for duplicates
	i := skipBlanks(b, pos+1, end)
	if i < end && b[i] == close {
		emit(close)
		return i + 1, true
	}
	for {
		start := i
		var ok bool
		if i, ok = flowNode(b, i, end, depth, nil); !ok {
			return 0, false
		}
		node := i
		i = skipBlanks(b, i, end)
		pair := i < end && b[i] == ':'
		if close == '}' {
			if keys, ok = newKey(keys, b[start:node]); !ok {
				return 0, false
			}
		}
		if !flowEntryStart(b, start, node, end, depth, pair, close, out) {
			return 0, false
		}
		if pair {
			if i+1 >= end || b[i+1] != ' ' {
				return 0, false // `a:}` reads differently in different parsers
			}
			i = skipBlanks(b, i+1, end)
			if i < end && b[i] != ',' && b[i] != close {
				if i, ok = flowNode(b, i, end, depth, out); !ok {
					return 0, false
				}
				i = skipBlanks(b, i, end)
			} else {
				emit([]byte("null")...)
			}
		}
		switch {
		case i >= end:
			return 0, false
		case b[i] == close:
			emit(close)
			return i + 1, true
		case b[i] != ',':
			return 0, false
		}
		i = skipBlanks(b, i+1, end)
		if i < end && b[i] == close {
			emit(close)
			return i + 1, true
		}
		emit(',')
	}
}

// newKey adds key to the keys of a flow mapping; ok false when it is there
// already, or may be (quoted keys are not compared).
func newKey(keys [][]byte, key []byte) ([][]byte, bool) {
	for _, k := range keys {
		if bytes.Equal(k, key) || key[0] == '"' || key[0] == '\'' || k[0] == '"' || k[0] == '\'' {
			return nil, false
		}
	}
	return append(keys, key), true
}

// flowEntryStart checks, and writes as JSON to out, the node from start to
// node of a flow collection closed by close: a key (pair) or an item.
func flowEntryStart(b []byte, start, node, end int32, depth int, pair bool, close byte, out *[]byte) bool {
	switch {
	case pair && close == ']' && out != nil:
		return false // a single-pair mapping in a list
	case !pair && close == '}':
		return false // a key without a colon
	case pair && out != nil:
		if !plainString(b[start:node]) && b[start] != '"' && b[start] != '\'' {
			return false // a key that does not read as a string
		}
		if _, ok := flowNode(b, start, end, depth, out); !ok {
			return false
		}
		*out = append(*out, ':')
	case out != nil:
		if _, ok := flowNode(b, start, end, depth, out); !ok {
			return false
		}
	}
	return true
}

func flowNode(b []byte, i, end int32, depth int, out *[]byte) (int32, bool) {
	if i >= end {
		return 0, false
	}
	switch c := b[i]; {
	case c == '[' || c == '{':
		return flowJSON(b, i, end, depth+1, out)
	case c == '"' || c == '\'':
		j, ok := quoted(b, i, end)
		if ok && out != nil {
			s := b[i+1 : j-1]
			switch {
			case c == '"' && bytes.IndexByte(s, '\\') >= 0:
				return 0, false
			case c == '\'':
				s = bytes.ReplaceAll(s, []byte("''"), []byte("'"))
			}
			*out = AppendJSONString(*out, s)
		}
		return j, ok
	case c == '-' && (i+1 >= end || !flowPlain(b[i+1]) || b[i+1] == ' '):
		return 0, false
	case !flowPlain(c) || c == ' ' || c == '%' || c == '@':
		return 0, false
	}
	j := i
	for j < end && flowPlain(b[j]) {
		j++
	}
	for b[j-1] == ' ' {
		j--
	}
	if out != nil {
		var ok bool
		if *out, ok = appendPlainJSON(*out, b[i:j]); !ok {
			return 0, false
		}
	}
	return j, true
}

func flowPlain(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
		c == '.' || c == '_' || c == '/' || c == '=' || c == '+' || c == '-' || c == '$' ||
		c == '(' || c == ')' || c == '~' || c == '@' || c == '%' || c == ' '
}

func skipBlanks(b []byte, i, end int32) int32 {
	for i < end && (b[i] == ' ' || b[i] == '\t') {
		i++
	}
	return i
}
