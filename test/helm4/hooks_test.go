package helm4

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestHooks: Helm 4 sends hooks to the post-renderer, Helm 3 never does. By
// default debug-overlay leaves a hook Job alone under Helm 4 too; with
// includeHooks it gives it a native sidecar (an init container with
// restartPolicy Always), so the Job still completes. Under Helm 3
// includeHooks cannot reach a hook at all.
func TestHooks(t *testing.T) {
	const job, app = release + "-migrate", release + "-app"
	for _, tc := range []struct {
		name      string
		major     int
		set       []string
		hookTouch bool // the hook Job gets the sidecar
	}{
		{name: "helm4 default", major: 4},
		{name: "helm4 includeHooks", major: 4, set: []string{"debug-overlay.includeHooks=true"}, hookTouch: true},
		{name: "helm3 includeHooks", major: 3, set: []string{"debug-overlay.includeHooks=true"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			alone := splitDocs(t, template(t, tc.major, hooksChart))
			args := append(postRender(tc.major), "--set", "debug-overlay.enabled=true")
			for _, s := range tc.set {
				args = append(args, "--set", s)
			}
			docs := splitDocs(t, template(t, tc.major, hooksChart, args...))

			// The regular workload is overlaid either way.
			if named(podSpec(t, find(t, docs, "Deployment", app))["containers"], "debug") == nil {
				t.Errorf("Deployment %s has no debug sidecar", app)
			}

			hook := find(t, docs, "Job", job)
			if hook.annotations()["helm.sh/hook"] != "pre-install,pre-upgrade" {
				t.Fatalf("Job %s lost its hook annotations: %v", job, hook.annotations())
			}
			pod := podSpec(t, hook)
			if named(pod["containers"], "debug") != nil {
				t.Errorf("the hook Job got a classic sidecar, which would keep it from completing; containers %v", itemNames(pod["containers"]))
			}
			sidecar := named(pod["initContainers"], "debug")
			if !tc.hookTouch {
				if diff := cmp.Diff(find(t, alone, "Job", job).obj, hook.obj); diff != "" {
					t.Errorf("the hook Job changed (-helm%d alone +with the overlay):\n%s", tc.major, diff)
				}
				if strings.Contains(hook.raw, statusAnnotation) {
					t.Errorf("the hook Job carries %s", statusAnnotation)
				}
				return
			}
			if sidecar == nil {
				t.Fatalf("the hook Job has no native debug sidecar; init containers %v", itemNames(pod["initContainers"]))
			}
			if sidecar["restartPolicy"] != "Always" {
				t.Errorf("the hook Job's debug init container has restartPolicy %v, want Always (a native sidecar)", sidecar["restartPolicy"])
			}
			if got := itemNames(pod["containers"]); !cmp.Equal(got, []string{"migrate"}) {
				t.Errorf("the hook Job's containers are %v, want [migrate]", got)
			}
			if !strings.Contains(hook.raw, statusAnnotation) {
				t.Errorf("the hook Job has no %s", statusAnnotation)
			}
		})
	}
}
