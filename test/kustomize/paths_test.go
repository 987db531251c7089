package kustomize

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"go.yaml.in/yaml/v3"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/api/types"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	sigsyaml "sigs.k8s.io/yaml"

	"github.com/debug-overlay/debug-overlay/test/testenv"
)

var update = flag.Bool("update", false, "rewrite overlays/examples/geth/generated from the current binary")

// keyFile is the stand-in geth key file of the example base; the Helm
// renders get the same file, so that every path starts from one Secret.
const keyFile = "UTC--2026-11-27T00-00-00.000000000Z--0000000000000000000000000000000000000000"

func example(elem ...string) string {
	return filepath.Join(append([]string{repoRoot, "overlays", "examples", "geth"}, elem...)...)
}

// helmTemplate renders the geth chart as release geth, with the example's
// key file, and args.
func helmTemplate(t *testing.T, args ...string) []byte {
	t.Helper()
	args = append([]string{"template", "geth", gethChart,
		// --set-file splits keys at dots.
		"--set-file", "keystore.files." + strings.ReplaceAll(keyFile, ".", `\.`) + "=" + example("base", "keystore", keyFile),
	}, args...)
	return command{}.mustRun(t, helm3, args...)
}

// object is one parsed object; objects are keyed by kind/namespace/name.
type objects map[string]map[string]any

// parseObjects parses a stream into objects. Secret data is compared as
// bytes: kustomize's secretGenerator folds long base64 lines, Helm's b64enc
// does not.
func parseObjects(t *testing.T, stream []byte) objects {
	t.Helper()
	objs := objects{}
	dec := yaml.NewDecoder(bytes.NewReader(stream))
	for {
		var obj map[string]any
		err := dec.Decode(&obj)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("parsing: %v\n%s", err, stream)
		}
		if obj == nil {
			continue
		}
		// Through JSON, as the API server sees it.
		data, err := sigsyaml.Marshal(obj)
		if err != nil {
			t.Fatal(err)
		}
		obj = nil
		if err := sigsyaml.Unmarshal(data, &obj); err != nil {
			t.Fatal(err)
		}
		if obj["kind"] == "Secret" {
			if d, ok := obj["data"].(map[string]any); ok {
				for k, v := range d {
					d[k] = strings.Join(strings.Fields(fmt.Sprint(v)), "")
				}
			}
		}
		meta, _ := obj["metadata"].(map[string]any)
		id := fmt.Sprintf("%s/%s/%s", obj["kind"], asString(meta["namespace"]), asString(meta["name"]))
		if _, dup := objs[id]; dup {
			t.Fatalf("two objects %s in:\n%s", id, stream)
		}
		objs[id] = obj
	}
	return objs
}

func asString(v any) string {
	s, _ := v.(string)
	return s
}

