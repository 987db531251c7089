package testenv

import (
	"fmt"
	"strings"

	"sigs.k8s.io/yaml"
)

// Document is one document of a YAML stream, as Helm renders it.
type Document struct {
	// Raw is its text, from its `---` line up to the next one.
	Raw string
	// Source is the template path of Helm 3's `# Source:` comment; "" when
	// there is none.
	Source string
	// Object is the document parsed with sigs.k8s.io/yaml; nil when the
	// document is empty.
	Object map[string]any
}

// SplitDocuments splits stream at its column-0 `---` lines and parses each
// document. Joining the documents' Raw texts gives the stream back exactly.
func SplitDocuments(stream []byte) ([]Document, error) {
	var raws []string
	var cur strings.Builder
	for _, line := range strings.SplitAfter(string(stream), "\n") {
		if (line == "---\n" || line == "---" || strings.HasPrefix(line, "--- ")) && cur.Len() > 0 {
			raws = append(raws, cur.String())
			cur.Reset()
		}
		cur.WriteString(line)
	}
	if cur.Len() > 0 {
		raws = append(raws, cur.String())
	}
	if got := strings.Join(raws, ""); got != string(stream) {
		return nil, fmt.Errorf("splitting the stream lost bytes: %d in, %d out", len(stream), len(got))
	}
	docs := make([]Document, 0, len(raws))
	for i, raw := range raws {
		d := Document{Raw: raw}
		for line := range strings.Lines(raw) {
			if src, ok := strings.CutPrefix(strings.TrimRight(line, "\n"), "# Source: "); ok {
				d.Source = src
				break
			}
		}
		if err := yaml.Unmarshal([]byte(raw), &d.Object); err != nil {
			return nil, fmt.Errorf("document %d (%s) does not parse: %w\n%s", i+1, d.Source, err, raw)
		}
		docs = append(docs, d)
	}
	return docs, nil
}
