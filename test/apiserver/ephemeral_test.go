package apiserver

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"

	corev1 "k8s.io/api/core/v1"

	"github.com/debug-overlay/debug-overlay/generator/overlay"
	"github.com/debug-overlay/debug-overlay/internal/podcheck"
)

// TestEphemeralAccepted: every pod template of the golden cases, created as
// a Pod, takes the ephemeral container overlay.Ephemeral makes for it: the
// real API server validates and admits the patch of pods/ephemeralcontainers
// (server-side dry run) that attach sends. The profiles take turns, so
// each is tried on a share of the mount shapes; the unit tests of package
// overlay try every one on every shape against the rules as written.
func TestEphemeralAccepted(t *testing.T) {
	ns := namespace(t, nil)
	kinds := overlay.NewKindTable(nil)
	type candidate struct {
		name string
		from string
	}
	var pods []candidate
	var stream bytes.Buffer
	for _, tmpl := range podcheck.GoldenTemplates(t, func(apiVersion, kind string) ([]string, bool) {
		wk, ok := kinds.Lookup(apiVersion, kind)
		return wk.Path(), ok
	}) {
		c := candidate{name: fmt.Sprintf("p%d", len(pods)), from: tmpl.From}
		pods = append(pods, c)
		manifest, err := json.Marshal(map[string]any{"apiVersion": "v1", "kind": "Pod", "metadata": map[string]any{"name": c.name}, "spec": tmpl.Spec})
		if err != nil {
			t.Fatal(err)
		}
		stream.Write(manifest)
		stream.WriteString("\n")
	}
	// Pods the server refuses (invalid inputs, a missing ServiceAccount)
	// have nothing to attach to.
	_, stderr, _ := kube.RunKubectl(stream.Bytes(), "-n", ns, "create", "-f", "-")
	out, _, err := kube.RunKubectl(nil, "-n", ns, "get", "pods", "-o", "json")
	if err != nil {
		t.Fatal(err)
	}
	var list corev1.PodList
	if err := json.Unmarshal(out, &list); err != nil {
		t.Fatal(err)
	}
	created := map[string]corev1.Pod{}
	for _, p := range list.Items {
		created[p.Name] = p
	}
	t.Logf("%d of %d golden pod templates created as Pods; the server refused the others:\n%s", len(created), len(pods), strings.TrimSpace(string(stderr)))
	if len(created) < 60 {
		t.Fatalf("only %d pods created", len(created))
	}

	profiles := overlay.ProfileNames()
	var wg sync.WaitGroup
	sem := make(chan struct{}, 2)
	var mu sync.Mutex
	tried := 0
	for i, c := range pods {
		pod, ok := created[c.name]
		if !ok || (pod.Spec.OS != nil && pod.Spec.OS.Name == corev1.Windows) {
			continue
		}
		profile := profiles[i%len(profiles)]
		allow := profile == overlay.ProfileSysadmin
		cfg := overlay.Default().Merge(overlay.Config{Sidecar: overlay.Sidecar{Profile: profile}, AllowPrivileged: &allow})
		o, err := overlay.New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		live, err := o.Ephemeral(&pod, cfg.Select(overlay.Meta{Kind: "Pod", Name: pod.Name}))
		if err != nil {
			t.Errorf("%s: %v", c.from, err)
			continue
		}
		patch, err := json.Marshal(map[string]any{"spec": map[string]any{"ephemeralContainers": []corev1.EphemeralContainer{live.Container}}})
		if err != nil {
			t.Fatal(err)
		}
		tried++
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			_, stderr, err := kube.RunKubectl(nil, "-n", ns, "patch", "pod", pod.Name, "--subresource=ephemeralcontainers",
				"--type=strategic", "--dry-run=server", "-p", string(patch))
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				t.Errorf("%s, profile %s: the server refuses the ephemeral container:\n%s\npatch: %s\nnotes: %q", c.from, profile, kubectlError(t, err), patch, live.Notes)
			} else if w := strings.TrimSpace(string(stderr)); w != "" {
				t.Errorf("%s, profile %s: the server warns: %s", c.from, profile, w)
			}
		}()
	}
	wg.Wait()
	t.Logf("%d ephemeral containers accepted by a server-side dry run", tried)
}
