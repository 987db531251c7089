package apiserver

import (
	"bytes"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"

	"github.com/debug-overlay/debug-overlay/generator/overlay"
	"github.com/debug-overlay/debug-overlay/test/testenv"
)

// TestExamplesAccepted: each example chart, rendered by the real Helm 3 with
// debug-overlay as its post-renderer, toggle off, on, and on with every
// security profile, passes server-side dry-run apply; the toggled-on renders
// draw no warning the toggled-off one does not.
func TestExamplesAccepted(t *testing.T) {
	ns := namespace(t, nil)
	type render struct {
		name    string
		set     []string
		overlay bool // whether the render must carry the overlay
	}
	renders := []render{
		{name: "toggle-off", set: []string{"debug-overlay.enabled=false"}},
		{name: "toggle-on", set: []string{"debug-overlay.enabled=true"}, overlay: true},
	}
	for _, p := range overlay.ProfileNames() {
		set := []string{"debug-overlay.enabled=true", "debug-overlay.sidecar.profile=" + string(p)}
		if p == overlay.ProfileSysadmin {
			set = append(set, "debug-overlay.allowPrivileged=true")
		}
		renders = append(renders, render{name: "toggle-on-profile-" + string(p), set: set, overlay: true})
	}
	for _, chart := range examples {
		t.Run(filepath.Base(chart), func(t *testing.T) {
			var offWarnings []string
			for _, r := range renders {
				t.Run(r.name, func(t *testing.T) {
					args := []string{"template", "rel", chart, "--namespace", ns, "--post-renderer", bin}
					for _, s := range r.set {
						args = append(args, "--set", s)
					}
					manifest, err := testenv.Output(exec.Command(helm3, args...))
					if err != nil {
						t.Fatal(err)
					}
					if got := bytes.Contains(manifest, []byte(overlay.StatusAnnotation)); got != r.overlay {
						t.Fatalf("render carries the overlay's status annotation: %v, want %v:\n%s", got, r.overlay, manifest)
					}
					warnings, err := kube.ApplyServerDryRun(ns, manifest)
					if err != nil {
						t.Fatalf("the server refuses the render (%d bytes):\n%v\nrender:\n%s", len(manifest), err, manifest)
					}
					if !r.overlay {
						offWarnings = warnings
					}
					for _, w := range warnings {
						if r.overlay && !slices.Contains(offWarnings, w) {
							t.Errorf("the server warns about the overlaid render but not the plain one: %s", w)
						} else {
							t.Logf("warning: %s", w)
						}
					}
					t.Logf("accepted (%d bytes)", len(manifest))
				})
			}
		})
	}
}
