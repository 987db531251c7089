package helm4

import (
	"bytes"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// statusAnnotation records what the overlay added to a pod template.
const statusAnnotation = "debug-overlay.dev/status"

// TestOverlay: with the toggle on, `helm4 template --post-renderer
// debug-overlay` gives the geth StatefulSet the debug sidecar, the copy init
// container and the emptyDir holding the keystore copy, drops the
// DebugOverlay document, and leaves the other objects as Helm 4 renders them.
func TestOverlay(t *testing.T) {
	off := byKey(t, splitDocs(t, template(t, 4, gethChart)))
	docs := splitDocs(t, template(t, 4, gethChart, append(postRender(4), "--set", "debug-overlay.enabled=true")...))
	on := byKey(t, docs)

	for _, d := range docs {
		if d.kind() == "DebugOverlay" {
			t.Errorf("the DebugOverlay document reached Helm's output: %s", d.key())
		}
		if _, ok := d.annotations()[filenameAnnotation]; ok {
			t.Errorf("%s kept %s: Helm 4 removes it after post-rendering", d.key(), filenameAnnotation)
		}
	}
	sts := find(t, docs, "StatefulSet", release)
	pod := podSpec(t, sts)
	if c := named(pod["containers"], "debug"); c == nil {
		t.Errorf("no debug sidecar; containers %v", itemNames(pod["containers"]))
	}
	if c := named(pod["initContainers"], "debug-overlay-copy"); c == nil {
		t.Errorf("no debug-overlay-copy init container; init containers %v", itemNames(pod["initContainers"]))
	}
	v := named(pod["volumes"], "keystore-debug-copy")
	if ed, _ := v["emptyDir"].(map[string]any); ed["medium"] != "Memory" {
		t.Errorf("volume keystore-debug-copy = %v, want an emptyDir in memory (the keystore is a Secret)", v)
	}
	tmplMeta := sts.obj["spec"].(map[string]any)["template"].(map[string]any)["metadata"].(map[string]any)
	if a, _ := tmplMeta["annotations"].(map[string]any); a[statusAnnotation] == nil {
		t.Errorf("the pod template has no %s annotation", statusAnnotation)
	}
	if pod["shareProcessNamespace"] != true {
		t.Errorf("shareProcessNamespace = %v, want true", pod["shareProcessNamespace"])
	}

	// Everything else is what Helm 4 renders without the post-renderer, once
	// the DebugOverlay document (rendered only with the toggle on) is set aside.
	for k, d := range on {
		if d.kind() == "StatefulSet" {
			continue
		}
		if diff := cmp.Diff(off[k].obj, d.obj); diff != "" {
			t.Errorf("%s changed (-helm4 alone +helm4 with the overlay):\n%s", k, diff)
		}
	}
	if want, got := sortedKeys(off), sortedKeys(on); !cmp.Equal(want, got) {
		t.Errorf("objects differ (-helm4 alone +with the overlay):\n%s", cmp.Diff(want, got))
	}
}

// TestFilenameAnnotationSurvives: every document debug-overlay writes back,
// the StatefulSet it changed included, keeps the
// postrenderer.helm.sh/postrender-filename annotation Helm 4 sent, so Helm
// files it under its template (its `# Source:` line) and not under a
// generated-by-postrender-N.yaml of its own making.
func TestFilenameAnnotationSurvives(t *testing.T) {
	r, calls := teeRun(t, "template", release, gethChart, "--set", "debug-overlay.enabled=true")
	if r.Code != 0 {
		t.Fatalf("helm4 template with the tee plugin failed (exit %d):\n%s", r.Code, r.Stderr)
	}
	if len(calls) != 1 {
		t.Fatalf("Helm 4 ran the post-renderer %d times, want once", len(calls))
	}
	in, out := calls[0].in, calls[0].out
	t.Logf("Helm 4 sent:\n%s", in)
	sent := byKey(t, splitDocs(t, in))
	for _, d := range splitDocs(t, out) {
		want, _ := sent[d.key()].annotations()[filenameAnnotation].(string)
		got, _ := d.annotations()[filenameAnnotation].(string)
		if want == "" || got != want {
			t.Errorf("%s: %s = %q, want %q as sent", d.key(), filenameAnnotation, got, want)
		}
		if d.kind() == "StatefulSet" && !strings.Contains(d.raw, statusAnnotation) {
			t.Errorf("%s was not overlaid", d.key())
		}
	}
	for _, d := range splitDocs(t, r.Stdout) {
		if strings.HasPrefix(d.source, "generated-by-postrender") || !strings.HasPrefix(d.source, "geth/templates/") {
			t.Errorf("%s is filed under %q, want its template", d.key(), d.source)
		}
	}
	if !bytes.Equal(r.Stdout, template(t, 4, gethChart, append(postRender(4), "--set", "debug-overlay.enabled=true")...)) {
		t.Errorf("the tee plugin changed what Helm prints")
	}
}
