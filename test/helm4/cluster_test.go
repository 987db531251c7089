package helm4

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/debug-overlay/debug-overlay/test/cluster"
	"github.com/debug-overlay/debug-overlay/test/testenv"
)

// The tests that install releases share one real API server (test/cluster:
// etcd and kube-apiserver, no kubelet and no controllers), started by the
// first of them and stopped by TestMain. Pods stay Pending and Jobs never
// run: nothing here waits for them.
var (
	kubeOnce sync.Once
	kube     *cluster.Cluster
	kubeErr  error
	// namespaces counts the namespaces made, for unique names.
	namespaces atomic.Int32
)

// sharedCluster returns the shared API server, starting it on first use.
func sharedCluster(t *testing.T) *cluster.Cluster {
	t.Helper()
	kubeOnce.Do(func() {
		kube, kubeErr = cluster.Start(cluster.Options{Logf: func(format string, args ...any) {
			fmt.Fprintf(os.Stderr, "helm4: "+format+"\n", args...)
		}})
	})
	if kubeErr != nil {
		t.Fatalf("starting the API server: %v", kubeErr)
	}
	return kube
}

// stopCluster stops the shared API server, if a test started it.
func stopCluster() {
	if kube == nil {
		return
	}
	if err := kube.Stop(); err != nil {
		fmt.Fprintf(os.Stderr, "helm4: stopping the API server: %v\n", err)
	}
}

// release4 is one Helm 4 release in a namespace of its own on the shared
// API server.
type release4 struct {
	kube      *cluster.Cluster
	namespace string
}

// newRelease makes a namespace, named after the test, for a release.
func newRelease(t *testing.T) release4 {
	t.Helper()
	c := sharedCluster(t)
	name := strings.Trim(regexp.MustCompile(`[^a-z0-9]+`).ReplaceAllString(strings.ToLower(t.Name()), "-"), "-")
	name = fmt.Sprintf("%.50s-%d", name, namespaces.Add(1))
	if err := c.CreateNamespace(name, nil); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("kube-apiserver log, last lines:\n%s", c.LogTail(10))
		}
	})
	return release4{kube: c, namespace: name}
}

// args returns Helm's flags for the API server and the namespace.
func (r release4) args(args ...string) []string {
	return append(args, "--kubeconfig", r.kube.Kubeconfig, "--namespace", r.namespace)
}

// helm runs Helm 4 against the release's namespace and fails the test when
// Helm fails, showing what debug-overlay saved of its error (Helm 4 hides
// the plugin's stderr).
func (r release4) helm(t *testing.T, args ...string) []byte {
	t.Helper()
	res := runner.Run(t, helmCmd(4, r.args(args...)...), nil)
	if res.Code != 0 {
		saved, _ := os.ReadFile(filepath.Join(helmHome[4], "cache", "debug-overlay", "last-error.txt"))
		t.Fatalf("helm4 %s failed (exit %d):\n%s\ndebug-overlay's last-error.txt:\n%s", args[0], res.Code, res.Stderr, saved)
	}
	return res.Stdout
}

// get returns an object of the release's namespace as the API server holds it.
func (r release4) get(t *testing.T, resource, name string) map[string]any {
	t.Helper()
	out, _, err := r.kube.RunKubectl(nil, "get", resource, name, "--namespace", r.namespace, "--output", "json")
	if err != nil {
		t.Fatal(err)
	}
	var obj map[string]any
	if err := json.Unmarshal(out, &obj); err != nil {
		t.Fatal(err)
	}
	return obj
}

// path walks obj along keys, each a map key; nil when one is missing.
func path(obj map[string]any, keys ...string) map[string]any {
	for _, k := range keys {
		obj, _ = obj[k].(map[string]any)
	}
	return obj
}

// cronPodSpec is the pod spec of a CronJob.
func cronPodSpec(obj map[string]any) map[string]any {
	return path(obj, "spec", "jobTemplate", "spec", "template", "spec")
}