func (o objects) ids() []string {
	ids := make([]string, 0, len(o))
	for id := range o {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

// krustyBuild builds a kustomization with kustomize's library in this
// process, as `kustomize build --enable-alpha-plugins --enable-exec` does.
func krustyBuild(t *testing.T, dir string) []byte {
	t.Helper()
	opts := krusty.MakeDefaultOptions()
	pc := types.EnabledPluginConfig(types.BploUseStaticallyLinked)
	pc.FnpLoadingOptions.EnableExec = true
	opts.PluginConfig = pc
	rm, err := krusty.MakeKustomizer(opts).Run(filesys.MakeFsOnDisk(), dir)
	if err != nil {
		t.Fatalf("krusty build %s: %v", dir, err)
	}
	out, err := rm.AsYaml()
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// fluxPostRender does what Flux's helm-controller does with a HelmRelease's
// spec.postRenderers[].kustomize.patches: a kustomization of the rendered
// manifests with those patches, built by kustomize.
func fluxPostRender(t *testing.T, helmRelease, manifests []byte) []byte {
	t.Helper()
	var hr struct {
		Spec struct {
			PostRenderers []struct {
				Kustomize struct {
					Patches []map[string]any `json:"patches"`
				} `json:"kustomize"`
			} `json:"postRenderers"`
		} `json:"spec"`
	}
	if err := sigsyaml.Unmarshal(helmRelease, &hr); err != nil {
		t.Fatalf("flux-helmrelease.yaml: %v", err)
	}
	if len(hr.Spec.PostRenderers) != 1 {
		t.Fatalf("flux-helmrelease.yaml has %d post-renderers, want 1", len(hr.Spec.PostRenderers))
	}
	dir := t.TempDir()
	k, err := sigsyaml.Marshal(map[string]any{"resources": []string{"all.yaml"}, "patches": hr.Spec.PostRenderers[0].Kustomize.Patches})
	if err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string][]byte{"kustomization.yaml": k, "all.yaml": manifests} {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return command{}.mustRun(t, kustomizeBin, "build", dir)
}

// TestAllPathsGiveTheSameOverlay takes the geth case through every path
// and compares the objects field by field with the Helm 3 post-renderer's.
func TestAllPathsGiveTheSameOverlay(t *testing.T) {
	// The example base is the chart's render: same objects, field by field.
	plain := parseObjects(t, helmTemplate(t))
	base := parseObjects(t, command{}.mustRun(t, kustomizeBin, "build", example("base")))
	if diff := cmp.Diff(plain, base); diff != "" {
		t.Fatalf("overlays/examples/geth/base is not the chart's render (-helm +kustomize):\n%s", diff)
	}

	want := parseObjects(t, helmTemplate(t, "--set", "debug-overlay.enabled=true", "--post-renderer", bin))
	checkGethOverlay(t, want)

	genDir := filepath.Join(t.TempDir(), "generated")
	command{stdin: command{}.mustRun(t, kustomizeBin, "build", example("base"))}.mustRun(t, bin,
		"generate", "--config", example("debugoverlay.yaml"), "--base", example("base"), "--out", genDir)
	fluxDir := filepath.Join(t.TempDir(), "flux")
	command{stdin: helmTemplate(t)}.mustRun(t, bin,
		"generate", "--config", example("debugoverlay.yaml"), "--flux-release", "geth", "--out", fluxDir)
	helmRelease, err := os.ReadFile(filepath.Join(fluxDir, "flux-helmrelease.yaml"))
	if err != nil {
		t.Fatal(err)
	}

	paths := []struct {
		name  string
		build func(t *testing.T) []byte
	}{
		{"KRM function, kustomize build --enable-alpha-plugins --enable-exec", func(t *testing.T) []byte {
			// From another directory: the exec path is the Component's own.
			return command{dir: t.TempDir()}.mustRun(t, kustomizeBin, append([]string{"build"}, append(kustomizeExec, example())...)...)
		}},
		{"KRM function, krusty in process", func(t *testing.T) []byte {
			return krustyBuild(t, example())
		}},
		{"generated Component, kustomize build", func(t *testing.T) []byte {
			return command{}.mustRun(t, kustomizeBin, "build", genDir)
		}},
		{"generated Component committed in the example, kustomize build", func(t *testing.T) []byte {
			return command{}.mustRun(t, kustomizeBin, "build", example("generated"))
		}},
		{"Flux post-renderer patches on the chart's render", func(t *testing.T) []byte {
			return fluxPostRender(t, helmRelease, helmTemplate(t))
		}},
	}
	for _, p := range paths {
		t.Run(p.name, func(t *testing.T) {
			sameAsHelm(t, want, parseObjects(t, p.build(t)))
		})
	}
}

// checkGethOverlay asserts that the reference render holds the overlay the
// example asks for, so that agreeing with it means something.
func checkGethOverlay(t *testing.T, objs objects) {
	t.Helper()
	if diff := cmp.Diff([]string{"Secret//geth-keystore", "Service//geth", "StatefulSet//geth"}, objs.ids()); diff != "" {
		t.Fatalf("objects of the Helm render (-want +got):\n%s", diff)
	}
	var sts struct {
		Spec struct {
			Template struct {
				Metadata struct {
					Annotations map[string]string `json:"annotations"`
				} `json:"metadata"`
				Spec struct {
					Containers []struct {
						Name         string `json:"name"`
						VolumeMounts []struct {
							Name      string `json:"name"`
							MountPath string `json:"mountPath"`
						} `json:"volumeMounts"`
					} `json:"containers"`
					InitContainers []struct {
						Name string `json:"name"`
					} `json:"initContainers"`
					Volumes []struct {
						Name     string `json:"name"`
						EmptyDir *struct {
							Medium string `json:"medium"`
						} `json:"emptyDir"`
					} `json:"volumes"`
				} `json:"spec"`
			} `json:"template"`
		} `json:"spec"`
	}
	data, _ := sigsyaml.Marshal(objs["StatefulSet//geth"])
	if err := sigsyaml.Unmarshal(data, &sts); err != nil {
		t.Fatal(err)
	}
	pod := sts.Spec.Template.Spec
	var containers []string
	keystore := ""
	for _, c := range pod.Containers {
		containers = append(containers, c.Name)
		for _, m := range c.VolumeMounts {
			if c.Name == "geth" && m.MountPath == "/keystore" {
				keystore = m.Name
			}
		}
	}
	if !cmp.Equal(containers, []string{"geth", "debug"}) || len(pod.InitContainers) != 1 || pod.InitContainers[0].Name != "debug-overlay-copy" {
		t.Errorf("containers %v, init containers %v: want geth and debug, and debug-overlay-copy", containers, pod.InitContainers)
	}
	if keystore != "keystore-debug-copy" {
		t.Errorf("geth mounts %q at /keystore, want the copy keystore-debug-copy", keystore)
	}
	copied := false
	for _, v := range pod.Volumes {
		copied = copied || v.Name == "keystore-debug-copy" && v.EmptyDir != nil && v.EmptyDir.Medium == "Memory"
	}
	if !copied {
		t.Errorf("no memory emptyDir keystore-debug-copy among the volumes %+v", pod.Volumes)
	}
	if sts.Spec.Template.Metadata.Annotations["debug-overlay.dev/status"] == "" {
		t.Error("the pod template has no debug-overlay.dev/status annotation")
	}
}

// TestSkippedFunctionFailsTheBuild: kustomize skips exec functions without
// --enable-exec and exits 0 all the same; the Component turns that into a
// failed build that says what is missing.
func TestSkippedFunctionFailsTheBuild(t *testing.T) {
	tests := []struct {
		name    string
		flags   []string
		wantErr string
	}{
		{name: "--enable-alpha-plugins without --enable-exec", flags: []string{"--enable-alpha-plugins"},
			wantErr: "is missing for replacement source FunctionCheck.v1alpha1.debug-overlay.dev/debug-overlay-did-not-run-build-with-enable-exec"},
		{name: "no plugin flags", wantErr: "external plugins disabled; unable to load external plugin 'DebugOverlay'"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := command{}.run(t, kustomizeBin, append(append([]string{"build"}, tt.flags...), example())...)
			if r.Code == 0 {
				t.Fatalf("kustomize build succeeded without running the function:\n%s", r.Stdout)
			}
			if !strings.Contains(string(r.Stderr), tt.wantErr) {
				t.Errorf("stderr does not say %q:\n%s", tt.wantErr, r.Stderr)
			}
		})
	}
	// Without the check, the same build exits 0 with the overlay missing:
	// the behaviour the check is there for.
	dir := copyExample(t)
	k := filepath.Join(dir, "debug", "kustomization.yaml")
	data, err := os.ReadFile(k)
	if err != nil {
		t.Fatal(err)
	}
	noCheck := strings.Replace(string(data), "  - function-check-transformer.yaml\n", "", 1)
	if noCheck == string(data) {
		t.Fatal("overlays/debug/kustomization.yaml does not list function-check-transformer.yaml")
	}
	if err := os.WriteFile(k, []byte(noCheck), 0o644); err != nil {
		t.Fatal(err)
	}
	out := command{}.mustRun(t, kustomizeBin, "build", "--enable-alpha-plugins", filepath.Join(dir, "examples", "geth"))
	if bytes.Contains(out, []byte("debug-overlay.dev/status")) || !bytes.Contains(out, []byte("kind: DebugOverlay")) {
		t.Errorf("without the check kustomize was expected to skip the function silently:\n%s", out)
	}
}

// copyExample copies overlays/ to a temporary directory, without the
// repository's bin/ next to it, and returns the copy's overlays/.
func copyExample(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "overlays")
	if err := testenv.CopyTree(filepath.Join(repoRoot, "overlays"), dir); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestExecFunctionFindsTheBinary: kustomize runs the Component's exec path
// relative to the Component's directory, whatever the working directory;
// debug-overlay-fn then finds the binary through DEBUG_OVERLAY_BIN, the
// checkout's bin/ or PATH, and says so when there is none.
func TestExecFunctionFindsTheBinary(t *testing.T) {
	dir := copyExample(t)
	geth := filepath.Join(dir, "examples", "geth")
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "DEBUG_OVERLAY_BIN=") && !strings.HasPrefix(kv, "PATH=") {
			env = append(env, kv)
		}
	}
	build := append(append([]string{"build"}, kustomizeExec...), geth)
	want := command{}.mustRun(t, kustomizeBin, build...)

	t.Run("on PATH", func(t *testing.T) {
		got := command{dir: t.TempDir(), env: append(env, "PATH="+filepath.Dir(bin)+":/usr/bin:/bin")}.mustRun(t, kustomizeBin, build...)
		if !bytes.Equal(want, got) {
			t.Errorf("the build with debug-overlay on PATH differs:\n%s", cmp.Diff(string(want), string(got)))
		}
	})
	t.Run("next to the checkout", func(t *testing.T) {
		repoBin := filepath.Join(filepath.Dir(dir), "bin", "debug-overlay")
		data, err := os.ReadFile(bin)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(filepath.Dir(repoBin), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(repoBin, data, 0o755); err != nil {
			t.Fatal(err)
		}
		defer os.RemoveAll(filepath.Dir(repoBin))
		got := command{dir: t.TempDir(), env: append(env, "PATH=/usr/bin:/bin")}.mustRun(t, kustomizeBin, build...)
		if !bytes.Equal(want, got) {
			t.Errorf("the build with ../../bin/debug-overlay differs:\n%s", cmp.Diff(string(want), string(got)))
		}
	})
	t.Run("nowhere", func(t *testing.T) {
		r := command{env: append(env, "PATH=/usr/bin:/bin")}.run(t, kustomizeBin, build...)
		if r.Code == 0 {
			t.Fatal("kustomize build succeeded without a debug-overlay binary")
		}
		if !strings.Contains(string(r.Stderr), "debug-overlay-fn: no debug-overlay binary") {
			t.Errorf("stderr does not say the binary is missing:\n%s", r.Stderr)
		}
	})
}

// TestFunctionErrorsFailTheBuild: a problem the function finds fails
// `kustomize build`, with the function's message on stderr.
func TestFunctionErrorsFailTheBuild(t *testing.T) {
	dir := copyExample(t)
	cfg := filepath.Join(dir, "examples", "geth", "debugoverlay.yaml")
	data, err := os.ReadFile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	bad := strings.Replace(string(data), "- name: keystore\n", "- name: wallet\n", 1)
	if bad == string(data) {
		t.Fatal("the example's debugoverlay.yaml does not copy the keystore volume")
	}
	if err := os.WriteFile(cfg, []byte(bad), 0o644); err != nil {
		t.Fatal(err)
	}
	r := command{}.run(t, kustomizeBin, append(append([]string{"build"}, kustomizeExec...), filepath.Join(dir, "examples", "geth"))...)
	if r.Code == 0 {
		t.Fatalf("kustomize build succeeded:\n%s", r.Stdout)
	}
	want := `debug-overlay: error: spec.copy.volumes[0]: no selected workload has a volume named "wallet"`
	if !strings.Contains(string(r.Stderr), want) {
		t.Errorf("stderr does not contain %q:\n%s", want, r.Stderr)
	}
}

// TestGeneratedExampleIsCurrent keeps overlays/examples/geth/generated what
// `debug-overlay generate` writes for the example; -update rewrites it.
func TestGeneratedExampleIsCurrent(t *testing.T) {
	committed := example("generated")
	// Generated next to a copy of the base, so that the relative path to
	// the base is the committed one.
	dir := filepath.Join(t.TempDir(), "geth")
	if err := testenv.CopyTree(example("base"), filepath.Join(dir, "base")); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "generated")
	if *update {
		out = committed
	}
	manifests := command{}.mustRun(t, kustomizeBin, "build", example("base"))
	command{stdin: manifests}.mustRun(t, bin, "generate", "--config", example("debugoverlay.yaml"),
		"--base", filepath.Join(filepath.Dir(out), "base"), "--flux-release", "geth", "--out", out)
	if *update {
		return
	}
	want, got := readTree(t, committed), readTree(t, out)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("overlays/examples/geth/generated is stale; run go test ./test/kustomize/ -run TestGeneratedExampleIsCurrent -update (-committed +generated):\n%s", diff)
	}
}

// readTree reads the files below dir, by relative path.
func readTree(t *testing.T, dir string) map[string]string {
	t.Helper()
	files := map[string]string{}
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(path)
		rel, _ := filepath.Rel(dir, path)
		files[filepath.ToSlash(rel)] = string(data)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// sameAsHelm compares objects, field by field, with the Helm
// post-renderer's.
func sameAsHelm(t *testing.T, want, got objects) {
	t.Helper()
	if diff := cmp.Diff(want.ids(), got.ids()); diff != "" {
		t.Fatalf("objects differ from the Helm post-renderer's (-helm +this):\n%s", diff)
	}
	for _, id := range want.ids() {
		if diff := cmp.Diff(want[id], got[id]); diff != "" {
			t.Errorf("%s differs from the Helm post-renderer's (-helm +this):\n%s", id, diff)
		}
	}
}
