package blockyaml_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"testing"

	"github.com/debug-overlay/debug-overlay/generator/overlay"
	"github.com/debug-overlay/debug-overlay/internal/blockyaml"
	"github.com/debug-overlay/debug-overlay/internal/stream"
	"github.com/debug-overlay/debug-overlay/internal/testcorpus"
	"github.com/debug-overlay/debug-overlay/internal/yamltree"
	"github.com/google/go-cmp/cmp"
	"go.yaml.in/yaml/v3"
)

// sameStructure compares the index of a document with yaml.v3's tree of it:
// same mappings with the same keys in the same order, same sequence
// lengths, same scalar values where the index can read them.
func sameStructure(d *blockyaml.Doc, n blockyaml.Node, y *yaml.Node, at string) error {
	switch d.Kind(n) {
	case blockyaml.Map:
		if y.Kind != yaml.MappingNode || y.Style&yaml.FlowStyle != 0 {
			return fmt.Errorf("%s: index has a block mapping, yaml.v3 %v", at, y.Kind)
		}
		i := 0
		for c := range d.Children(n) {
			if i+1 >= len(y.Content) {
				return fmt.Errorf("%s: index has more keys", at)
			}
			key := d.Key(c)
			if y.Content[i].Value != key {
				return fmt.Errorf("%s: key %q, yaml.v3 %q", at, key, y.Content[i].Value)
			}
			if err := sameStructure(d, c, y.Content[i+1], at+"."+key); err != nil {
				return err
			}
			i += 2
		}
		if i != len(y.Content) {
			return fmt.Errorf("%s: yaml.v3 has more keys", at)
		}
	case blockyaml.Seq:
		if y.Kind != yaml.SequenceNode || y.Style&yaml.FlowStyle != 0 {
			return fmt.Errorf("%s: index has a block sequence, yaml.v3 %v", at, y.Kind)
		}
		i := 0
		for c := range d.Children(n) {
			if i >= len(y.Content) {
				return fmt.Errorf("%s: index has more items", at)
			}
			if err := sameStructure(d, c, y.Content[i], fmt.Sprintf("%s[%d]", at, i)); err != nil {
				return err
			}
			i++
		}
		if i != len(y.Content) {
			return fmt.Errorf("%s: yaml.v3 has more items", at)
		}
	case blockyaml.Null:
		if y.Kind != yaml.ScalarNode || y.Value != "" || y.ShortTag() != "!!null" {
			return fmt.Errorf("%s: index has an empty value, yaml.v3 %v %q", at, y.Kind, y.Value)
		}
	case blockyaml.BlockScalar:
		if y.Kind != yaml.ScalarNode || y.Style&(yaml.LiteralStyle|yaml.FoldedStyle) == 0 {
			return fmt.Errorf("%s: index has a block scalar, yaml.v3 %v", at, y.Kind)
		}
	case blockyaml.Scalar:
		switch d.Quote(n) {
		case '[':
			if y.Kind != yaml.SequenceNode {
				return fmt.Errorf("%s: index has a flow sequence, yaml.v3 %v", at, y.Kind)
			}
		case '{':
			if y.Kind != yaml.MappingNode {
				return fmt.Errorf("%s: index has a flow mapping, yaml.v3 %v", at, y.Kind)
			}
		default:
			if y.Kind != yaml.ScalarNode {
				return fmt.Errorf("%s: index has a scalar, yaml.v3 %v", at, y.Kind)
			}
			if s, ok := d.Str(n); ok && s != y.Value {
				return fmt.Errorf("%s: index reads %q, yaml.v3 %q", at, s, y.Value)
			}
		}
	}
	return nil
}

