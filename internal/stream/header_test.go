package stream

import (
	"bytes"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/debug-overlay/debug-overlay/hack/bench/streamgen"
	"github.com/debug-overlay/debug-overlay/internal/testcorpus"
)

func TestScanHeader(t *testing.T) {
	tests := []struct {
		name string
		raw  string
		want Header
	}{
		{
			name: "Helm 3 document",
			raw:  "---\n# Source: app/templates/d.yaml\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: x\n  kind: not this one\n",
			want: Header{APIVersion: "apps/v1", Kind: "Deployment", Source: "app/templates/d.yaml", Sure: true},
		},
		{
			name: "quoted values and a comment",
			raw:  "apiVersion: \"v1\"\nkind: 'Pod' # a pod\n",
			want: Header{APIVersion: "v1", Kind: "Pod", Sure: true},
		},
		{
			name: "Helm 4's filename annotation",
			raw:  "apiVersion: v1\nkind: Pod\nmetadata:\n  annotations:\n    postrenderer.helm.sh/postrender-filename: x/templates/p.yaml\n",
			want: Header{APIVersion: "v1", Kind: "Pod", Source: "x/templates/p.yaml", Sure: true},
		},
		{
			name: "CRLF",
			raw:  "---\r\n# Source: x.yaml\r\napiVersion: v1\r\nkind: Pod\r\n",
			want: Header{APIVersion: "v1", Kind: "Pod", Source: "x.yaml", Sure: true},
		},
		{
			name: "byte order mark",
			raw:  "\ufeff# Source: x.yaml\napiVersion: v1\nkind: Pod\n",
			want: Header{APIVersion: "v1", Kind: "Pod", Source: "x.yaml", Sure: true},
		},
		{name: "comments only", raw: "---\n# Source: x.yaml\n\n# nothing\n", want: Header{Source: "x.yaml", Empty: true}},
		{name: "end marker only", raw: "---\n...\n", want: Header{Empty: true}},
		{name: "JSON", raw: `{"apiVersion": "v1", "kind": "Pod"}`, want: Header{}},
		{name: "kind twice", raw: "kind: Pod\nkind: Service\napiVersion: v1\n", want: Header{APIVersion: "v1", Kind: "Service"}},
		{name: "anchor at the top level", raw: "apiVersion: v1\nkind: Pod\n&a x: 1\n", want: Header{APIVersion: "v1", Kind: "Pod"}},
		{name: "value with odd characters", raw: "apiVersion: v1\nkind: Po:d\n", want: Header{APIVersion: "v1", Kind: "Po:d"}},
		{name: "value continued on the next line", raw: "apiVersion: v1\nkind: Deployment\n  0\nspec: {}\n", want: Header{APIVersion: "v1", Kind: "Deployment"}},
		{name: "value continued after a blank line", raw: "kind: Pod\n\n  x\napiVersion: v1\n", want: Header{APIVersion: "v1", Kind: "Pod"}},
		{name: "indented comment after the value", raw: "kind: Pod\n  # c\napiVersion: v1\n", want: Header{APIVersion: "v1", Kind: "Pod", Sure: true}},
		{name: "no kind", raw: "apiVersion: v1\nfoo: bar\n", want: Header{APIVersion: "v1"}},
		{name: "indented lines only", raw: "---\n  a: 1\n", want: Header{}},
		{name: "value continued after an indented comment", raw: "kind: Pod\n  # c\n  x\napiVersion: v1\n", want: Header{APIVersion: "v1", Kind: "Pod"}},
		{
			name: "Helm 4's annotation after an indented block",
			raw:  "apiVersion: v1\nkind: Pod\nspec:\n  a: postrenderer.helm.sh/postrender-filename: no\nmetadata:\n  annotations:\n    postrenderer.helm.sh/postrender-filename: x.yaml\n",
			want: Header{APIVersion: "v1", Kind: "Pod", Source: "x.yaml", Sure: true},
		},
		{
			name: "source comment after Helm 4's annotation",
			raw:  "apiVersion: v1\nkind: Pod\nmetadata:\n  annotations:\n    postrenderer.helm.sh/postrender-filename: x.yaml\n# Source: y.yaml\n",
			want: Header{APIVersion: "v1", Kind: "Pod", Source: "x.yaml", Sure: true},
		},
		{
			name: "kind twice, far apart",
			raw:  "apiVersion: v1\nkind: Pod\nspec:\n" + strings.Repeat("  a: b\n", 1000) + "kind: Service\n",
			want: Header{APIVersion: "v1", Kind: "Service"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ScanHeader([]byte(tt.raw))
			if diff := cmp.Diff(tt.want, got, cmp.AllowUnexported(Header{})); diff != "" {
				t.Errorf("ScanHeader (-want +got):\n%s", diff)
			}
		})
	}
}

