package generator

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/debug-overlay/debug-overlay/generator/overlay"
	"github.com/google/go-cmp/cmp"
	"go.yaml.in/yaml/v3"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/kustomize/api/filters/patchjson6902"
	kyaml "sigs.k8s.io/kustomize/kyaml/yaml"
	sigsyaml "sigs.k8s.io/yaml"
)

func TestDiff(t *testing.T) {
	tests := []struct {
		name  string
		field string // the key holding the values, for merge keys
		a, b  string
		want  string // YAML list of operations; "" means none
	}{
		{name: "equal values give no operations", a: "{a: 1, b: [x]}", b: "{b: [x], a: 1}"},
		{
			name: "map keys are added, removed and replaced, the old scalars tested",
			a:    "{keep: 1, old: x, change: a}", b: "{keep: 1, change: b, new: {c: d}}",
			want: `[{op: test, path: /old, value: x}, {op: remove, path: /old},
				{op: test, path: /change, value: a}, {op: replace, path: /change, value: b},
				{op: add, path: /new, value: {c: d}}]`,
		},
		{
			name: "keys are escaped as JSON pointers",
			a:    "{}", b: `{"a/b~c": 1}`,
			want: `[{op: add, path: /a~1b~0c, value: 1}]`,
		},
		{
			name: "an item added in front of named items is one add at its index",
			a:    "[{name: a}, {name: b}]", b: "[{name: new}, {name: a}, {name: b}]",
			want: `[{op: add, path: /0, value: {name: new}}]`,
		},
		{
			name: "items added after the last known one are appended",
			a:    "[{name: a}]", b: "[{name: a}, {name: x}, {name: y}]",
			want: `[{op: add, path: /-, value: {name: x}}, {op: add, path: /-, value: {name: y}}]`,
		},
		{
			name: "an empty list gets appends",
			a:    "[]", b: "[{name: x}]",
			want: `[{op: add, path: /-, value: {name: x}}]`,
		},
		{
			name: "an edit inside a named item is guarded by a test of its name, at its index after the inserts",
			a:    "[{name: a, image: one}]", b: "[{name: new}, {name: a, image: two}]",
			want: `[{op: add, path: /0, value: {name: new}},
				{op: test, path: /1/name, value: a},
				{op: test, path: /1/image, value: one}, {op: replace, path: /1/image, value: two}]`,
		},
		{
			name: "a removed named item is tested and removed, from the end",
			a:    "[{name: a}, {name: b}, {name: c}]", b: "[{name: b}]",
			want: `[{op: test, path: /2/name, value: c}, {op: remove, path: /2},
				{op: test, path: /0/name, value: a}, {op: remove, path: /0}]`,
		},
		{
			name:  "volumeMounts are matched by mountPath, so a rewired mount is one replace",
			field: "volumeMounts",
			a:     "[{name: creds, mountPath: /creds}, {name: data, mountPath: /data}]",
			b:     "[{name: creds-debug-copy, mountPath: /creds}, {name: data, mountPath: /data}]",
			want: `[{op: test, path: /0/mountPath, value: /creds},
				{op: test, path: /0/name, value: creds}, {op: replace, path: /0/name, value: creds-debug-copy}]`,
		},
		{
			name: "named items in another order replace the whole list",
			a:    "[{name: a}, {name: b}]", b: "[{name: b}, {name: a}]",
			want: `[{op: replace, path: "", value: [{name: b}, {name: a}]}]`,
		},
		{
			name: "unnamed lists of one length are diffed item by item",
			a:    "[x, y]", b: "[x, z]",
			want: `[{op: test, path: /1, value: y}, {op: replace, path: /1, value: z}]`,
		},
		{
			name: "unnamed lists of other lengths are replaced",
			a:    "[x]", b: "[x, y]",
			want: `[{op: replace, path: "", value: [x, y]}]`,
		},
		{
			name: "aliases and merge keys are diffed as the values they stand for",
			a:    "{a: &v {x: 1}, b: *v, c: {<<: *v, y: 2}}", b: "{a: {x: 1}, b: {x: 1}, c: {x: 1, y: 3}, d: &w [1], e: *w}",
			want: `[{op: test, path: /c/y, value: 2}, {op: replace, path: /c/y, value: 3},
				{op: add, path: /d, value: [1]}, {op: add, path: /e, value: [1]}]`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var d differ
			d.diff("", tt.field, cleanCopy(patchTestNode(t, tt.a)), cleanCopy(patchTestNode(t, tt.b)))
			var want []any
			if tt.want != "" {
				if err := yaml.Unmarshal([]byte(tt.want), &want); err != nil {
					t.Fatal(err)
				}
			}
			if diff := cmp.Diff(want, plainPatchOps(t, d.ops)); diff != "" {
				t.Errorf("operations (-want +got):\n%s", diff)
			}
		})
	}
}

