package yamltree

import (
	"bytes"
	"errors"
	"fmt"
	"io"

	"go.yaml.in/yaml/v3"
	kyaml "sigs.k8s.io/kustomize/kyaml/yaml"
	sigsyaml "sigs.k8s.io/yaml"
)

// ParseBody parses the body of a raw document with its preamble's lines
// read as blank lines, so that the line numbers in errors count from the
// document's first line, as people see it.
func ParseBody(preamble, body []byte) (*yaml.Node, error) {
	if n := bytes.Count(preamble, []byte("\n")); n > 0 {
		body = append(bytes.Repeat([]byte("\n"), n), body...)
	}
	return Parse(body)
}

// Parse parses one document's YAML into a comment-preserving tree.
func Parse(body []byte) (*yaml.Node, error) {
	dec := yaml.NewDecoder(bytes.NewReader(body))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("not valid YAML: %w", err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return nil, errors.New("not valid YAML: a second document follows without a --- separator")
	}
	if len(doc.Content) != 1 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, errors.New("not a Kubernetes object: not a mapping")
	}
	keepEmptyTagged(&doc, bytes.Split(body, []byte("\n")))
	return &doc, nil
}

// keepEmptyTagged marks as strings the empty scalars written with the
// non-specific tag `!`: yaml.v3 reads them as null, Kubernetes' YAML
// reader (and the YAML spec) as "", and encoding would turn the one into
// the other.
func keepEmptyTagged(n *yaml.Node, lines [][]byte) {
	if n.Kind == yaml.ScalarNode && n.Value == "" && n.ShortTag() == "!!null" &&
		n.Line >= 1 && n.Line <= len(lines) && n.Column >= 1 && n.Column <= len(lines[n.Line-1]) &&
		lines[n.Line-1][n.Column-1] == '!' {
		n.Tag = "!!str"
	}
	for _, c := range n.Content {
		keepEmptyTagged(c, lines)
	}
}

// CheckKeys refuses a mapping key that is null, as Kubernetes' YAML reader
// does (the release would not install), and lists the keys written twice
// in one mapping. Kubernetes takes the last of them; so do the tree
// helpers (MapGet and the rest), so the overlay reads and edits what the
// API server will see.
func CheckKeys(n *yaml.Node, depth int) (dups []DuplicateKey, err error) {
	if depth > 1000 {
		return nil, errors.New("nested too deeply")
	}
	if n.Kind == yaml.MappingNode {
		var seen map[string]int
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			if k.Kind != yaml.ScalarNode {
				continue
			}
			if k.ShortTag() == "!!null" {
				return nil, fmt.Errorf("line %d: a mapping key is null", k.Line)
			}
			if seen == nil {
				seen = make(map[string]int, len(n.Content)/2)
			}
			if line, ok := seen[k.Value]; ok {
				dups = append(dups, DuplicateKey{Key: k.Value, First: line, Line: k.Line})
			}
			seen[k.Value] = k.Line
		}
	}
	for _, c := range n.Content {
		more, err := CheckKeys(c, depth+1)
		if err != nil {
			return nil, err
		}
		dups = append(dups, more...)
	}
	return dups, nil
}

// DuplicateKey is a key written again, at line, in the mapping where it was
// first written at first.
type DuplicateKey struct {
	Key         string
	First, Line int
}

// ParseHeader reads apiVersion and kind from a document the line scan could
// not read (flow style, JSON, anchors).
func ParseHeader(raw []byte) (apiVersion, kind string, err error) {
	var h struct {
		APIVersion any `yaml:"apiVersion"`
		Kind       any `yaml:"kind"`
	}
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	if err := dec.Decode(&h); err != nil {
		if errors.Is(err, io.EOF) {
			return "", "", nil
		}
		// yaml.v3 refuses some YAML that Kubernetes' reader takes (a key
		// written twice): what the document is must not depend on it.
		var k struct{ APIVersion, Kind any }
		if sigsyaml.Unmarshal(raw, &k) == nil {
			a, _ := k.APIVersion.(string)
			kind, _ := k.Kind.(string)
			return a, kind, nil
		}
		return "", "", fmt.Errorf("not valid YAML: %w", err)
	}
	a, _ := h.APIVersion.(string)
	k, _ := h.Kind.(string)
	return a, k, nil
}

// Encode writes a changed document: its original preamble (the `---`
// and `# Source:` lines), then the tree, with a new encoder (one encoder for
// a whole stream keeps state that grows with it) in the document's own
// sequence indentation style and line endings.
func Encode(raw, preamble, body []byte, doc *yaml.Node) ([]byte, error) {
	// The encoder writes LF only; a CRLF document gets CRLF back (line
	// breaks inside scalars are LF either way once parsed).
	crlf := bytes.Contains(body, []byte("\r\n"))
	newline := []byte("\n")
	if crlf {
		body = bytes.ReplaceAll(body, []byte("\r\n"), newline)
	}
	spellFlowNulls(doc, false)
	var enc bytes.Buffer
	enc.Grow(len(raw) + 2048)
	e := yaml.NewEncoder(&enc)
	e.SetIndent(2)
	if kyaml.DeriveSeqIndentStyle(string(body)) == string(kyaml.CompactSequenceStyle) {
		e.CompactSeqIndent()
	}
	if err := e.Encode(doc); err != nil {
		return nil, fmt.Errorf("encoding: %w", err)
	}
	if err := e.Close(); err != nil {
		return nil, fmt.Errorf("encoding: %w", err)
	}
	encoded := enc.Bytes()
	if crlf {
		encoded = bytes.ReplaceAll(encoded, newline, []byte("\r\n"))
		newline = []byte("\r\n")
	}
	out := make([]byte, 0, len(preamble)+len(encoded)+5)
	if !bytes.HasPrefix(preamble, []byte("---")) && bytes.HasPrefix(raw, []byte("---")) {
		out = append(append(out, "---"...), newline...)
	}
	out = append(out, preamble...)
	return append(out, encoded...), nil
}

// StringMap reads a mapping of strings, such as labels.
func StringMap(n *yaml.Node) map[string]string {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	m := make(map[string]string, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		m[n.Content[i].Value] = n.Content[i+1].Value
	}
	return m
}
