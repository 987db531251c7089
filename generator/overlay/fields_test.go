package overlay_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/randfill"
	sigsyaml "sigs.k8s.io/yaml"

	"github.com/debug-overlay/debug-overlay/generator/overlay"
	"github.com/debug-overlay/debug-overlay/internal/podedit"
	"github.com/debug-overlay/debug-overlay/internal/stream"
	"github.com/debug-overlay/debug-overlay/internal/testcorpus"
)

// TestApplyReadsOnlyDeclaredFields holds Apply to PodFields and
// ContainerFields, which is all the splice editor decodes (issue 13): every
// pod of the golden inputs and of random streams is overlaid twice, once
// with only the declared fields (a container's env only where a mount uses
// subPathExpr, as the projection does), once with every other field of
// the pod spec and its containers filled with random values. Were Apply to
// read a field outside the declaration, the two would differ.
func TestApplyReadsOnlyDeclaredFields(t *testing.T) {
	fill := randfill.NewWithSeed(13).NilChance(0.2).NumElements(1, 2).Funcs(
		func(q *resource.Quantity, c randfill.Continue) {
			*q = *resource.NewQuantity(int64(c.Intn(1000)), resource.DecimalSI)
		},
		func(f *metav1.FieldsV1, c randfill.Continue) { f.Raw = []byte("{}") },
	)
	compared := 0
	try := func(cfg overlay.Config, raw []byte) {
		h := stream.ScanHeader(raw)
		wk, ok := overlay.NewKindTable(cfg.Kinds).Lookup(h.APIVersion, h.Kind)
		if !ok {
			return
		}
		var obj map[string]any
		if sigsyaml.Unmarshal(raw, &obj) != nil {
			return
		}
		tmpl := obj
		for _, f := range wk.Path() {
			tmpl, _ = tmpl[f].(map[string]any)
		}
		spec, _ := tmpl["spec"].(map[string]any)
		if spec == nil {
			return
		}
		declared := project(spec)
		var noise corev1.PodSpec
		fill.Fill(&noise)
		full, err := withNoise(declared, spec, &noise)
		if err != nil {
			t.Fatal(err)
		}
		meta := overlay.Meta{Kind: h.Kind}
		if md, ok := obj["metadata"].(map[string]any); ok {
			meta.Annotations = stringValues(md["annotations"])
		}
		sel := cfg.Select(meta)
		if !sel.Selected {
			return
		}
		want := apply(t, cfg, wk, meta, sel, decodePod(t, declared))
		got := apply(t, cfg, wk, meta, sel, full)
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("Apply read a field outside PodFields/ContainerFields (-declared only +with the other fields):\n%s\nin:\n%s", diff, raw)
		}
		compared++
	}
	for _, raw := range testcorpus.GoldenDocs(t) {
		try(overlay.Default().Merge(overlay.Config{Enabled: ptrTo(true)}), raw)
	}
	g := testcorpus.NewStreams(13, false)
	for range 150 {
		s, layer := g.Next()
		cfg := overlay.Default().Merge(layer)
		if cfg.Validate() != nil {
			continue
		}
		for _, raw := range testcorpus.SplitRaw(s) {
			try(cfg, raw)
		}
	}
	if compared < 100 {
		t.Fatalf("compared only %d pods", compared)
	}
	t.Logf("compared %d pods", compared)
}

// outcome is what Apply did: the pod after it, its report, or its error.
type outcome struct {
	Spec        *corev1.PodSpec
	Annotations map[string]string
	Workload    *overlay.Overlaid
	Notes       []string
	Err         string
}

func apply(t *testing.T, cfg overlay.Config, wk overlay.WorkloadKind, meta overlay.Meta, sel overlay.Selection, spec *corev1.PodSpec) outcome {
	t.Helper()
	o, err := overlay.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	edit := &podedit.Typed{Spec: spec}
	w, notes, err := o.Apply(&overlay.Pod{Edit: edit, Field: wk.TemplatePath, Kind: wk, Meta: meta, Sel: sel})
	if err != nil {
		return outcome{Err: err.Error()}
	}
	// Only what the overlay added or changed: the rest of the spec is the
	// noise, or its absence.
	return outcome{Spec: added(edit.Spec, w.Container), Annotations: edit.Annotations, Workload: w, Notes: notes}
}