// TestGeneratePatchesReproducesRender checks, on every golden case the
// overlay changes, that the generated patches, applied by kustomize's own
// JSON patch filter to the input objects, give the objects Render gives.
func TestGeneratePatchesReproducesRender(t *testing.T) {
	dirs, err := filepath.Glob(filepath.Join("testdata", "golden", "*", "input.yaml"))
	if err != nil || len(dirs) == 0 {
		t.Fatalf("no golden cases: %v", err)
	}
	patched := 0
	for _, input := range dirs {
		dir := filepath.Dir(input)
		t.Run(filepath.Base(dir), func(t *testing.T) {
			data, err := os.ReadFile(input)
			if err != nil {
				t.Fatal(err)
			}
			layer := goldenLayer(t, dir)
			var rendered bytes.Buffer
			_, renderErr := (&Renderer{Config: layer, Now: testNow}).Render(bytes.NewReader(data), &rendered)
			set, err := GeneratePatches(bytes.NewReader(data), layer)
			switch {
			case renderErr != nil:
				if err == nil {
					t.Fatalf("Render failed (%v) but GeneratePatches did not", renderErr)
				}
				return
			case err != nil && strings.Contains(err.Error(), "the overlay is disabled"):
				return
			case err != nil:
				t.Fatalf("GeneratePatches: %v", err)
			}
			want := patchObjects(t, rendered.Bytes())
			manifests := set.Manifests
			for _, twin := range set.Twins { // the Component's resources
				manifests = append(append(bytes.Clone(manifests), '\n'), twin.YAML...)
			}
			got := patchObjects(t, manifests)
			if len(got) != len(want) {
				t.Fatalf("Manifests hold %d objects, Render's output %d", len(got), len(want))
			}
			for _, p := range set.Patches {
				id := regexpUnquote(p.Target.Kind + "/" + p.Target.Namespace + "/" + p.Target.Name)
				obj, ok := got[id]
				if !ok {
					t.Fatalf("patch for %s, which the manifests do not hold", id)
				}
				ops, err := p.OpsYAML()
				if err != nil {
					t.Fatal(err)
				}
				got[id] = applyJSONPatch(t, obj, string(ops))
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("patched manifests differ from Render's output (-want +got):\n%s", diff)
			}
			patched += len(set.Patches)
		})
	}
	if patched == 0 {
		t.Error("no golden case produced a patch")
	}
}

