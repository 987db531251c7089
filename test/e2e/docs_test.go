package e2e

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

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
	docs := make([]doc, 0, len(raws))
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
		d.kind, _ = d.obj["kind"].(string)
		if meta, ok := d.obj["metadata"].(map[string]any); ok {
			d.name, _ = meta["name"].(string)
		}
		docs = append(docs, d)
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

// diff returns a line diff of want and got, "-" for want and "+" for got,
// with a few lines of context; "" when they are equal.
func diff(want, got []byte) string {
	if bytes.Equal(want, got) {
		return ""
	}
	a := strings.SplitAfter(string(want), "\n")
	b := strings.SplitAfter(string(got), "\n")
	// Longest common subsequence, by dynamic programming: streams here are
	// a few hundred lines.
	lcs := make([][]int, len(a)+1)
	for i := range lcs {
		lcs[i] = make([]int, len(b)+1)
	}
	for i := len(a) - 1; i >= 0; i-- {
		for j := len(b) - 1; j >= 0; j-- {
			if a[i] == b[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	type line struct {
		op   byte
		text string
	}
	var lines []line
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		switch {
		case i < len(a) && j < len(b) && a[i] == b[j]:
			lines = append(lines, line{' ', a[i]})
			i, j = i+1, j+1
		case j < len(b) && (i == len(a) || lcs[i][j+1] >= lcs[i+1][j]):
			lines = append(lines, line{'+', b[j]})
			j++
		default:
			lines = append(lines, line{'-', a[i]})
			i++
		}
	}
	const context = 3
	var out strings.Builder
	last := -1
	for k, l := range lines {
		near := false
		for d := max(0, k-context); d <= min(len(lines)-1, k+context); d++ {
			if lines[d].op != ' ' {
				near = true
				break
			}
		}
		if !near {
			continue
		}
		if last >= 0 && k > last+1 {
			out.WriteString("  ...\n")
		}
		last = k
		text := strings.TrimSuffix(l.text, "\n")
		if !strings.HasSuffix(l.text, "\n") && l.op != ' ' {
			text += " (no newline at end)"
		}
		fmt.Fprintf(&out, "%c %s\n", l.op, text)
	}
	return out.String()
}
