package yamltree

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"go.yaml.in/yaml/v3"
)

// Small in-place edits on yaml.v3 nodes. Editing the parsed tree, instead of
// decoding into structs and encoding again, keeps comments, key order and
// every field this program does not know about. A key written twice in a
// mapping is read and edited at its last place, which is the one
// Kubernetes' YAML reader keeps.

// MapGet returns the value of key, following aliases: reading through an
// alias sees what a YAML parser sees.
func MapGet(m *yaml.Node, key string) *yaml.Node {
	m = ResolveAlias(m)
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	if i := LastKey(m, key); i >= 0 {
		return ResolveAlias(m.Content[i+1])
	}
	return nil
}

// LastKey returns the index in m.Content of the last key named key, -1 when
// there is none.
func LastKey(m *yaml.Node, key string) int {
	for i := len(m.Content)&^1 - 2; i >= 0; i -= 2 {
		if m.Content[i].Value == key {
			return i
		}
	}
	return -1
}

func ResolveAlias(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	return n
}

// CopyNode deep-copies a tree without its anchors, so the copy can replace
// an alias and be edited without changing the anchor's other uses. Aliases
// inside stay aliases: their anchors come earlier in the document. With
// expand, aliases are replaced by copies of what they refer to, as a new
// document needs.
func CopyNode(n *yaml.Node, expand bool) *yaml.Node {
	for expand && n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	c := *n
	c.Anchor = ""
	c.Content = make([]*yaml.Node, len(n.Content))
	for i, child := range n.Content {
		c.Content[i] = CopyNode(child, expand)
	}
	return &c
}

func MapPath(m *yaml.Node, keys ...string) *yaml.Node {
	for _, k := range keys {
		m = MapGet(m, k)
	}
	return m
}

// MapSet sets key to value, replacing an existing value in place (so its key
// keeps its position and comments) or appending the pair.
func MapSet(m *yaml.Node, key string, value *yaml.Node) {
	if i := LastKey(m, key); i >= 0 {
		m.Content[i+1] = value
		return
	}
	m.Content = append(m.Content, Scalar(key), value)
}

// MoveBefore moves the pair of key right before the pair of before, when
// both exist.
func MoveBefore(m *yaml.Node, key, before string) {
	from, to := LastKey(m, key), LastKey(m, before)
	if from < 0 || to < 0 || from < to {
		return
	}
	pair := []*yaml.Node{m.Content[from], m.Content[from+1]}
	m.Content = slices.Delete(m.Content, from, from+2)
	m.Content = slices.Insert(m.Content, to, pair...)
}

func MapDelete(m *yaml.Node, key string) {
	if m == nil {
		return
	}
	if i := LastKey(m, key); i >= 0 {
		m.Content = slices.Delete(m.Content, i, i+2)
	}
}

// MapEnsure returns the value of key, creating it with kind when absent or
// null; created says which happened. A null is removed and the new value
// appended, as if it had been absent, so that Strip, which removes created
// fields left empty, and a second run agree on where it goes. Another kind
// of value is an error.
func MapEnsure(m *yaml.Node, key string, kind yaml.Kind) (n *yaml.Node, created bool, err error) {
	if i := LastKey(m, key); i >= 0 {
		n = m.Content[i+1]
		if target := ResolveAlias(n); n.Kind == yaml.AliasNode && target != nil && target.Kind == kind {
			// Editing the anchored node would edit every use of the anchor
			// (the workload's own annotations, say): edit a copy instead.
			n = CopyNode(target, false)
			m.Content[i+1] = n
		}
		switch {
		case n.Kind == kind:
			return n, false, nil
		case ResolveAlias(n).Kind == yaml.ScalarNode && ResolveAlias(n).ShortTag() == "!!null":
			m.Content = slices.Delete(m.Content, i, i+2)
		default:
			want := "a mapping"
			if kind == yaml.SequenceNode {
				want = "a list"
			}
			return nil, false, fmt.Errorf("%s: not %s", key, want)
		}
	}
	n = &yaml.Node{Kind: kind}
	if kind == yaml.MappingNode {
		n.Tag = "!!map"
	} else {
		n.Tag = "!!seq"
	}
	m.Content = append(m.Content, Scalar(key), n)
	return n, true, nil
}