// scanHeaderLines is ScanHeader as it was before it learnt to skip indented
// lines: every line trimmed and looked at. ScanHeader must agree with it on
// every input.
func scanHeaderLines(raw []byte) Header {
	var h Header
	h.Empty = true
	kinds, versions := 0, 0
	clean := true
	afterValue := false
	raw = bytes.TrimPrefix(raw, ByteOrderMark)
	for len(raw) > 0 {
		var line []byte
		if i := bytes.IndexByte(raw, '\n'); i >= 0 {
			line, raw = raw[:i], raw[i+1:]
		} else {
			line, raw = raw, nil
		}
		line = bytes.TrimRight(line, "\r")
		t := bytes.TrimSpace(line)
		if len(t) == 0 {
			continue
		}
		if t[0] == '#' {
			if h.Source == "" && bytes.HasPrefix(line, []byte("# Source: ")) {
				h.Source = string(line[len("# Source: "):])
			}
			continue
		}
		if IsSeparator(line) && len(t) == 3 || string(t) == "..." {
			continue
		}
		h.Empty = false
		if h.Source == "" && bytes.HasPrefix(t, helm4Filename) {
			h.Source, _ = plainValue(t[len(helm4Filename):], true)
		}
		if afterValue && (line[0] == ' ' || line[0] == '\t') {
			clean = false
		}
		afterValue = false
		switch {
		case bytes.HasPrefix(line, []byte("kind:")):
			kinds++
			h.Kind, clean = plainValue(line[len("kind:"):], clean)
			afterValue = true
		case bytes.HasPrefix(line, []byte("apiVersion:")):
			versions++
			h.APIVersion, clean = plainValue(line[len("apiVersion:"):], clean)
			afterValue = true
		case line[0] == '-' && (len(line) == 1 || line[1] == ' '):
		case line[0] == '{' || line[0] == '[' || line[0] == '%' || line[0] == '!' || line[0] == '&' || line[0] == '-':
			clean = false
		}
	}
	h.Sure = clean && kinds == 1 && versions == 1 && h.Kind != "" && h.APIVersion != ""
	return h
}

// headerCorpus is what the header scan is checked on: every golden
// document, random Helm-like streams (some in odd YAML), and the benchmark
// streams, with Helm 4's annotation in place of the source comments.
func headerCorpus(tb testing.TB) [][]byte {
	docs := testcorpus.GoldenDocs(tb)
	g := testcorpus.NewStreams(22, true)
	for range 200 {
		s, _ := g.Next()
		docs = append(docs, testcorpus.SplitRaw(s)...)
	}
	for _, o := range []streamgen.Options{{Docs: 300, Seed: 1}, {Docs: 2, Seed: 1, CRDs: true}} {
		for _, d := range testcorpus.SplitRaw(streamgen.Generate(o)) {
			docs = append(docs, d, helm4Document(d))
		}
	}
	return docs
}

// helm4Document turns a Helm 3 document into what Helm 4 sends: no source
// comment, the template's name in an annotation.
func helm4Document(doc []byte) []byte {
	pre, body, ok := bytes.Cut(doc, []byte("# Source: "))
	if !ok {
		return doc
	}
	source, body, _ := bytes.Cut(body, []byte("\n"))
	body = bytes.Replace(body, []byte("\nmetadata:\n"),
		[]byte("\nmetadata:\n  annotations:\n    postrenderer.helm.sh/postrender-filename: "+string(source)+"\n"), 1)
	return append(pre, body...)
}

// TestScanHeaderAgrees checks ScanHeader against the line-by-line scan on
// the corpus.
func TestScanHeaderAgrees(t *testing.T) {
	docs := headerCorpus(t)
	sources := 0
	for i, doc := range docs {
		want := scanHeaderLines(doc)
		if diff := cmp.Diff(want, ScanHeader(doc)); diff != "" {
			t.Fatalf("document %d %q: ScanHeader (-line scan +ScanHeader):\n%s", i, doc, diff)
		}
		if want.Source != "" {
			sources++
		}
	}
	if sources < len(docs)/2 {
		t.Errorf("only %d of %d documents have a source: the corpus does not exercise it", sources, len(docs))
	}
}

// FuzzScanHeader checks that ScanHeader, which skips indented lines, says
// what the line-by-line scan says of any input.
func FuzzScanHeader(f *testing.F) {
	for _, doc := range headerCorpus(f) {
		if len(doc) < 4<<10 {
			f.Add(doc)
		}
	}
	f.Add([]byte("kind: Pod\n\n  x\napiVersion: v1\n"))
	f.Add([]byte("  postrenderer.helm.sh/postrender-filename: a\n# Source: b\nkind: A\napiVersion: v1\n"))
	f.Add([]byte("\ufeff\t\r\n kind: a\n\u00a0postrenderer.helm.sh/postrender-filename: x\n"))
	f.Fuzz(func(t *testing.T, raw []byte) {
		if diff := cmp.Diff(scanHeaderLines(raw), ScanHeader(raw)); diff != "" {
			t.Fatalf("ScanHeader(%q) (-line scan +ScanHeader):\n%s", raw, diff)
		}
	})
}
