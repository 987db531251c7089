package e2e

import (
	"testing"

	"github.com/debug-overlay/debug-overlay/test/testenv"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"
)

// doc is one document of a rendered stream.
type doc struct {
	raw    string // its bytes, from its `---` line up to the next one
	source string // the path of Helm 3's `# Source:` comment, if any
	kind   string
	name   string
	obj    map[string]any // parsed with sigs.k8s.io/yaml; nil when empty
}

func (d doc) String() string {
	s := d.kind + "/" + d.name
	if d.source != "" {
		s += " (" + d.source + ")"
	}
	return s
}

// splitDocs splits a stream at its column-0 `---` lines and parses each
// document. Joining the raw documents gives the stream back exactly.
func splitDocs(t *testing.T, stream []byte) []doc {
	t.Helper()
	parsed, err := testenv.SplitDocuments(stream)
	if err != nil {
		t.Fatal(err)
	}
	docs := make([]doc, len(parsed))
	for i, p := range parsed {
		docs[i] = doc{raw: p.Raw, source: p.Source, obj: p.Object}
		docs[i].kind, _ = p.Object["kind"].(string)
		if meta, ok := p.Object["metadata"].(map[string]any); ok {
			docs[i].name, _ = meta["name"].(string)
		}
	}
	return docs
}

// objects returns the non-empty documents.
func objects(docs []doc) []doc {
	var out []doc
	for _, d := range docs {
		if d.obj != nil {
			out = append(out, d)
		}
	}
	return out
}

// find returns the one document of a kind, failing the test when there is
// not exactly one.
func find(t *testing.T, docs []doc, kind string) doc {
	t.Helper()
	var found []doc
	for _, d := range docs {
		if d.kind == kind {
			found = append(found, d)
		}
	}
	if len(found) != 1 {
		t.Fatalf("want one %s document, found %d in %v", kind, len(found), docs)
	}
	return found[0]
}

// count returns how many documents have the kind.
func count(docs []doc, kind string) int {
	n := 0
	for _, d := range docs {
		if d.kind == kind {
			n++
		}
	}
	return n
}

// statefulSet decodes the one StatefulSet of a stream strictly: a field the
// Kubernetes API does not know is an error.
func statefulSet(t *testing.T, docs []doc) *appsv1.StatefulSet {
	t.Helper()
	d := find(t, docs, "StatefulSet")
	var sts appsv1.StatefulSet
	if err := yaml.UnmarshalStrict([]byte(d.raw), &sts); err != nil {
		t.Fatalf("%s does not decode strictly as a StatefulSet: %v\n%s", d, err, d.raw)
	}
	return &sts
}

// container returns the named container of a list, or nil.
func container(cs []corev1.Container, name string) *corev1.Container {
	for i := range cs {
		if cs[i].Name == name {
			return &cs[i]
		}
	}
	return nil
}

// volume returns the named volume, or nil.
func volume(vs []corev1.Volume, name string) *corev1.Volume {
	for i := range vs {
		if vs[i].Name == name {
			return &vs[i]
		}
	}
	return nil
}

// names lists the names of containers.
func names(cs []corev1.Container) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.Name
	}
	return out
}

// sources lists the `# Source:` paths of documents, in order.
func sources(docs []doc) []string {
	out := make([]string, len(docs))
	for i, d := range docs {
		out[i] = d.source
	}
	return out
}

// diff returns a line diff of want and got with three lines of context
// (see testenv.LineDiff); "" when they are equal.
func diff(want, got []byte) string {
	return testenv.LineDiff(string(want), string(got), 3)
}