// spellFlowNulls writes out as `null` the empty nulls inside flow
// collections (`{a, b: }`), which the encoder would write as an empty
// quoted string.
func spellFlowNulls(n *yaml.Node, inFlow bool) {
	if n.Kind == yaml.ScalarNode && inFlow && n.Value == "" && n.ShortTag() == "!!null" {
		n.Value = "null"
	}
	if n.Style&yaml.FlowStyle != 0 {
		inFlow = true
	}
	for _, c := range n.Content {
		spellFlowNulls(c, inFlow)
	}
}

func Scalar(v string) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: v}
}

func Bool(v bool) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: fmt.Sprint(v)}
}

// ToNode converts a typed value (a corev1.Container, say) into block-style
// YAML nodes, keeping the struct's field order.
func ToNode(v any) (*yaml.Node, error) {
	data, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, err
	}
	n := doc.Content[0]
	StyleNodes(n)
	return n, nil
}

// Decode decodes a node into a typed value through JSON, so k8s.io/api
// types with their json tags can be read from a comment-preserving tree. The
// tree is written as JSON directly; a tree that way cannot express (merge
// keys, odd scalars) takes the slower road through yaml.v3's own decoding.
func Decode(n *yaml.Node, into any) error {
	var buf bytes.Buffer
	if err := writeJSON(&buf, n, 0); err == nil {
		return json.Unmarshal(buf.Bytes(), into)
	}
	data, err := decodedJSON(n)
	if err != nil {
		return err
	}
	return json.Unmarshal(data, into)
}

// decodedJSON is n as JSON by way of yaml.v3's own decoding: the slow road
// for what writeJSON does not read.
func decodedJSON(n *yaml.Node) ([]byte, error) {
	var v any
	if err := n.Decode(&v); err != nil {
		return nil, err
	}
	return json.Marshal(v)
}

var errNoJSON = errors.New("not expressible as plain JSON")

// writeJSON writes a tree as JSON, resolving scalars as yaml.v3 does.
func writeJSON(buf *bytes.Buffer, n *yaml.Node, depth int) error {
	if depth > 200 {
		return errNoJSON
	}
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) != 1 {
			return errNoJSON
		}
		return writeJSON(buf, n.Content[0], depth+1)
	case yaml.AliasNode:
		return writeJSON(buf, n.Alias, depth+1)
	case yaml.MappingNode:
		buf.WriteByte('{')
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			if k.Kind != yaml.ScalarNode || k.ShortTag() != "!!str" {
				return errNoJSON // merge keys, non-string keys
			}
			if i > 0 {
				buf.WriteByte(',')
			}
			writeJSONString(buf, k.Value)
			buf.WriteByte(':')
			if err := writeJSON(buf, n.Content[i+1], depth+1); err != nil {
				return err
			}
		}
		buf.WriteByte('}')
	case yaml.SequenceNode:
		buf.WriteByte('[')
		for i, c := range n.Content {
			if i > 0 {
				buf.WriteByte(',')
			}
			if err := writeJSON(buf, c, depth+1); err != nil {
				return err
			}
		}
		buf.WriteByte(']')
	case yaml.ScalarNode:
		switch n.ShortTag() {
		case "!!str":
			writeJSONString(buf, n.Value)
		case "!!null":
			buf.WriteString("null")
		default:
			data, err := decodedJSON(n)
			if err != nil {
				return err
			}
			buf.Write(data)
		}
	default:
		return errNoJSON
	}
	return nil
}

func writeJSONString(buf *bytes.Buffer, s string) {
	data, _ := json.Marshal(s) // a string always marshals
	buf.Write(data)
}

func Value(n *yaml.Node) string {
	if n == nil {
		return ""
	}
	return n.Value
}

// Items returns the items of a sequence; nil for anything else.
func Items(n *yaml.Node) []*yaml.Node {
	if n == nil || n.Kind != yaml.SequenceNode {
		return nil
	}
	return n.Content
}
