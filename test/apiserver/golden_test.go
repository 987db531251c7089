package apiserver

import (
	"bufio"
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"

	"github.com/debug-overlay/debug-overlay/generator"
	"github.com/debug-overlay/debug-overlay/generator/overlay"
	"github.com/debug-overlay/debug-overlay/test/cluster"
)

// TestGoldenExpectedAccepted: the API server accepts every golden case's
// expected.yaml, the overlay's output for it, as it would accept a Helm
// release: server-side dry-run apply with strict field validation. When the
// output is refused, the case's input.yaml is tried too, so the message says
// whether the overlay broke a valid input. Warnings the server gives for the
// output but not for the input are failures too (duplicate names and the
// like are only warnings).
func TestGoldenExpectedAccepted(t *testing.T) {
	root := filepath.Join(repoRoot, "generator", "testdata", "golden")
	files, err := filepath.Glob(filepath.Join(root, "*", "expected.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatalf("no golden cases with an expected.yaml in %s", root)
	}
	ns := namespace(t, nil)
	var applied atomic.Int32
	t.Run("case", func(t *testing.T) {
		for _, file := range files {
			dir := filepath.Dir(file)
			t.Run(filepath.Base(dir), func(t *testing.T) {
				t.Parallel()
				if goldenCase(t, dir, ns) {
					applied.Add(1)
				}
			})
		}
	})
	t.Logf("%d of %d golden cases had objects to apply", applied.Load(), len(files))
	if applied.Load() == 0 && !t.Failed() {
		t.Fatal("no golden case had an object to apply")
	}
}

// goldenCase applies one case's expected.yaml and reports whether it held
// any object.
func goldenCase(t *testing.T, dir, ns string) bool {
	expected := readFile(t, filepath.Join(dir, "expected.yaml"))
	var kinds []overlay.WorkloadKind
	if data, err := os.ReadFile(filepath.Join(dir, "config.yaml")); err == nil {
		obj, err := generator.ParseDebugOverlay(data, "config.yaml")
		if err != nil {
			t.Fatal(err)
		}
		kinds = obj.Spec.Kinds
	} else if !errors.Is(err, fs.ErrNotExist) {
		t.Fatal(err)
	}

	out := prepare(t, expected, kinds, ns)
	if len(out) == 0 {
		t.Logf("expected.yaml holds no object: nothing to apply")
		return false
	}
	warnings, errs := applyAll(out)
	if len(errs) == 0 && len(warnings) == 0 {
		t.Logf("accepted: %s", describe(out))
		return true
	}
	// Compare with the input, without the DebugOverlay documents (configuration
	// the overlay consumes, which the server does not know).
	in := prepare(t, readFile(t, filepath.Join(dir, "input.yaml")), kinds, ns)
	inWarnings, inErrs := applyAll(in)
	for _, err := range errs {
		verdict := "input.yaml is accepted, so the overlay broke it"
		if len(inErrs) > 0 {
			verdict = "input.yaml is refused too, so the case's input is invalid: " + strings.Join(inErrs, "; ")
		}
		t.Errorf("the server refuses expected.yaml (%s):\n%s\n%s", describe(out), err, verdict)
	}
	for _, w := range warnings {
		if !slices.Contains(inWarnings, w) {
			t.Errorf("the server warns about expected.yaml but not about input.yaml: %s", w)
		} else {
			t.Logf("warning, for input.yaml too: %s", w)
		}
	}
	return true
}

// batch is documents for one `kubectl apply -n namespace`.
type batch struct {
	namespace string
	manifest  []byte
	objects   []string // kind/name, for messages
}

// prepare groups the objects of a stream by namespace: objects that name
// none go to ns. The stream is sent unchanged when it fits one batch. Objects
// of the custom kinds a case configures (CRDs this server does not have) are
// sent as a PodTemplate holding their pod template, which the server
// validates as it would a Deployment's; other kinds the server does not
// serve, and DebugOverlay documents, are left out.
func prepare(t *testing.T, stream []byte, kinds []overlay.WorkloadKind, ns string) []batch {
	t.Helper()
	var batches []batch
	changed := false
	r := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(stream)))
	for {
		doc, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("splitting the stream: %v", err)
		}
		var head struct {
			APIVersion string `json:"apiVersion"`
			Kind       string `json:"kind"`
			Metadata   struct {
				Name      string `json:"name"`
				Namespace string `json:"namespace"`
			} `json:"metadata"`
		}
		if err := yaml.Unmarshal(bytes.TrimPrefix(doc, []byte("\ufeff")), &head); err != nil {
			t.Fatalf("reading a document's kind: %v\n%s", err, doc)
		}
		if head.Kind == "" {
			continue // empty, or only comments: kubectl skips these too
		}
		if head.Kind == overlay.Kind && head.APIVersion == overlay.APIVersion {
			changed = true
			continue
		}
		label := head.Kind + "/" + head.Metadata.Name
		if k, ok := customKind(kinds, head.APIVersion, head.Kind); ok {
			doc = asPodTemplate(t, doc, k, head.Metadata.Name)
			label += " (as PodTemplate)"
			changed = true
		} else if served, err := kube.Serves(head.APIVersion, head.Kind); err != nil {
			t.Fatal(err)
		} else if !served {
			// A custom resource the overlay does not treat as a workload: it
			// is passed through unchanged, and this server has no CRD for it.
			t.Logf("left out %s %s: not served here (no CRD), and not a configured workload kind", head.APIVersion, label)
			changed = true
			continue
		}
		target := cmp.Or(head.Metadata.Namespace, ns)
		i := slices.IndexFunc(batches, func(b batch) bool { return b.namespace == target })
		if i < 0 {
			batches = append(batches, batch{namespace: target})
			i = len(batches) - 1
		}
		b := &batches[i]
		if len(b.manifest) > 0 {
			b.manifest = append(b.manifest, "\n---\n"...)
		}
		b.manifest = append(b.manifest, doc...)
		b.objects = append(b.objects, label)
	}
	if len(batches) == 1 && !changed {
		batches[0].manifest = stream
	}
	for _, b := range batches {
		ensureNamespace(t, b.namespace)
	}
	return batches
}

