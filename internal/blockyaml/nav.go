package blockyaml

import (
	"bytes"
	"iter"
	"slices"
)

// Node is a node of an indexed document: the root mapping is Root, a node
// that is not there is None.
type Node = int32

// Root is the document's top-level mapping; None is no node.
const (
	Root Node = 0
	None Node = -1
)

// Kind is what a node is.
type Kind = bkind

// The kinds of nodes. A node that is not there reads as Null.
const (
	Null        = bNull        // `key:` or `-` with nothing after it
	Scalar      = bScalar      // a one-line scalar or flow collection
	BlockScalar = bBlockScalar // | or >
	Map         = bMap
	Seq         = bSeq
)

// Index builds the index of body, reusing d's memory. It reports false
// when the document is outside what the index understands.
func (d *Doc) Index(body []byte) bool { return d.index(body) }

// Body returns the indexed text.
func (d *Doc) Body() []byte { return d.body }

// Kind returns the kind of node n; a missing node is Null.
func (d *Doc) Kind(n Node) Kind { return d.kind(n) }

// Get returns the value of key in mapping m, or None.
func (d *Doc) Get(m Node, key string) Node { return d.get(m, key) }

// Path follows keys from m.
func (d *Doc) Path(m Node, keys ...string) Node { return d.path(m, keys...) }

// Children yields the entries of a mapping or the items of a list.
func (d *Doc) Children(n Node) iter.Seq[Node] {
	return func(yield func(Node) bool) {
		if n < 0 {
			return
		}
		for c := d.nodes[n].first; c >= 0; c = d.nodes[c].next {
			if !yield(c) {
				return
			}
		}
	}
}

// Len returns how many entries or items n has.
func (d *Doc) Len(n Node) int {
	count := 0
	for range d.Children(n) {
		count++
	}
	return count
}

// Key returns the key of a mapping entry, unquoted.
func (d *Doc) Key(n Node) string {
	k := d.nodes[n].key
	return string(d.body[k.from:k.to])
}

// Str returns the value of a one-line scalar as a YAML parser reads it,
// when the index can tell: plain, single-quoted, or double-quoted without
// escapes.
func (d *Doc) Str(n Node) (string, bool) { return d.str(n) }

// StrOrAbsent reads a one-line scalar, or "" when n is missing.
func (d *Doc) StrOrAbsent(n Node) (string, bool) {
	if n < 0 {
		return "", true
	}
	return d.str(n)
}

// MapOrAbsent reports whether n is a block mapping or missing.
func (d *Doc) MapOrAbsent(n Node) bool {
	return n < 0 || d.nodes[n].kind == bMap
}

// StringMap reads a mapping of one-line scalars, such as labels.
func (d *Doc) StringMap(n Node) (map[string]string, bool) {
	if n < 0 || d.EmptyFlow(n, '{') {
		return nil, true
	}
	if d.nodes[n].kind != bMap {
		return nil, false
	}
	m := map[string]string{}
	for c := range d.Children(n) {
		v, ok := d.str(c)
		if !ok {
			return nil, false
		}
		m[d.Key(c)] = v
	}
	return m, true
}

// IsNull reports whether n is a null: nothing, ~ or null.
func (d *Doc) IsNull(n Node) bool {
	if n < 0 {
		return false
	}
	v := d.nodes[n]
	if v.kind == bNull {
		return true
	}
	return v.kind == bScalar && v.quote == 0 && nullWord(d.body[v.from:v.to])
}

// EmptyFlow reports whether n is written `[]` (open '[') or `{}` ('{').
func (d *Doc) EmptyFlow(n Node, open byte) bool {
	if n < 0 {
		return false
	}
	v := d.nodes[n]
	return v.kind == bScalar && v.quote == open && len(bytes.TrimSpace(d.body[v.from+1:v.to-1])) == 0
}

// Plain reports whether the one-line scalar n is written without quotes.
func (d *Doc) Plain(n Node) bool { return d.nodes[n].kind == bScalar && d.nodes[n].quote == 0 }

// Col returns the column of a mapping's keys or a list's dashes.
func (d *Doc) Col(n Node) int { return int(d.nodes[n].col) }

// Parent returns the node that holds n.
func (d *Doc) Parent(n Node) Node { return d.nodes[n].parent }

