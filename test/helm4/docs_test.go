package helm4

import (
	"fmt"
	"maps"
	"sort"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/debug-overlay/debug-overlay/test/testenv"
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
	parsed, err := testenv.SplitDocuments(stream)
	if err != nil {
		t.Fatal(err)
	}
	var docs []doc
	for _, p := range parsed {
		if p.Object != nil {
			docs = append(docs, doc{raw: p.Raw, source: p.Source, obj: p.Object})
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