// applyAll dry-runs each batch and returns the server's warnings and the
// refusals.
func applyAll(batches []batch) (warnings, errs []string) {
	for _, b := range batches {
		w, err := kube.ApplyServerDryRun(b.namespace, b.manifest)
		warnings = append(warnings, w...)
		if err != nil {
			errs = append(errs, err.Error())
		}
	}
	return warnings, errs
}

func describe(batches []batch) string {
	var parts []string
	for _, b := range batches {
		parts = append(parts, "namespace "+b.namespace+": "+strings.Join(b.objects, ", "))
	}
	return strings.Join(parts, "; ")
}

// customKind finds a configured kind that is not built in.
func customKind(kinds []overlay.WorkloadKind, apiVersion, kind string) (overlay.WorkloadKind, bool) {
	group := ""
	if i := strings.LastIndexByte(apiVersion, '/'); i >= 0 {
		group = apiVersion[:i]
	}
	for _, k := range kinds {
		if k.Group == group && k.Kind == kind && !slices.Contains(overlay.BuiltinKinds, k) {
			return k, true
		}
	}
	return overlay.WorkloadKind{}, false
}

// asPodTemplate wraps the pod template of a custom resource in a PodTemplate.
func asPodTemplate(t *testing.T, doc []byte, k overlay.WorkloadKind, name string) []byte {
	t.Helper()
	var obj map[string]any
	if err := yaml.Unmarshal(doc, &obj); err != nil {
		t.Fatal(err)
	}
	var tmpl any = obj
	for _, f := range strings.Split(k.TemplatePath, ".") {
		if f == "" {
			continue
		}
		m, _ := tmpl.(map[string]any)
		tmpl = m[f]
	}
	if tmpl == nil {
		t.Fatalf("%s %s has nothing at %s", k.Kind, name, k.TemplatePath)
	}
	out, err := json.Marshal(map[string]any{
		"apiVersion": "v1",
		"kind":       "PodTemplate",
		"metadata":   map[string]any{"name": name + "-" + strings.ToLower(k.Kind)},
		"template":   tmpl,
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

var (
	namespacesMu sync.Mutex
	namespaces   = map[string]bool{}
)

// ensureNamespace creates a namespace that objects name (or gives an
// existing one such as kube-system its default ServiceAccount), once.
func ensureNamespace(t *testing.T, name string) {
	t.Helper()
	namespacesMu.Lock()
	defer namespacesMu.Unlock()
	if namespaces[name] {
		return
	}
	err := kube.CreateNamespace(name, nil)
	if errors.Is(err, cluster.ErrAlreadyExists) {
		err = kube.EnsureDefaultServiceAccount(name)
	}
	if err != nil {
		t.Fatal(err)
	}
	namespaces[name] = true
}

func readFile(t *testing.T, file string) []byte {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	return data
}