// checkHookSidecar checks the pod spec of the hook CronJob report: with
// want, a native debug sidecar (an init container with restartPolicy
// Always) and the containers left as they were; without, no debug
// container at all.
func checkHookSidecar(t *testing.T, where string, pod map[string]any, want bool) {
	t.Helper()
	if pod == nil {
		t.Fatalf("%s: the hook CronJob has no pod spec", where)
	}
	if got := itemNames(pod["containers"]); !cmp.Equal(got, []string{"report"}) {
		t.Errorf("%s: the hook CronJob's containers are %v, want [report]", where, got)
	}
	sidecar := named(pod["initContainers"], "debug")
	switch {
	case want && sidecar == nil:
		t.Errorf("%s: the hook CronJob has no native debug sidecar; init containers %v", where, itemNames(pod["initContainers"]))
	case want && sidecar["restartPolicy"] != "Always":
		t.Errorf("%s: the hook CronJob's debug init container has restartPolicy %v, want Always", where, sidecar["restartPolicy"])
	case !want && sidecar != nil:
		t.Errorf("%s: the hook CronJob got a debug sidecar without includeHooks", where)
	}
}

// TestHooksFromValues: `includeHooks: true` set in the toggle chart's
// values reaches the hooks under `helm install`, `helm upgrade` (both of
// its paths: an existing release, and --install of a new one) and `helm
// template` of the real Helm 4, and unset it leaves them alone. Helm 4's
// CLI sends hooks and the chart's DebugOverlay document to the post-renderer
// in one call (TestPostRendererCalledOnce), so the configuration reaches
// them. Checked where it matters: the hook CronJob as the API server holds
// it, the hooks Helm recorded in the release, and the rendered output.
func TestHooksFromValues(t *testing.T) {
	on := append(postRender(4), "--set", "debug-overlay.enabled=true")
	hooks := append(on, "--set", "debug-overlay.includeHooks=true")
	const hook, app = release + "-report", release + "-app"

	// check checks the release in the cluster and in Helm's record.
	check := func(t *testing.T, r release4, wantHook bool) {
		t.Helper()
		checkHookSidecar(t, "API server", cronPodSpec(r.get(t, "cronjob", hook)), wantHook)
		if pod := path(r.get(t, "deployment", app), "spec", "template", "spec"); named(pod["containers"], "debug") == nil {
			t.Errorf("API server: Deployment %s has no debug sidecar; containers %v", app, itemNames(pod["containers"]))
		}
		recorded := splitDocs(t, r.helm(t, "get", "hooks", release))
		checkHookSidecar(t, "helm get hooks", cronPodSpec(find(t, recorded, "CronJob", hook).obj), wantHook)
		manifest := splitDocs(t, r.helm(t, "get", "manifest", release))
		for _, d := range append(recorded, manifest...) {
			if d.kind() == "DebugOverlay" {
				t.Errorf("the release holds the DebugOverlay document %s", d.key())
			}
		}
	}

	t.Run("template", func(t *testing.T) {
		for _, want := range []bool{true, false} {
			args := map[bool][]string{true: hooks, false: on}[want]
			docs := splitDocs(t, template(t, 4, cronHooksChart, args...))
			checkHookSidecar(t, fmt.Sprintf("helm4 template, includeHooks %v", want), cronPodSpec(find(t, docs, "CronJob", hook).obj), want)
		}
	})
	t.Run("install", func(t *testing.T) {
		r := newRelease(t)
		r.helm(t, append([]string{"install", release, cronHooksChart}, hooks...)...)
		check(t, r, true)
	})
	t.Run("install without includeHooks", func(t *testing.T) {
		r := newRelease(t)
		r.helm(t, append([]string{"install", release, cronHooksChart}, on...)...)
		check(t, r, false)
	})
	t.Run("upgrade", func(t *testing.T) {
		r := newRelease(t)
		r.helm(t, append([]string{"install", release, cronHooksChart}, postRender(4)...)...)
		checkHookSidecar(t, "API server, toggle off", cronPodSpec(r.get(t, "cronjob", hook)), false)
		// pre-upgrade: Helm deletes the hook of the last run and creates it
		// anew (before-hook-creation), so the cluster shows this upgrade's.
		r.helm(t, append([]string{"upgrade", release, cronHooksChart}, hooks...)...)
		check(t, r, true)
		r.helm(t, append([]string{"upgrade", release, cronHooksChart}, on...)...)
		check(t, r, false)
	})
	t.Run("upgrade --install", func(t *testing.T) {
		r := newRelease(t)
		r.helm(t, append([]string{"upgrade", "--install", release, cronHooksChart}, hooks...)...)
		check(t, r, true)
	})
}

