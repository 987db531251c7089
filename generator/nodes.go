package generator

import (
	"encoding/json"
	"fmt"

	"go.yaml.in/yaml/v3"
)

// Small in-place edits on yaml.v3 nodes. Editing the parsed tree, instead of
// decoding into structs and encoding again, keeps comments, key order and
// every field this program does not know about.

func mapGet(m *yaml.Node, key string) *yaml.Node {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

func mapPath(m *yaml.Node, keys ...string) *yaml.Node {
	for _, k := range keys {
		m = mapGet(m, k)
	}
	return m
}

// mapSet sets key to value, replacing an existing value in place (so its key
// keeps its position and comments) or appending the pair.
func mapSet(m *yaml.Node, key string, value *yaml.Node) {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			m.Content[i+1] = value
			return
		}
	}
	m.Content = append(m.Content, scalar(key), value)
}

func mapDelete(m *yaml.Node, key string) {
	if m == nil {
		return
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			m.Content = append(m.Content[:i], m.Content[i+2:]...)
			return
		}
	}
}

// mapEnsure returns the value of key, creating it with kind when absent or
// null; created says which happened.
func mapEnsure(m *yaml.Node, key string, kind yaml.Kind) (n *yaml.Node, created bool) {
	if n = mapGet(m, key); n != nil && n.Kind == kind {
		return n, false
	}
	n = &yaml.Node{Kind: kind}
	if kind == yaml.MappingNode {
		n.Tag = "!!map"
	} else {
		n.Tag = "!!seq"
	}
	mapSet(m, key, n)
	return n, true
}

func scalar(v string) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: v}
}

func boolNode(v bool) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: fmt.Sprint(v)}
}

// toNode converts a typed value (a corev1.Container, say) into block-style
// YAML nodes, keeping the struct's field order.
func toNode(v any) (*yaml.Node, error) {
	data, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, err
	}
	n := doc.Content[0]
	blockStyle(n)
	return n, nil
}

// blockStyle drops the flow and quoting styles that parsing JSON leaves, so
// new nodes look like the hand-written YAML around them. The encoder still
// quotes strings that would read as another type ("true", "on", "10").
func blockStyle(n *yaml.Node) {
	n.Style = 0
	for _, c := range n.Content {
		blockStyle(c)
	}
}

// decodeNode decodes a node into a typed value through JSON, so k8s.io/api
// types with their json tags can be read from a comment-preserving tree.
func decodeNode(n *yaml.Node, into any) error {
	var v any
	if err := n.Decode(&v); err != nil {
		return err
	}
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return json.Unmarshal(data, into)
}

func scalarValue(n *yaml.Node) string {
	if n == nil {
		return ""
	}
	return n.Value
}