// checkIndex indexes body and, when the index takes it, checks that yaml.v3
// parses it too, to the same structure. It reports whether the index took it.
func checkIndex(t *testing.T, body []byte) bool {
	t.Helper()
	var d blockyaml.Doc
	if !d.Index(body) {
		return false
	}
	dec := yaml.NewDecoder(bytes.NewReader(body))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		t.Fatalf("the index took a document yaml.v3 refuses (%v):\n%s", err, body)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		t.Fatalf("the index took a document yaml.v3 reads as two:\n%s", body)
	}
	if dups, err := yamltree.CheckKeys(doc.Content[0], 0); err != nil || len(dups) > 0 {
		t.Fatalf("the index took a document with %v %v:\n%s", err, dups, body)
	}
	if err := sameStructure(&d, blockyaml.Root, doc.Content[0], ""); err != nil {
		t.Fatalf("%v in:\n%s", err, body)
	}
	// Where the index writes JSON, it is the JSON decodeNode reads.
	if got, ok := d.AppendJSON(nil, blockyaml.Root); ok {
		var fromIndex, fromTree any
		if err := json.Unmarshal(got, &fromIndex); err != nil {
			t.Fatalf("the index wrote invalid JSON (%v): %s\nfrom:\n%s", err, got, body)
		}
		if err := yamltree.Decode(doc.Content[0], &fromTree); err != nil {
			t.Fatalf("the index wrote JSON for what yaml.v3 cannot decode (%v): %s\nfrom:\n%s", err, got, body)
		}
		if diff := cmp.Diff(fromTree, fromIndex); diff != "" {
			t.Fatalf("JSON from the index differs from yaml.v3's (-yaml.v3 +index):\n%s\nfrom:\n%s", diff, body)
		}
	}
	return true
}

func TestBlockDocCases(t *testing.T) {
	for _, tc := range []struct {
		name string
		body string
		want bool
	}{
		{"simple", "a: 1\nb:\n  c: x\n", true},
		{"compact sequence", "a:\n- x\n- y: 1\n  z: 2\nb: c\n", true},
		{"indented sequence", "a:\n  - x\n  -   y: 1\n      z: 2\n", true},
		{"comments everywhere", "# c\na: 1 # c\n# c\n  # c\nb:\n    # c\n  - x # c\n#c\n", true},
		{"quoted", "'a b': \"c: d\"\n\"e\": 'it''s' # c\n", true},
		{"flow one line", "a: []\nb: {}\nc: [1, {d: e}]\n", true},
		{"block scalars", "a: |\n  x\n\n  y: z\n    - w\nb: >-\n  q\nc:\n- |+\n  r\n\n", true},
		{"null values", "a:\nb: ~\nc:\n- \n-\n", true},
		{"no final newline", "a: 1\nb: x", true},
		{"nested items", "a:\n- - x\n", false},
		{"anchor", "a: &x 1\nb: *x\n", false},
		{"tag", "a: !!str 1\n", false},
		{"multi-line plain", "a: x\n  y\n", false},
		{"multi-line quoted", "a: \"x\n  y\"\n", false},
		{"multi-line flow", "a: [x,\n  y]\n", false},
		{"duplicate key", "a: 1\nb: 2\na: 3\n", false},
		{"duplicate quoted key", "a: 1\n'a': 3\n", false},
		{"complex key", "? a\n: 1\n", false},
		{"tab indentation", "a:\n\tb: 1\n", false},
		{"crlf", "a: 1\r\n", false},
		{"bad indentation", "a:\n    b: 1\n  c: 2\n", false},
		{"mapping in value", "a: b: c\n", false},
		{"indentation indicator", "a: |2\n   x\n", false},
		{"text after quote", "a: 'x' y\n", false},
		{"scalar document", "just text\n", false},
		{"empty", "# only a comment\n", false},
		{"document marker", "a: 1\n...\n", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := checkIndex(t, []byte(tc.body)); got != tc.want {
				t.Errorf("index took it: %v, want %v", got, tc.want)
			}
		})
	}
}

// TestBlockDocStreams indexes every document of the golden inputs and of
// random streams: whatever the index takes, yaml.v3 reads the same way, and
// the index takes every workload the stream generator writes.
func TestBlockDocStreams(t *testing.T) {
	docs := testcorpus.GoldenDocs(t)
	took := 0
	for _, raw := range docs {
		if _, body := stream.SplitPreamble(raw); len(body) > 0 && checkIndex(t, body) {
			took++
		}
	}
	t.Logf("golden inputs: the index took %d of %d documents", took, len(docs))
	g := testcorpus.NewStreams(7, false)
	for range 100 {
		s, _ := g.Next()
		for _, raw := range testcorpus.SplitRaw(s) {
			_, body := stream.SplitPreamble(raw)
			if len(body) == 0 || stream.ScanHeader(raw).Kind == overlay.Kind {
				continue
			}
			if !checkIndex(t, body) {
				t.Fatalf("the index refused a generated document:\n%s", raw)
			}
		}
	}
}

func FuzzBlockDoc(f *testing.F) {
	for _, raw := range testcorpus.GoldenDocs(f) {
		_, body := stream.SplitPreamble(raw)
		f.Add(body)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		checkIndex(t, body)
	})
}