// TestPostRendererCalledOnce pins down the post-render strategy of Helm
// 4's commands (helm v4.3.1: action.NewInstall and action.NewUpgrade set
// PostRenderStrategyCombined and no flag changes it): `helm template`,
// `helm install`, `helm upgrade` and `helm upgrade --install` each run the
// post-renderer once, with the hooks, the other manifests and the chart's
// DebugOverlay document in one stream. Under the SDK's
// PostRenderStrategySeparate the hooks would go in a call of their own,
// without the DebugOverlay document; should a Helm command ever do that,
// this test fails.
func TestPostRendererCalledOnce(t *testing.T) {
	set := []string{"--set", "debug-overlay.enabled=true", "--set", "debug-overlay.includeHooks=true"}
	for _, tc := range []struct {
		name    string
		install bool // install the release first
		args    []string
	}{
		{name: "template", args: []string{"template", release, cronHooksChart}},
		{name: "install", args: []string{"install", release, cronHooksChart}},
		{name: "upgrade", install: true, args: []string{"upgrade", release, cronHooksChart}},
		{name: "upgrade --install", args: []string{"upgrade", "--install", release, cronHooksChart}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := append(tc.args, set...)
			if tc.name != "template" {
				r := newRelease(t)
				if tc.install {
					r.helm(t, "install", release, cronHooksChart)
				}
				args = r.args(args...)
			}
			res, calls := teeRun(t, args...)
			if res.Code != 0 {
				t.Fatalf("helm4 %s with the tee plugin failed (exit %d):\n%s", tc.name, res.Code, res.Stderr)
			}
			if len(calls) != 1 {
				t.Fatalf("helm4 %s ran the post-renderer %d times, want once", tc.name, len(calls))
			}
			var kinds []string
			for _, d := range splitDocs(t, calls[0].in) {
				kinds = append(kinds, d.kind())
			}
			// Helm 4 sends the documents sorted by template file name.
			want := []string{"DebugOverlay", "Deployment", "CronJob"}
			if !cmp.Equal(kinds, want) {
				t.Errorf("helm4 %s sent %v, want %v in one stream", tc.name, kinds, want)
			}
		})
	}
}

// TestDuplicateLabelsTestHook: a chart whose Helm test hook (a Pod) writes
// the label helm.sh/chart twice installs under the real Helm 4 with the
// plugin and the toggle on, as it does without debug-overlay (Kubernetes'
// YAML reader takes the last value): the Pod is a hook and not selected, so
// Helm records it byte for byte as the identity plugin gives it, and the
// Deployment is overlaid (issue 12: it failed the release with `mapping key
// "helm.sh/chart" already defined`).
func TestDuplicateLabelsTestHook(t *testing.T) {
	const pod, app = release + "-test-connection", release + "-app"
	on := []string{"--set", "debug-overlay.enabled=true"}
	want := find(t, splitDocs(t, template(t, 4, dupLabelsChart, append([]string{"--post-renderer", "identity"}, on...)...)), "Pod", pod)
	if n := strings.Count(want.raw, "helm.sh/chart: "); n != 2 {
		t.Fatalf("the test Pod holds helm.sh/chart %d times through the identity plugin, want 2", n)
	}
	r := newRelease(t)
	r.helm(t, append(append([]string{"install", release, dupLabelsChart}, postRender(4)...), on...)...)

	if p := path(r.get(t, "deployment", app), "spec", "template", "spec"); named(p["containers"], "debug") == nil {
		t.Errorf("Deployment %s has no debug sidecar; containers %v", app, itemNames(p["containers"]))
	}
	got := find(t, splitDocs(t, r.helm(t, "get", "hooks", release)), "Pod", pod)
	if got.raw != want.raw {
		t.Errorf("the recorded test hook differs from the identity plugin's (-identity +recorded):\n%s", testenv.LineDiff(want.raw, got.raw, 0))
	}
}
