//go:build linux

package nodee2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// appPod is a pod whose app handles SIGTERM, so that only the sidecar can
// delay its deletion. The grace period is Kubernetes' default, 30 s.
const appPod = `apiVersion: v1
kind: Pod
metadata:
  name: NAME
  labels: {debug-overlay-e2e: termination}
spec:
  terminationGracePeriodSeconds: 30
  containers:
    - name: app
      image: busybox:1.36
      command: [sh, -c, 'trap "exit 0" TERM; while true; do sleep 3600 & wait $!; done']
`

// bareSidecar is the hand-made debug sidecar the overlay replaces: a sleep
// loop without a SIGTERM handler.
const bareSidecar = `    - name: debug
      image: alpine:3.20
      command: [sh, -c, 'while true; do sleep 60; done']
`

// TestPodDeletionTime measures, on the real kubelet, how long `kubectl
// delete pod` takes for pods with the overlay's sidecar, whose idle loop
// exits on SIGTERM, and for contrast with a bare sleep loop as sidecar.
// A process that is PID 1 of its PID namespace and has no handler for
// SIGTERM never sees it; with shareProcessNamespace (the overlay's default)
// the pause process is PID 1 and the sidecar's shell is not, so the trap
// matters only when sharing is off. The overlaid pods must go in under 5 s
// either way; the bare loop as PID 1 must take the grace period, or the
// measurement shows nothing.
//
// Not parallel: it runs alone, before the parallel tests, since on a busy
// node (two cores here) every deletion takes seconds longer.
func TestPodDeletionTime(t *testing.T) {
	ns := newNamespace(t, "termination", nil)
	noShare := filepath.Join(t.TempDir(), "no-share.yaml")
	if err := os.WriteFile(noShare, []byte("apiVersion: debug-overlay.dev/v1alpha1\nkind: DebugOverlay\nmetadata:\n  name: no-share\nspec:\n  enabled: true\n  sidecar:\n    shareProcessNamespace: false\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	pod := func(name string) string { return strings.ReplaceAll(appPod, "NAME", name) }
	cases := []struct {
		name, manifest, what string
		max, min             time.Duration
	}{
		{"overlay", render(t, pod("overlay"), "--enable"),
			"the overlay's sidecar, process namespace shared (default)", 5 * time.Second, 0},
		{"overlay-pid1", render(t, pod("overlay-pid1"), "--config", noShare),
			"the overlay's sidecar as PID 1 (shareProcessNamespace: false)", 5 * time.Second, 0},
		{"bare-pid1", pod("bare-pid1") + bareSidecar,
			"a bare sleep loop as PID 1 (contrast)", 0, 20 * time.Second},
		{"bare-shared", strings.Replace(pod("bare-shared"), "spec:\n", "spec:\n  shareProcessNamespace: true\n", 1) + bareSidecar,
			"a bare sleep loop, process namespace shared (contrast)", 0, 0},
	}
	var all strings.Builder
	for _, c := range cases {
		all.WriteString("---\n" + c.manifest)
	}
	kubectl(t, []byte(all.String()), "-n", ns, "apply", "-f", "-")
	for _, c := range cases {
		waitPodReady(t, ns, c.name, 2*time.Minute)
	}
	// Every container has started its loop; a pod that is Ready only just
	// may still be setting up its shell's trap.
	time.Sleep(time.Second)

	took := make([]time.Duration, len(cases))
	errs := make([]error, len(cases))
	var wg sync.WaitGroup
	for i, c := range cases {
		wg.Add(1)
		go func() {
			defer wg.Done()
			start := time.Now()
			_, errs[i] = n.Kubectl(nil, "-n", ns, "delete", "pod", c.name, "--wait=true", "--timeout=2m")
			took[i] = time.Since(start)
		}()
	}
	wg.Wait()
	for i, c := range cases {
		if errs[i] != nil {
			t.Errorf("deleting %s: %v", c.name, errs[i])
			continue
		}
		line := fmt.Sprintf("pod deletion %-12s %6.1fs  %s", c.name, took[i].Seconds(), c.what)
		t.Log(line)
		if c.max > 0 && took[i] > c.max {
			t.Errorf("%s: deletion took %v, want under %v", c.name, took[i].Round(time.Millisecond), c.max)
		}
		if c.min > 0 && took[i] < c.min {
			t.Errorf("%s: deletion took only %v; a bare sleep loop as PID 1 should hold the pod for the grace period", c.name, took[i].Round(time.Millisecond))
		}
	}
}
