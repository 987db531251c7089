package podcheck

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"
)

// Template is a pod template of a golden case's input.
type Template struct {
	// From names it: case, document, kind.
	From string
	Kind string
	// Spec is the template's spec as decoded JSON, and Pod as a typed
	// spec.
	Spec map[string]any
	Pod  corev1.PodSpec
}

// separator splits a stream at its `---` lines (start markers of a
// document, with or without a comment after them).
var separator = regexp.MustCompile(`(?m)^---.*$`)

// GoldenTemplates returns the pod templates of every workload in the
// golden cases' inputs (generator/testdata/golden/*/input.yaml) that
// decode into a pod spec with containers. path says where a kind keeps
// its template (overlay's kind table: this package cannot import it,
// whose tests use this); ok false means not a workload.
func GoldenTemplates(tb testing.TB, path func(apiVersion, kind string) (fields []string, ok bool)) []Template {
	tb.Helper()
	_, file, _, _ := runtime.Caller(0)
	files, err := filepath.Glob(filepath.Join(filepath.Dir(file), "..", "..", "generator", "testdata", "golden", "*", "input.yaml"))
	if err != nil || len(files) == 0 {
		tb.Fatalf("no golden inputs: %v", err)
	}
	var out []Template
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			tb.Fatal(err)
		}
		for i, doc := range separator.Split(string(data), -1) {
			var obj map[string]any
			if yaml.Unmarshal([]byte(doc), &obj) != nil || obj == nil {
				continue
			}
			apiVersion, _ := obj["apiVersion"].(string)
			kind, _ := obj["kind"].(string)
			fields, ok := path(apiVersion, kind)
			if !ok {
				continue
			}
			tmpl := obj
			for _, f := range fields {
				tmpl, _ = tmpl[f].(map[string]any)
			}
			spec, _ := tmpl["spec"].(map[string]any)
			data, err := json.Marshal(spec)
			if err != nil {
				continue
			}
			t := Template{From: fmt.Sprintf("%s document %d (%s)", filepath.Base(filepath.Dir(f)), i+1, kind), Kind: kind, Spec: spec}
			if json.Unmarshal(data, &t.Pod) != nil || len(t.Pod.Containers) == 0 {
				continue
			}
			out = append(out, t)
		}
	}
	return out
}