func TestGeneratePatches(t *testing.T) {
	stream := `# Source: app/templates/deployment.yaml
apiVersion: apps/v1
kind: Deployment
metadata:
  name: my.api
  namespace: prod
spec:
  template:
    spec:
      containers:
        - name: api
          image: example/api:1
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
---
apiVersion: debug-overlay.dev/v1alpha1
kind: DebugOverlay
metadata:
  name: app
spec:
  enabled: true
`
	set, err := GeneratePatches(strings.NewReader(stream), overlay.Config{})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(set.Manifests), overlay.Kind) {
		t.Errorf("Manifests hold the DebugOverlay document:\n%s", set.Manifests)
	}
	if !strings.HasPrefix(string(set.Manifests), "# Source: app/templates/deployment.yaml\n") {
		t.Errorf("Manifests do not keep the input's bytes:\n%s", set.Manifests)
	}
	if len(set.Patches) != 1 {
		t.Fatalf("got %d patches, want 1 (the Deployment)", len(set.Patches))
	}
	p := set.Patches[0]
	wantTarget := PatchTarget{Group: "apps", Version: "v1", Kind: "Deployment", Name: `my\.api`, Namespace: "prod"}
	if diff := cmp.Diff(wantTarget, p.Target); diff != "" {
		t.Errorf("target (-want +got):\n%s", diff)
	}
	if got, want := p.PatchFileName(), "prod_deployment_my.api.yaml"; got != want {
		t.Errorf("PatchFileName() = %q, want %q", got, want)
	}

	files, err := set.Component()
	if err != nil {
		t.Fatal(err)
	}
	var component map[string]any
	if err := sigsyaml.Unmarshal(files["kustomization.yaml"], &component); err != nil {
		t.Fatal(err)
	}
	wantComponent := map[string]any{
		"apiVersion": "kustomize.config.k8s.io/v1alpha1", "kind": "Component",
		"patches": []any{map[string]any{"path": "prod_deployment_my.api.yaml", "target": map[string]any{
			"group": "apps", "version": "v1", "kind": "Deployment", "name": `my\.api`, "namespace": "prod"}}},
	}
	if diff := cmp.Diff(wantComponent, component); diff != "" {
		t.Errorf("Component kustomization.yaml (-want +got):\n%s", diff)
	}
	ops, _ := p.OpsYAML()
	if got := string(files["prod_deployment_my.api.yaml"]); got != GeneratedHeader+string(ops) {
		t.Errorf("patch file:\n%s\nwant the header and:\n%s", got, ops)
	}

	flux, err := set.FluxHelmRelease("api", "apps")
	if err != nil {
		t.Fatal(err)
	}
	var hr struct {
		APIVersion string            `json:"apiVersion"`
		Kind       string            `json:"kind"`
		Metadata   map[string]string `json:"metadata"`
		Spec       struct {
			PostRenderers []struct {
				Kustomize struct {
					Patches []struct {
						Patch  string      `json:"patch"`
						Target PatchTarget `json:"target"`
					} `json:"patches"`
				} `json:"kustomize"`
			} `json:"postRenderers"`
		} `json:"spec"`
	}
	if err := sigsyaml.UnmarshalStrict(flux, &hr); err != nil {
		t.Fatalf("%v\n%s", err, flux)
	}
	if hr.APIVersion != "helm.toolkit.fluxcd.io/v2" || hr.Kind != "HelmRelease" ||
		hr.Metadata["name"] != "api" || hr.Metadata["namespace"] != "apps" {
		t.Errorf("Flux HelmRelease header: %+v", hr)
	}
	if len(hr.Spec.PostRenderers) != 1 || len(hr.Spec.PostRenderers[0].Kustomize.Patches) != 1 {
		t.Fatalf("want one post-renderer with one patch:\n%s", flux)
	}
	fp := hr.Spec.PostRenderers[0].Kustomize.Patches[0]
	if fp.Patch != string(ops) || fp.Target != p.Target {
		t.Errorf("Flux patch %+v, want the Component's (%+v):\n%s", fp.Target, p.Target, fp.Patch)
	}
	if noName, _ := set.FluxHelmRelease("", ""); strings.Contains(string(noName), "metadata:") {
		t.Errorf("without a release name the snippet has metadata:\n%s", noName)
	}

	k, err := Kustomization([]string{"../base"}, []string{"debug-overlay"})
	if err != nil {
		t.Fatal(err)
	}
	wantK := GeneratedHeader + `apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - ../base
components:
  - debug-overlay
`
	if diff := cmp.Diff(wantK, string(k)); diff != "" {
		t.Errorf("Kustomization (-want +got):\n%s", diff)
	}
}

func TestGeneratePatchesErrors(t *testing.T) {
	const pod = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n    - name: app\n      image: x\n"
	tests := []struct {
		name    string
		stream  string
		layer   overlay.Config
		wantErr string
	}{
		{name: "a disabled overlay has nothing to generate", stream: pod, wantErr: "the overlay is disabled"},
		{
			name: "the overlay's own errors", stream: pod,
			layer:   overlay.Config{Enabled: ptr.To(true), Copy: overlay.Copy{Volumes: []overlay.CopyVolume{{Name: "nope"}}}},
			wantErr: `no selected workload has a volume named "nope"`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := GeneratePatches(strings.NewReader(tt.stream), tt.layer)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("error = %v, want it to contain %q", err, tt.wantErr)
			}
		})
	}
}

