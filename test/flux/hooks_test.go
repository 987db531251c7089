package flux

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestFluxHooks: helm-controller's spec.postRenderStrategy decides whether
// hooks reach the postRenderers: "combined" sends hooks and templates in one
// stream, "separate" in two, "nohooks" none (Helm 3's way). The default is
// combined, or nohooks with the UseHelm3Defaults feature gate, so each case
// but one pins it. The postRenderers `debug-overlay generate` writes leave a
// hook Job alone unless includeHooks is set, and then give it a native
// sidecar; the objects helm-controller installs are, field by field, what
// debug-overlay itself makes of the chart's render, as the API server
// stores them.
func TestFluxHooks(t *testing.T) {
	const rel, app, job = "hooks", "hooks-app", "hooks-migrate"
	tests := []struct {
		name         string
		strategy     string // spec.postRenderStrategy; "" leaves it unset
		includeHooks bool
		// hookOverlaid: the hook Job gets the overlay.
		hookOverlaid bool
	}{
		{name: "combined", strategy: "combined"},
		{name: "combined includeHooks", strategy: "combined", includeHooks: true, hookOverlaid: true},
		{name: "separate", strategy: "separate"},
		{name: "separate includeHooks", strategy: "separate", includeHooks: true, hookOverlaid: true},
		{name: "nohooks includeHooks", strategy: "nohooks", includeHooks: true},
		// The strategy generate pins (combined) where a hook is overlaid.
		{name: "pinned by generate, includeHooks", includeHooks: true, hookOverlaid: true},
	}
	chart := chartPackage(t, "flux-hooks")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ns := namespace(t, "flux")
			flags := []string{"--enable"}
			if tt.includeHooks {
				flags = append(flags, "--include-hooks")
			}
			plain := mustRun(t, nil, helm3, "template", rel, chart, "--namespace", ns)
			overlaid := mustRun(t, plain, bin, flags...)

			hr := release(ns, rel, "flux-hooks", nil)
			spec := hr["spec"].(object)
			prs, pinned := generateRelease(t, plain, append(flags, "--flux-release", ns+"/"+rel)...)
			spec["postRenderers"] = prs
			// With a hook overlaid, generate pins combined: unset, the
			// strategy is the controller's, nohooks with UseHelm3Defaults.
			if want := map[bool]string{true: "combined"}[tt.includeHooks]; pinned != want {
				t.Errorf("generate pins postRenderStrategy %q, want %q", pinned, want)
			}
			if pinned != "" {
				spec["postRenderStrategy"] = pinned
			}
			if tt.strategy != "" {
				spec["postRenderStrategy"] = tt.strategy
			}
			apply(t, hr)
			waitRelease(t, ns, rel, 1)

			gotApp := comparable(t, get(t, ns, "deployment.apps", app))
			wantApp := comparable(t, reference(t, document(t, overlaid, "Deployment", app)))
			if diff := cmp.Diff(wantApp, gotApp); diff != "" {
				t.Errorf("Deployment %s differs from debug-overlay's (-debug-overlay +flux):\n%s", app, diff)
			}
			if templateAnnotations(gotApp)[statusAnnotation] == nil {
				t.Errorf("Deployment %s has no %s annotation: not overlaid", app, statusAnnotation)
			}

			gotJob := comparable(t, get(t, ns, "job.batch", job))
			source := plain
			if tt.hookOverlaid {
				source = overlaid
			}
			wantJob := comparable(t, reference(t, document(t, source, "Job", job)))
			if diff := cmp.Diff(wantJob, gotJob); diff != "" {
				t.Errorf("hook Job %s differs from the chart's (overlaid: %v) (-want +flux):\n%s", job, tt.hookOverlaid, diff)
			}
			pod := podSpec(gotJob)
			containers, _ := pod["containers"].([]any)
			if got := names(containers); !cmp.Equal(got, []string{"migrate"}) {
				t.Errorf("hook Job containers %v, want [migrate]: a classic sidecar would keep the Job from completing", got)
			}
			sidecar := named(pod["initContainers"], "debug")
			annotated := templateAnnotations(gotJob)[statusAnnotation] != nil
			switch {
			case !tt.hookOverlaid && (sidecar != nil || annotated):
				t.Errorf("the hook Job was overlaid (init container debug %v, %s annotation %v), want it untouched", sidecar != nil, statusAnnotation, annotated)
			case tt.hookOverlaid && (sidecar == nil || sidecar["restartPolicy"] != "Always" || !annotated):
				t.Errorf("the hook Job has init container debug %v, %s annotation %v: want a native sidecar (restartPolicy Always) and the annotation", sidecar, statusAnnotation, annotated)
			}
		})
	}
}
