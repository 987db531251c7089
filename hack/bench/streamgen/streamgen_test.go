package streamgen

import (
	"bytes"
	"errors"
	"io"
	"testing"

	"go.yaml.in/yaml/v3"
)

// TestStream checks that every generated document is valid YAML holding one
// object of the kind Counts promised, and that the stream is deterministic.
func TestStream(t *testing.T) {
	const docs = 2000
	data := Generate(Options{Docs: docs, Seed: 1})
	if again := Generate(Options{Docs: docs, Seed: 1}); !bytes.Equal(data, again) {
		t.Fatal("the same options gave different streams")
	}
	if other := Generate(Options{Docs: docs, Seed: 2}); bytes.Equal(data, other) {
		t.Fatal("another seed gave the same stream")
	}
	want := map[string]int{}
	for _, kc := range Counts(docs) {
		want[kc.Kind] = kc.N
	}
	got := map[string]int{}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for i := 0; ; i++ {
		var obj struct {
			Kind     string `yaml:"kind"`
			Metadata struct {
				Name string `yaml:"name"`
			} `yaml:"metadata"`
		}
		if err := dec.Decode(&obj); err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			t.Fatalf("document %d: %v", i+1, err)
		}
		if obj.Kind == "" || obj.Metadata.Name == "" {
			t.Fatalf("document %d: no kind or name", i+1)
		}
		got[obj.Kind]++
	}
	for k, n := range want {
		if got[k] != n {
			t.Errorf("%s: got %d documents, want %d", k, got[k], n)
		}
	}
	for _, k := range WorkloadKinds {
		if want[k] == 0 {
			t.Errorf("no %s in a stream of %d documents", k, docs)
		}
	}
	if n := bytes.Count(data, []byte("\n# Source: ")); n != docs {
		t.Errorf("got %d # Source: lines, want %d", n, docs)
	}
	// About 2.9 KB a document, so 50,000 documents make about 145 MB.
	if perDoc := len(data) / docs; perDoc < 2500 || perDoc > 3300 {
		t.Errorf("got %d bytes a document, want about 2,900", perDoc)
	}
}

func TestCounts(t *testing.T) {
	for _, n := range []int{0, 1, 5, 13, 14, 100, 1000, 50000} {
		total := 0
		for _, kc := range Counts(n) {
			if kc.N < 0 {
				t.Errorf("Counts(%d): %s: %d", n, kc.Kind, kc.N)
			}
			total += kc.N
		}
		if total != n {
			t.Errorf("Counts(%d) adds up to %d", n, total)
		}
	}
}

// TestCRDStream checks the CRD-only stream: deterministic, every document a
// valid CustomResourceDefinition with its own name, about 4.5 MB.
func TestCRDStream(t *testing.T) {
	o := Options{Docs: CRDStreamDocs, Seed: 1, CRDs: true}
	data := Generate(o)
	if again := Generate(o); !bytes.Equal(data, again) {
		t.Fatal("the same options gave different streams")
	}
	if mb := float64(len(data)) / 1e6; mb < 4.3 || mb > 4.7 {
		t.Errorf("got %.2f MB, want about 4.5", mb)
	}
	names := map[string]bool{}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for i := 0; ; i++ {
		var obj struct {
			Kind     string `yaml:"kind"`
			Metadata struct {
				Name string `yaml:"name"`
			} `yaml:"metadata"`
			Spec struct {
				Versions []struct {
					Schema struct {
						OpenAPIV3Schema map[string]any `yaml:"openAPIV3Schema"`
					} `yaml:"schema"`
				} `yaml:"versions"`
			} `yaml:"spec"`
		}
		if err := dec.Decode(&obj); err != nil {
			if errors.Is(err, io.EOF) {
				if i != CRDStreamDocs {
					t.Errorf("got %d documents, want %d", i, CRDStreamDocs)
				}
				break
			}
			t.Fatalf("document %d: %v", i+1, err)
		}
		if obj.Kind != "CustomResourceDefinition" || names[obj.Metadata.Name] || len(obj.Spec.Versions) != 2 ||
			obj.Spec.Versions[1].Schema.OpenAPIV3Schema["properties"] == nil {
			t.Errorf("document %d: kind %q, name %q (seen before: %t), %d versions", i+1, obj.Kind, obj.Metadata.Name,
				names[obj.Metadata.Name], len(obj.Spec.Versions))
		}
		names[obj.Metadata.Name] = true
	}
}
