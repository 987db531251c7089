package flux

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// keyFile is the stand-in geth key file of the examples (the kustomize
// example's base holds it).
const keyFile = "UTC--2026-11-27T00-00-00.000000000Z--0000000000000000000000000000000000000000"

// gethObjects are what the geth chart installs, as kubectl resource and
// name for release geth.
var gethObjects = []struct{ resource, name string }{
	{"secret", "geth-keystore"},
	{"service", "geth"},
	{"statefulset.apps", "geth"},
}

// liveGeth returns the geth release's objects in namespace, made
// comparable, by resource/name.
func liveGeth(t *testing.T, namespace string) map[string]object {
	t.Helper()
	objs := map[string]object{}
	for _, o := range gethObjects {
		objs[o.resource+"/"+o.name] = comparable(t, get(t, namespace, o.resource, o.name))
	}
	return objs
}

// TestFluxGeth: the postRenderers that `debug-overlay generate
// --flux-release` writes for the geth example, merged into a HelmRelease,
// make the real helm-controller install exactly what Helm 3 installs with
// the post-renderer (the sidecar, the copy init container and the rewired
// keystore mount); removing them gives the first revision's objects back.
func TestFluxGeth(t *testing.T) {
	ns := namespace(t, "flux")
	keyPath := filepath.Join(repoRoot, "overlays", "examples", "geth", "base", "keystore", keyFile)
	key, err := os.ReadFile(keyPath)
	if err != nil {
		t.Fatal(err)
	}
	chart := chartPackage(t, "geth")
	hr := release(ns, "geth", "geth", object{"keystore": object{"files": object{keyFile: string(key)}}})
	spec := hr["spec"].(object)

	// Revision 1: the chart alone.
	apply(t, hr)
	waitRelease(t, ns, "geth", 1)
	original := liveGeth(t, ns)
	if !repo.Served("/geth-0.1.0.tgz") {
		t.Errorf("the release is installed but %sgeth-0.1.0.tgz was never requested", repo.URL)
	}

	// Revision 2: the generated postRenderers merged in, as docs/flux.md says:
	// render with the release's name, namespace and values, generate.
	// --set-file splits keys at dots.
	setKey := []string{"--set-file", "keystore.files." + strings.ReplaceAll(keyFile, ".", `\.`) + "=" + keyPath}
	manifests := mustRun(t, nil, helm3, append([]string{"template", "geth", chart, "--namespace", ns}, setKey...)...)
	spec["postRenderers"] = generate(t, manifests,
		"--config", filepath.Join(repoRoot, "overlays", "examples", "geth", "debugoverlay.yaml"),
		"--flux-release", ns+"/geth")
	apply(t, hr)
	waitRelease(t, ns, "geth", 2)
	overlaid := liveGeth(t, ns)
	checkGethOverlay(t, "helm-controller", overlaid["statefulset.apps/geth"])

	// The reference: the same chart installed by Helm 3 with the
	// post-renderer, switched on by the chart's values.
	refNS := namespace(t, "helm3")
	mustRun(t, nil, helm3, append([]string{"install", "geth", chart, "--namespace", refNS,
		"--kubeconfig", kube.Kubeconfig, "--set", "debug-overlay.enabled=true", "--post-renderer", bin}, setKey...)...)
	want := liveGeth(t, refNS)
	checkGethOverlay(t, "Helm 3", want["statefulset.apps/geth"])
	for _, o := range gethObjects {
		id := o.resource + "/" + o.name
		if diff := cmp.Diff(want[id], overlaid[id]); diff != "" {
			t.Errorf("%s installed by helm-controller with the generated postRenderers differs from Helm 3's with the post-renderer (-helm3 +flux):\n%s", id, diff)
		}
	}

	// Revision 3: the postRenderers removed.
	delete(spec, "postRenderers")
	apply(t, hr)
	waitRelease(t, ns, "geth", 3)
	restored := liveGeth(t, ns)
	if cmp.Equal(original, overlaid) {
		t.Fatal("revision 2 installed the same objects as revision 1: the postRenderers changed nothing")
	}
	for _, o := range gethObjects {
		id := o.resource + "/" + o.name
		if diff := cmp.Diff(original[id], restored[id]); diff != "" {
			t.Errorf("%s after removing the postRenderers differs from revision 1 (-revision 1 +revision 3):\n%s", id, diff)
		}
	}
}

// checkGethOverlay asserts that a StatefulSet geth holds the overlay the
// example asks for, so that agreeing with it means something: containers
// geth and debug, the copy init container, geth's /keystore mount rewired
// to the memory emptyDir keystore-debug-copy, the status annotation.
func checkGethOverlay(t *testing.T, who string, sts object) {
	t.Helper()
	pod := podSpec(sts)
	containers, _ := pod["containers"].([]any)
	inits, _ := pod["initContainers"].([]any)
	if got := names(containers); !cmp.Equal(got, []string{"geth", "debug"}) {
		t.Errorf("%s: containers %v, want [geth debug]", who, got)
	}
	if got := names(inits); !cmp.Equal(got, []string{"debug-overlay-copy"}) {
		t.Errorf("%s: init containers %v, want [debug-overlay-copy]", who, got)
	}
	keystore := ""
	if geth := named(containers, "geth"); geth != nil {
		mounts, _ := geth["volumeMounts"].([]any)
		for _, item := range mounts {
			if mount, _ := item.(object); mount["mountPath"] == "/keystore" {
				keystore, _ = mount["name"].(string)
			}
		}
	}
	if keystore != "keystore-debug-copy" {
		t.Errorf("%s: geth mounts %q at /keystore, want the copy keystore-debug-copy", who, keystore)
	}
	copyVolume := named(pod["volumes"], "keystore-debug-copy")
	emptyDir, _ := copyVolume["emptyDir"].(object)
	if emptyDir["medium"] != "Memory" {
		t.Errorf("%s: volume keystore-debug-copy is %v, want a memory emptyDir", who, copyVolume)
	}
	if pod["shareProcessNamespace"] != true {
		t.Errorf("%s: shareProcessNamespace is %v, want true", who, pod["shareProcessNamespace"])
	}
	if templateAnnotations(sts)[statusAnnotation] == nil {
		t.Errorf("%s: the pod template has no %s annotation", who, statusAnnotation)
	}
}
