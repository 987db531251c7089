package helm4

import (
	"fmt"
	"maps"
	"sort"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

// doc is one document of a rendered stream.
type doc struct {
	raw    string // its bytes, from its `---` line up to the next one
	source string // the path of its `# Source:` comment, if any
	obj    map[string]any
}

// key names the object: apiVersion, kind, namespace/name.
func (d doc) key() string {
	meta, _ := d.obj["metadata"].(map[string]any)
	ns, _ := meta["namespace"].(string)
	name, _ := meta["name"].(string)
	if ns != "" {
		name = ns + "/" + name
	}
	return fmt.Sprintf("%v %v %s", d.obj["apiVersion"], d.obj["kind"], name)
}

func (d doc) kind() string { k, _ := d.obj["kind"].(string); return k }

// annotations returns the object's annotations, nil if none.
func (d doc) annotations() map[string]any {
	meta, _ := d.obj["metadata"].(map[string]any)
	a, _ := meta["annotations"].(map[string]any)
	return a
}

// splitDocs splits a stream at its column-0 `---` lines and parses each
// non-empty document. Joining the raw documents gives the stream back.
func splitDocs(t *testing.T, stream []byte) []doc {
	t.Helper()
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
		t.Fatalf("splitDocs lost bytes: %d in, %d out", len(stream), len(got))
	}
	var docs []doc
	for i, raw := range raws {
		d := doc{raw: raw}
		for _, line := range strings.Split(raw, "\n") {
			if src, ok := strings.CutPrefix(line, "# Source: "); ok {
				d.source = src
				break
			}
		}
		if err := yaml.Unmarshal([]byte(raw), &d.obj); err != nil {
			t.Fatalf("document %d (%s) does not parse: %v\n%s", i+1, d.source, err, raw)
		}
		if d.obj != nil {
			docs = append(docs, d)
		}
	}
	return docs
}

// byKey indexes documents by key, failing the test on a duplicate.
func byKey(t *testing.T, docs []doc) map[string]doc {
	t.Helper()
	m := map[string]doc{}
	for _, d := range docs {
		if _, dup := m[d.key()]; dup {
			t.Fatalf("two documents are %s", d.key())
		}
		m[d.key()] = d
	}
	return m
}

// keys lists the documents' keys in stream order.
func keys(docs []doc) []string {
	out := make([]string, len(docs))
	for i, d := range docs {
		out[i] = d.key()
	}
	return out
}

// find returns the document with the kind and name, failing the test when
// there is none.
func find(t *testing.T, docs []doc, kind, name string) doc {
	t.Helper()
	for _, d := range docs {
		meta, _ := d.obj["metadata"].(map[string]any)
		if d.kind() == kind && meta["name"] == name {
			return d
		}
	}
	t.Fatalf("no %s %s in %v", kind, name, keys(docs))
	return doc{}
}

// without returns a deep copy of obj with the annotation removed, and the
// annotations map too when that leaves it empty.
func without(obj map[string]any, annotation string) map[string]any {
	data, err := yaml.Marshal(obj)
	if err != nil {
		panic(err)
	}
	var out map[string]any
	if err := yaml.Unmarshal(data, &out); err != nil {
		panic(err)
	}
	if meta, ok := out["metadata"].(map[string]any); ok {
		if a, ok := meta["annotations"].(map[string]any); ok {
			delete(a, annotation)
			if len(a) == 0 {
				delete(meta, "annotations")
			}
		}
	}
	return out
}

// podSpec returns the pod spec of a workload document.
func podSpec(t *testing.T, d doc) map[string]any {
	t.Helper()
	spec, _ := d.obj["spec"].(map[string]any)
	if d.kind() != "Pod" {
		tmpl, _ := spec["template"].(map[string]any)
		spec, _ = tmpl["spec"].(map[string]any)
	}
	if spec == nil {
		t.Fatalf("%s has no pod spec", d.key())
	}
	return spec
}

// named returns the item called name of a list of containers or volumes,
// or nil.
func named(list any, name string) map[string]any {
	items, _ := list.([]any)
	for _, it := range items {
		m, _ := it.(map[string]any)
		if m["name"] == name {
			return m
		}
	}
	return nil
}

// itemNames lists the names of a list of containers or volumes.
func itemNames(list any) []string {
	items, _ := list.([]any)
	var out []string
	for _, it := range items {
		m, _ := it.(map[string]any)
		n, _ := m["name"].(string)
		out = append(out, n)
	}
	return out
}

// sortedKeys returns a map's keys, sorted.
func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range maps.Keys(m) {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// lineDiff summarises how two texts differ line by line (a plain LCS diff
// with no context): "-" for a, "+" for b.
func lineDiff(a, b string) string {
	x, y := strings.Split(a, "\n"), strings.Split(b, "\n")
	lcs := make([][]int, len(x)+1)
	for i := range lcs {
		lcs[i] = make([]int, len(y)+1)
	}
	for i := len(x) - 1; i >= 0; i-- {
		for j := len(y) - 1; j >= 0; j-- {
			if x[i] == y[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	var b2 strings.Builder
	i, j := 0, 0
	for i < len(x) || j < len(y) {
		switch {
		case i < len(x) && j < len(y) && x[i] == y[j]:
			i, j = i+1, j+1
		case j < len(y) && (i == len(x) || lcs[i][j+1] >= lcs[i+1][j]):
			fmt.Fprintf(&b2, "+%s\n", y[j])
			j++
		default:
			fmt.Fprintf(&b2, "-%s\n", x[i])
			i++
		}
	}
	return b2.String()
}