// goldenLayer reads a golden case's config.yaml, or returns the --enable
// layer, as the golden test does.
func goldenLayer(t *testing.T, dir string) overlay.Config {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, "config.yaml"))
	if errors.Is(err, fs.ErrNotExist) {
		return overlay.Config{Enabled: ptr.To(true)}
	}
	if err != nil {
		t.Fatal(err)
	}
	obj, err := ParseDebugOverlay(data, "config.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return obj.Spec
}

// patchObjects parses a stream into plain values keyed by kind/namespace/name.
func patchObjects(t *testing.T, stream []byte) map[string]any {
	t.Helper()
	docs, err := patchDocs(stream)
	if err != nil {
		t.Fatal(err)
	}
	objs := map[string]any{}
	for _, raw := range docs {
		var obj map[string]any
		if err := sigsyaml.Unmarshal(bytes.TrimPrefix(raw, []byte("\ufeff")), &obj); err != nil {
			t.Fatalf("%v:\n%s", err, raw)
		}
		if obj == nil {
			continue
		}
		meta, _ := obj["metadata"].(map[string]any)
		id := obj["kind"].(string) + "/" + strOf(meta["namespace"]) + "/" + strOf(meta["name"])
		if _, dup := objs[id]; dup {
			t.Fatalf("two objects %s", id)
		}
		objs[id] = obj
	}
	return objs
}

func strOf(v any) string {
	s, _ := v.(string)
	return s
}

// applyJSONPatch applies a JSON patch with kustomize's filter.
func applyJSONPatch(t *testing.T, obj any, patch string) any {
	t.Helper()
	data, err := sigsyaml.Marshal(obj)
	if err != nil {
		t.Fatal(err)
	}
	node, err := kyaml.Parse(string(data))
	if err != nil {
		t.Fatal(err)
	}
	out, err := patchjson6902.Filter{Patch: patch}.Filter([]*kyaml.RNode{node})
	if err != nil {
		t.Fatalf("applying the patch: %v\n%s", err, patch)
	}
	s, err := out[0].String()
	if err != nil {
		t.Fatal(err)
	}
	var v any
	if err := sigsyaml.Unmarshal([]byte(s), &v); err != nil {
		t.Fatal(err)
	}
	return v
}

func patchTestNode(t *testing.T, s string) *yaml.Node {
	t.Helper()
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(s), &doc); err != nil {
		t.Fatal(err)
	}
	return doc.Content[0]
}

// plainPatchOps turns operations into plain values, as YAML reads them.
func plainPatchOps(t *testing.T, ops []PatchOp) []any {
	t.Helper()
	if len(ops) == 0 {
		return nil
	}
	data, err := marshalBlockYAML(ops)
	if err != nil {
		t.Fatal(err)
	}
	var v []any
	if err := yaml.Unmarshal(data, &v); err != nil {
		t.Fatal(err)
	}
	return v
}

// TestFluxPinsTheStrategyForHooks: with a hook overlaid, the Flux snippet
// pins postRenderStrategy combined (unset, a controller gate can make it
// nohooks, which skips the hook's patch silently), and check warns.
func TestFluxPinsTheStrategyForHooks(t *testing.T) {
	const stream = "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: migrate\n  annotations:\n    helm.sh/hook: pre-install\n" +
		"spec:\n  template:\n    spec:\n      restartPolicy: Never\n      containers:\n        - name: migrate\n          image: m\n"
	for _, hooks := range []bool{false, true} {
		cfg := overlay.Config{Enabled: ptr.To(true), IncludeHooks: ptr.To(hooks)}
		set, err := GeneratePatches(strings.NewReader(stream+"---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n    - name: p\n      image: p\n"), cfg)
		if err != nil {
			t.Fatal(err)
		}
		flux, err := set.FluxHelmRelease("r", "")
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.Contains(string(flux), "postRenderStrategy: combined"); got != hooks {
			t.Errorf("includeHooks %v: the snippet pins combined: %v\n%s", hooks, got, flux)
		}
		rep, err := (&Renderer{Config: cfg}).Check(strings.NewReader(stream))
		if err != nil {
			t.Fatal(err)
		}
		warned := slices.ContainsFunc(rep.Findings, func(f Finding) bool { return strings.Contains(f.Message, "Helm 3 never post-renders hooks") })
		if warned != hooks {
			t.Errorf("includeHooks %v: check warned about the hook: %v (%v)", hooks, warned, rep.Findings)
		}
	}
}
