//go:build linux

package nodee2e

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
)

// TestHelm3GethTwin: twin mode on a real kubelet. geth installed without
// the overlay; `helm upgrade` with mode twin leaves geth's pod as it was
// (same UID, no restart) and adds the twin geth-debug, whose pod runs the
// debug sidecar and the keystore copy, so geth in the twin lists the
// account; the Service's EndpointSlices list the original pod only;
// toggled off, Helm deletes the twin and the original has not moved.
func TestHelm3GethTwin(t *testing.T) {
	t.Parallel()
	a := gethAccount(t)
	ns := newNamespace(t, "geth-twin", nil)
	const rel = "geth"
	values := gethValues(t, a)
	helm3 := func(args ...string) {
		t.Helper()
		start := time.Now()
		if _, err := helm(3, append(append(args, "-n", ns, "--post-renderer", overlayBin, "--wait", "--timeout", "3m"), values...)...); err != nil {
			t.Fatalf("%v", err)
		}
		t.Logf("helm3 %s: %v", strings.Join(args[:1], " "), time.Since(start).Round(time.Millisecond))
	}

	helm3("install", rel, gethChart, "--set", "debug-overlay.enabled=false")
	before := getPod(t, ns, "geth-0")
	t.Logf("original: %s", podSummary(before))

	helm3("upgrade", rel, gethChart, "--set", "debug-overlay.enabled=true", "--set", "debug-overlay.mode=twin")
	waitPodReady(t, ns, "geth-debug-0", 3*time.Minute)
	after := getPod(t, ns, "geth-0")
	unmoved(t, before, after)
	twin := getPod(t, ns, "geth-debug-0")
	t.Logf("twin: %s", podSummary(twin))
	if got := names(twin.Spec.Containers); !slices.Equal(got, []string{"geth", "debug"}) {
		t.Errorf("twin: containers %v, want geth and debug", got)
	}
	if v := volumeAt(t, twin.Spec, "geth", "/keystore"); v.EmptyDir == nil {
		t.Errorf("twin: geth's /keystore is volume %q, want the keystore copy", v.Name)
	}
	got := listAccounts(t, ns, "geth-debug-0")
	t.Logf("twin: geth account list: %v", got)
	if want := []string{a.address + " keystore:///keystore/" + filepath.Base(a.keyFile)}; !slices.Equal(got, want) {
		t.Errorf("twin: geth lists %v, want %v", got, want)
	}
	if got := listAccounts(t, ns, "geth-0"); len(got) != 0 {
		t.Errorf("original: geth lists %v, want none: the original is not overlaid", got)
	}
	endpointsOnlyOf(t, ns, "geth", "geth-0")

	helm3("upgrade", rel, gethChart, "--set", "debug-overlay.enabled=false")
	waitFor(t, 2*time.Minute, "the twin's pod to go", func() (bool, string) {
		pods := podsOf(t, ns, "debug-overlay.dev/twin")
		return len(pods) == 0, podSummaries(pods)
	})
	if out, err := n.Kubectl(nil, "-n", ns, "get", "statefulset", "geth-debug"); err == nil {
		t.Errorf("toggled off, the twin StatefulSet is still there:\n%s", out)
	}
	unmoved(t, before, getPod(t, ns, "geth-0"))
}

// TestKustomizeTwin: the kustomize example with mode twin, built by the
// real kustomize with the exec function and applied: the original and the
// twin run, and geth lists the account in the twin only.
func TestKustomizeTwin(t *testing.T) {
	t.Parallel()
	a := gethAccount(t)
	const standIn = "UTC--2026-11-27T00-00-00.000000000Z--0000000000000000000000000000000000000000"
	dir := filepath.Join(t.TempDir(), "overlays")
	if err := copyTree(filepath.Join(repoRoot, "overlays"), dir); err != nil {
		t.Fatal(err)
	}
	key, err := os.ReadFile(a.keyFile)
	if err != nil {
		t.Fatal(err)
	}
	example := filepath.Join(dir, "examples", "geth")
	if err := os.WriteFile(filepath.Join(example, "base", "keystore", standIn), key, 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(example, "debugoverlay.yaml")
	data, err := os.ReadFile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(cfg, []byte(strings.Replace(string(data), "  enabled: true\n", "  enabled: true\n  mode: twin\n", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	manifest, err := output(exec.Command(kustomizeBin, "build", "--enable-alpha-plugins", "--enable-exec", example))
	if err != nil {
		t.Fatalf("%v", err)
	}
	ns := newNamespace(t, "geth-kustomize-twin", nil)
	kubectl(t, []byte(manifest), "-n", ns, "apply", "-f", "-")
	for _, pod := range []string{"geth-0", "geth-debug-0"} {
		waitPodReady(t, ns, pod, 3*time.Minute)
	}
	if got := names(getPod(t, ns, "geth-0").Spec.Containers); !slices.Equal(got, []string{"geth"}) {
		t.Errorf("original: containers %v, want [geth]", got)
	}
	got := listAccounts(t, ns, "geth-debug-0")
	t.Logf("twin: geth account list: %v", got)
	if want := []string{a.address + " keystore:///keystore/" + standIn}; !slices.Equal(got, want) {
		t.Errorf("twin: geth lists %v, want %v", got, want)
	}
	endpointsOnlyOf(t, ns, "geth", "geth-0")
}

// unmoved fails the test when the pod was replaced or restarted.
func unmoved(t *testing.T, before, after corev1.Pod) {
	t.Helper()
	if after.UID != before.UID {
		t.Errorf("the original pod was replaced: UID %s, then %s", before.UID, after.UID)
	}
	restarts := func(p corev1.Pod) (n int32) {
		for _, s := range p.Status.ContainerStatuses {
			n += s.RestartCount
		}
		return n
	}
	if restarts(after) != restarts(before) {
		t.Errorf("the original pod restarted: %d restarts, then %d", restarts(before), restarts(after))
	}
	if len(after.Spec.Containers) != len(before.Spec.Containers) {
		t.Errorf("the original pod's containers changed: %v, then %v", names(before.Spec.Containers), names(after.Spec.Containers))
	}
}

// endpointsOnlyOf waits until the Service's EndpointSlices list pods and
// checks they list pod alone: the twin takes no traffic.
func endpointsOnlyOf(t *testing.T, ns, service, pod string) {
	t.Helper()
	var got []string
	waitFor(t, time.Minute, "the Service's endpoints", func() (bool, string) {
		out := kubectl(t, nil, "-n", ns, "get", "endpointslices", "-l", "kubernetes.io/service-name="+service, "-o", "json")
		var list discoveryv1.EndpointSliceList
		if err := json.Unmarshal([]byte(out), &list); err != nil {
			t.Fatal(err)
		}
		got = nil
		for _, s := range list.Items {
			for _, e := range s.Endpoints {
				if e.TargetRef != nil {
					got = append(got, e.TargetRef.Name)
				}
			}
		}
		return len(got) > 0, strings.Join(got, ", ")
	})
	t.Logf("Service %s: endpoints %v", service, got)
	if !slices.Equal(got, []string{pod}) {
		t.Errorf("Service %s: endpoints %v, want %s alone", service, got, pod)
	}
}

func podSummaries(pods []corev1.Pod) string {
	var s []string
	for _, p := range pods {
		s = append(s, podSummary(p))
	}
	return strings.Join(s, "; ")
}