// added keeps of a spec what the overlay writes: its own containers whole,
// the mounts of the others (rewired), the volumes, shareProcessNamespace.
func added(s *corev1.PodSpec, sidecar string) *corev1.PodSpec {
	out := &corev1.PodSpec{ShareProcessNamespace: s.ShareProcessNamespace, Volumes: s.Volumes}
	for _, list := range []struct{ from, to *[]corev1.Container }{{&s.Containers, &out.Containers}, {&s.InitContainers, &out.InitContainers}} {
		for _, c := range *list.from {
			if c.Name != sidecar && c.Name != overlay.CopyContainerName {
				c = corev1.Container{Name: c.Name, VolumeMounts: c.VolumeMounts}
			}
			*list.to = append(*list.to, c)
		}
	}
	return out
}

// project keeps of a pod spec, decoded as JSON, the declared fields.
func project(spec map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range spec {
		if !slices.Contains(overlay.PodFields, k) {
			continue
		}
		if k != "containers" && k != "initContainers" {
			out[k] = v
			continue
		}
		list, _ := v.([]any)
		var cs []any
		for _, item := range list {
			c, _ := item.(map[string]any)
			pc := map[string]any{}
			for ck, cv := range c {
				if slices.Contains(overlay.ContainerFields, ck) && (ck != "env" || usesSubPathExpr(c)) {
					pc[ck] = cv
				}
			}
			cs = append(cs, pc)
		}
		out[k] = cs
	}
	return out
}

func usesSubPathExpr(c map[string]any) bool {
	mounts, _ := c["volumeMounts"].([]any)
	for _, m := range mounts {
		if mm, _ := m.(map[string]any); mm["subPathExpr"] != nil {
			return true
		}
	}
	return false
}

// withNoise returns the pod spec with the declared fields of declared and
// every other field of noise, containers included; a container's env
// is the pod's own (spec) and more where the projection leaves it out.
func withNoise(declared, spec map[string]any, noise *corev1.PodSpec) (*corev1.PodSpec, error) {
	data, err := json.Marshal(noise)
	if err != nil {
		return nil, err
	}
	var n map[string]any
	if err := json.Unmarshal(data, &n); err != nil {
		return nil, err
	}
	noiseLists := map[string][]any{}
	for _, list := range []string{"containers", "initContainers"} {
		noiseLists[list], _ = n[list].([]any)
	}
	noiseContainer := func(list string, i int) map[string]any {
		cs := noiseLists[list]
		if len(cs) == 0 {
			return map[string]any{}
		}
		c, _ := cs[i%len(cs)].(map[string]any)
		return c
	}
	for _, k := range overlay.PodFields {
		delete(n, k)
	}
	for k, v := range declared {
		if k != "containers" && k != "initContainers" {
			n[k] = v
			continue
		}
		own, _ := spec[k].([]any)
		var cs []any
		for i, item := range v.([]any) {
			c := map[string]any{}
			for nk, nv := range noiseContainer(k, i) {
				if !slices.Contains(overlay.ContainerFields, nk) {
					c[nk] = nv
				}
			}
			if env, _ := noiseContainer(k, i)["env"].([]any); len(env) > 0 {
				// The projection leaves env out unless a mount uses
				// subPathExpr: then the pod's own, plus noise, is what
				// Apply must not read.
				ownEnv, _ := own[i].(map[string]any)["env"].([]any)
				c["env"] = append(append([]any(nil), ownEnv...), env...)
			}
			for dk, dv := range item.(map[string]any) {
				c[dk] = dv
			}
			cs = append(cs, c)
		}
		n[k] = cs
	}
	data, err = json.Marshal(n)
	if err != nil {
		return nil, err
	}
	var pod corev1.PodSpec
	if err := json.Unmarshal(data, &pod); err != nil {
		return nil, fmt.Errorf("the noisy pod spec: %w", err)
	}
	return &pod, nil
}

func decodePod(t *testing.T, m map[string]any) *corev1.PodSpec {
	t.Helper()
	data, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	var pod corev1.PodSpec
	if err := json.Unmarshal(data, &pod); err != nil {
		t.Fatal(err)
	}
	return &pod
}

func stringValues(v any) map[string]string {
	m, _ := v.(map[string]any)
	out := map[string]string{}
	for k, v := range m {
		if s, ok := v.(string); ok {
			out[k] = s
		}
	}
	return out
}

func ptrTo[T any](v T) *T { return &v }
