package e2e

import (
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
)

// TestToggleOffIsOriginal: with the toggle off, the post-renderer gives Helm
// back exactly what Helm rendered without it.
func TestToggleOffIsOriginal(t *testing.T) {
	plain := template(t)
	docs := objects(splitDocs(t, plain))
	t.Logf("plain render: %d bytes, documents %v", len(plain), docs)
	if count(docs, "StatefulSet") != 1 {
		t.Fatalf("the geth example should render one StatefulSet, got %v", docs)
	}

	for _, tc := range []struct {
		name string
		args []string
	}{
		{name: "post-renderer, chart defaults", args: postRender()},
		{name: "post-renderer, enabled=false", args: append(postRender(), "--set", "debug-overlay.enabled=false")},
		{name: "post-renderer, enabled=false with other overlay values", args: append(postRender(),
			"--set", "debug-overlay.enabled=false", "--set", "debug-overlay.sidecar.preset=busybox")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := template(t, tc.args...)
			if d := diff(plain, got); d != "" {
				t.Fatalf("output differs from the render without post-renderer (-want +got):\n%s", d)
			}
			t.Logf("byte-identical to the plain render (%d bytes)", len(got))
		})
	}
}

// TestToggleOn: --set debug-overlay.enabled=true overlays the geth
// StatefulSet as the example's values ask, and touches nothing else.
func TestToggleOn(t *testing.T) {
	off := splitDocs(t, template(t))
	// Without the post-renderer, the DebugOverlay document is there: its
	// absence below is the post-renderer's doing.
	raw := splitDocs(t, template(t, "--set", "debug-overlay.enabled=true"))
	cfg := find(t, raw, "DebugOverlay")
	t.Logf("helm3 alone renders %v; the DebugOverlay document comes from %s", objects(raw), cfg.source)

	onBytes := template(t, append(postRender(), "--set", "debug-overlay.enabled=true")...)
	on := splitDocs(t, onBytes)
	t.Logf("with the post-renderer: %v", objects(on))

	if n := count(on, "DebugOverlay"); n != 0 || strings.Contains(string(onBytes), "debug-overlay.dev/v1alpha1") {
		t.Errorf("the DebugOverlay document reached the output (%d documents)", n)
	}
	if got, want := sources(on), sources(off); !slices.Equal(got, want) {
		t.Fatalf("# Source: lines or document order changed:\n got %q\nwant %q", got, want)
	}
	for i := range off {
		if off[i].kind == "StatefulSet" {
			if on[i].raw == off[i].raw {
				t.Errorf("%v: unchanged, want it overlaid", on[i])
			}
			continue
		}
		if d := diff([]byte(off[i].raw), []byte(on[i].raw)); d != "" {
			t.Errorf("%v changed, want it byte-identical to the toggle-off render (-want +got):\n%s", off[i], d)
		} else {
			t.Logf("%v: byte-identical", on[i])
		}
	}
	stsDoc := find(t, on, "StatefulSet")
	if !strings.HasPrefix(stsDoc.raw, "---\n# Source: geth/templates/statefulset.yaml\n") {
		t.Errorf("the StatefulSet lost its `---` and `# Source:` lines:\n%s", firstLines(stsDoc.raw, 3))
	}
	if !strings.Contains(stsDoc.raw, "# geth ignores keystore files that are symlinks") {
		t.Errorf("the chart's comment in the StatefulSet was lost")
	}

	before, after := statefulSet(t, off), statefulSet(t, on)
	pod := after.Spec.Template.Spec
	t.Logf("containers %v, init containers %v, shareProcessNamespace %v", names(pod.Containers), names(pod.InitContainers), deref(pod.ShareProcessNamespace))

	if got, want := names(pod.Containers), []string{"geth", "debug"}; !slices.Equal(got, want) {
		t.Fatalf("containers %v, want %v", got, want)
	}
	geth, debug := container(pod.Containers, "geth"), container(pod.Containers, "debug")
	t.Logf("debug: image %s, command %q, mounts %v", debug.Image, debug.Command, mountList(debug.VolumeMounts))
	t.Logf("geth mounts %v", mountList(geth.VolumeMounts))

	// geth's /keystore mount now reads the copy; nothing else of geth changed.
	ks := mountAt(geth.VolumeMounts, "/keystore")
	if ks == nil || ks.Name != "keystore-debug-copy" || !ks.ReadOnly {
		t.Errorf("geth's /keystore mount is %+v, want volume keystore-debug-copy, read-only", ks)
	}
	wantGeth := container(before.Spec.Template.Spec.Containers, "geth").DeepCopy()
	mountAt(wantGeth.VolumeMounts, "/keystore").Name = "keystore-debug-copy"
	if !reflect.DeepEqual(*geth, *wantGeth) {
		t.Errorf("the geth container changed beyond its /keystore mount:\n got %+v\nwant %+v", *geth, *wantGeth)
	}

	// The sidecar mirrors geth's mounts, rewired one included.
	if !reflect.DeepEqual(debug.VolumeMounts, geth.VolumeMounts) {
		t.Errorf("debug mounts %v, want geth's %v", mountList(debug.VolumeMounts), mountList(geth.VolumeMounts))
	}
	if debug.Image == "" || len(debug.Command) == 0 {
		t.Errorf("debug container without image or command: %+v", *debug)
	}

	// The copy: an init container, a memory emptyDir, the Secret volume kept.
	if got, want := names(pod.InitContainers), []string{"debug-overlay-copy"}; !slices.Equal(got, want) {
		t.Fatalf("init containers %v, want %v", got, want)
	}
	cp := pod.InitContainers[0]
	t.Logf("debug-overlay-copy: image %s, args %q, mounts %v", cp.Image, cp.Args, mountList(cp.VolumeMounts))
	if !slices.ContainsFunc(cp.VolumeMounts, func(m corev1.VolumeMount) bool { return m.Name == "keystore" && m.ReadOnly }) ||
		!slices.ContainsFunc(cp.VolumeMounts, func(m corev1.VolumeMount) bool { return m.Name == "keystore-debug-copy" && !m.ReadOnly }) {
		t.Errorf("debug-overlay-copy should mount keystore read-only and keystore-debug-copy writable, mounts %v", mountList(cp.VolumeMounts))
	}
	if v := volume(pod.Volumes, "keystore-debug-copy"); v == nil || v.EmptyDir == nil || v.EmptyDir.Medium != corev1.StorageMediumMemory {
		t.Errorf("volume keystore-debug-copy is %+v, want an emptyDir with medium Memory", v)
	}
	if v := volume(pod.Volumes, "keystore"); v == nil || v.Secret == nil || v.Secret.SecretName != release+"-keystore" {
		t.Errorf("volume keystore is %+v, want the Secret %s-keystore, kept for the copy", v, release)
	}
	if got := len(pod.Volumes); got != len(before.Spec.Template.Spec.Volumes)+1 {
		t.Errorf("%d volumes, want the %d of the chart and the copy", got, len(before.Spec.Template.Spec.Volumes))
	}

	if !deref(pod.ShareProcessNamespace) {
		t.Errorf("shareProcessNamespace is %v, want true", pod.ShareProcessNamespace)
	}

	annotation := after.Spec.Template.Annotations["debug-overlay.dev/status"]
	t.Logf("status annotation: %s", annotation)
	var status struct {
		Containers     []string `json:"containers"`
		InitContainers []string `json:"initContainers"`
		Volumes        []string `json:"volumes"`
	}
	if err := json.Unmarshal([]byte(annotation), &status); err != nil {
		t.Fatalf("status annotation %q: %v", annotation, err)
	}
	if !slices.Contains(status.Containers, "debug") || !slices.Contains(status.InitContainers, "debug-overlay-copy") ||
		!slices.Contains(status.Volumes, "keystore-debug-copy") {
		t.Errorf("status annotation %s does not record the sidecar, the init container and the copy volume", annotation)
	}

	// Everything outside the pod template is as the chart rendered it.
	before.Spec.Template, after.Spec.Template = corev1.PodTemplateSpec{}, corev1.PodTemplateSpec{}
	if !reflect.DeepEqual(before, after) {
		t.Errorf("the StatefulSet changed outside its pod template:\n got %+v\nwant %+v", after, before)
	}
}

func deref(b *bool) bool { return b != nil && *b }

func mountAt(ms []corev1.VolumeMount, path string) *corev1.VolumeMount {
	for i := range ms {
		if ms[i].MountPath == path {
			return &ms[i]
		}
	}
	return nil
}

// mountList formats mounts as volume:path[:ro].
func mountList(ms []corev1.VolumeMount) []string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = m.Name + ":" + m.MountPath
		if m.ReadOnly {
			out[i] += ":ro"
		}
	}
	return out
}

func firstLines(s string, n int) string {
	lines := strings.SplitN(s, "\n", n+1)
	return strings.Join(lines[:min(n, len(lines))], "\n")
}
