package podedit

import (
	"encoding/json"
	"testing"

	"github.com/debug-overlay/debug-overlay/generator/overlay"
	"github.com/debug-overlay/debug-overlay/internal/blockyaml"
	"github.com/debug-overlay/debug-overlay/internal/stream"
	"github.com/debug-overlay/debug-overlay/internal/testcorpus"
	"github.com/google/go-cmp/cmp"
)

// TestPodSpecJSON: the pod spec fields read as JSON from the index are the
// ones yaml.v3 reads from the projection, on every workload of the golden
// inputs and of random streams; and the generated workloads never need
// yaml.v3 at all.
func TestPodSpecJSON(t *testing.T) {
	docs := testcorpus.GoldenDocs(t)
	docs = append(docs, []byte("apiVersion: v1\nkind: Pod\nspec:\n  containers:\n  - name: a\n  volumes:\n  - name: s\n    secret:\n      defaultMode: 0440\n"))
	generated := len(docs)
	g := testcorpus.NewStreams(27, false)
	for range 100 {
		s, _ := g.Next()
		docs = append(docs, testcorpus.SplitRaw(s)...)
	}
	table := overlay.NewKindTable(nil)
	compared := 0
	for i, raw := range docs {
		h := stream.ScanHeader(raw)
		wk, ok := table.Lookup(h.APIVersion, h.Kind)
		if !ok {
			continue
		}
		_, body := stream.SplitPreamble(raw)
		var d blockyaml.Doc
		if !d.Index(body) {
			continue
		}
		spec := d.Get(d.Path(blockyaml.Root, wk.Path()...), "spec")
		if d.Kind(spec) != blockyaml.Map {
			continue
		}
		fromYAML, yerr := podSpecYAML(&d, spec, nil)
		fromJSON, _, ok := podSpecJSON(&d, spec, nil)
		if !ok {
			if i >= generated {
				t.Errorf("a generated workload needs yaml.v3:\n%s", raw)
			}
			continue
		}
		if yerr != nil {
			t.Errorf("JSON read a pod spec yaml.v3 refuses (%v):\n%s", yerr, raw)
			continue
		}
		want, _ := json.Marshal(fromYAML)
		got, _ := json.Marshal(fromJSON)
		if d := cmp.Diff(string(want), string(got)); d != "" {
			t.Errorf("pod specs differ (-yaml.v3 +JSON):\n%s\nin:\n%s", d, raw)
		}
		compared++
	}
	if compared == 0 {
		t.Fatal("compared nothing")
	}
	t.Logf("compared %d pod specs", compared)
}