// Last returns the last node of the document.
func (d *Doc) Last() Node { return Node(len(d.nodes) - 1) }

// Entry returns where the lines of an entry (its key, or its dash) start
// and where its last content line ends, line break included.
func (d *Doc) Entry(n Node) (from, to int) { return int(d.nodes[n].line), int(d.nodes[n].end) }

// Value returns where the text of the one-line scalar n is, its quotes
// included.
func (d *Doc) Value(n Node) (from, to int) {
	v := d.nodes[n]
	from, to = int(v.from), int(v.to)
	if v.quote == '"' || v.quote == '\'' {
		from, to = from-1, to+1
	}
	return from, to
}

// ValueStart returns where the blanks before the one-line value n start.
func (d *Doc) ValueStart(n Node) int {
	from := d.nodes[n].from
	for d.body[from-1] == ' ' || d.body[from-1] == '\t' {
		from--
	}
	return int(from)
}

// Contains reports whether the lines of entry n hold text.
func (d *Doc) Contains(n Node, text string) bool {
	from, to := d.Entry(n)
	return bytes.Contains(d.body[from:to], []byte(text))
}

// LineEnd returns the end of the line that starts at off, newline included.
func (d *Doc) LineEnd(off int) int {
	if i := bytes.IndexByte(d.body[off:], '\n'); i >= 0 {
		return off + i + 1
	}
	return len(d.body)
}

// Emptied returns the edit that writes the entry n of a mapping on one line
// with an empty flow value, `key: []` or `key: {}`, comment kept: how an
// entry the overlay filled is written back when its items go again.
func (d *Doc) Emptied(n Node, empty string) Edit {
	v := d.nodes[n]
	colon := int(v.key.to) + bytes.IndexByte(d.body[v.key.to:], ':')
	end := d.LineEnd(int(v.line))
	line := append([]byte(nil), d.body[v.line:colon+1]...)
	line = append(append(line, ' '), empty...)
	line = append(line, bytes.TrimRight(d.body[colon+1:end], "\n")...)
	return Edit{From: int(v.line), To: int(v.end), Text: append(line, '\n')}
}

// CompactSequences reports whether the document writes its lists with the
// dashes under their key (kubectl's and kustomize's style) rather than
// indented (Helm charts' usual style), by its first list; compact when it
// has none, as kyaml's DeriveSeqIndentStyle says too.
func (d *Doc) CompactSequences() bool {
	for _, n := range d.nodes {
		if n.kind == bSeq && n.parent >= 0 && d.nodes[n.parent].kind == bMap {
			return n.col == d.nodes[n.parent].col
		}
	}
	return true
}

// AppendJSON appends node n as JSON, the way yaml.v3 reads it into Go
// values. ok false means it met something only yaml.v3 can tell.
func (d *Doc) AppendJSON(buf []byte, n Node) ([]byte, bool) { return d.appendJSON(buf, n) }

// AppendKeyJSON appends the key of entry n as a JSON string and a colon.
func (d *Doc) AppendKeyJSON(buf []byte, n Node) []byte {
	k := d.nodes[n].key
	return append(AppendJSONString(buf, d.body[k.from:k.to]), ':')
}

// Edit replaces body[From:To] with Text; From == To inserts.
type Edit struct {
	From, To int
	Text     []byte
}

// Apply writes body with the edits made after prefix into dst. Edits at
// one place keep the order they were given in. ok false means two edits
// overlap.
func Apply(dst, prefix, body []byte, edits []Edit) ([]byte, bool) {
	slices.SortStableFunc(edits, func(a, b Edit) int { return a.From - b.From })
	dst = append(dst, prefix...)
	last := 0
	for _, e := range edits {
		if e.From < last {
			return nil, false
		}
		dst = append(dst, body[last:e.From]...)
		if e.From == len(body) && e.From == e.To && len(body) > 0 && body[len(body)-1] != '\n' &&
			(len(dst) == 0 || dst[len(dst)-1] != '\n') {
			dst = append(dst, '\n') // the document's last line had no line break
		}
		dst = append(dst, e.Text...)
		last = e.To
	}
	return append(dst, body[last:]...), true
}

// Quote returns how the one-line scalar n is written: 0 plain, '\” or '"'
// quoted, '[' or '{' a flow collection on one line.
func (d *Doc) Quote(n Node) byte { return d.nodes[n].quote }
