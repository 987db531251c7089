package e2e

import (
	"testing"
)

// The sidecar images of the presets, as a user sees them in the output.
const (
	alpineImage  = "alpine:3.20"
	busyboxImage = "busybox:1.36"
	toolboxImage = "nicolaka/netshoot:v0.13"
)

// TestPostRendererArgs: flags reach the binary through Helm's
// --post-renderer-args, and the layers stack as documented: the chart's
// values < --config FILE < flags.
func TestPostRendererArgs(t *testing.T) {
	off := template(t)
	toolboxConfig := writeFile(t, "toolbox.yaml", []byte(`apiVersion: debug-overlay.dev/v1alpha1
kind: DebugOverlay
metadata:
  name: from-a-file
spec:
  sidecar:
    preset: toolbox
`))
	enablingConfig := writeFile(t, "enable.yaml", []byte(`apiVersion: debug-overlay.dev/v1alpha1
kind: DebugOverlay
spec:
  enabled: true
  sidecar:
    preset: busybox
`))

	for _, tc := range []struct {
		name string
		args []string // helm3 template arguments after the chart
		// wantImage is the debug container's image; "" wants no overlay at
		// all: the output is the plain render.
		wantImage string
		// wantCopy says whether the chart's copy of the keystore is there.
		wantCopy bool
	}{
		{
			name:      "chart value alone",
			args:      []string{"--set", "debug-overlay.enabled=true", "--set", "debug-overlay.sidecar.preset=busybox", "--post-renderer", bin},
			wantImage: busyboxImage,
			wantCopy:  true,
		},
		{
			name:      "flags alone, chart off",
			args:      append([]string{"--post-renderer", bin}, "--post-renderer-args", "--enable", "--post-renderer-args", "--preset=toolbox"),
			wantImage: toolboxImage,
		},
		{
			name: "flag beats chart value",
			args: append([]string{"--set", "debug-overlay.enabled=true", "--set", "debug-overlay.sidecar.preset=busybox"},
				postRender("--preset=toolbox")...),
			wantImage: toolboxImage,
			wantCopy:  true,
		},
		{
			name: "flag as two words",
			args: append([]string{"--set", "debug-overlay.enabled=true", "--set", "debug-overlay.sidecar.preset=busybox"},
				postRender("--preset", "toolbox")...),
			wantImage: toolboxImage,
			wantCopy:  true,
		},
		{
			name: "config file beats chart value",
			args: append([]string{"--set", "debug-overlay.enabled=true", "--set", "debug-overlay.sidecar.preset=busybox"},
				postRender("--config", toolboxConfig)...),
			wantImage: toolboxImage,
			wantCopy:  true,
		},
		{
			name: "flag beats config file",
			args: append([]string{"--set", "debug-overlay.enabled=true", "--set", "debug-overlay.sidecar.preset=busybox"},
				postRender("--config="+toolboxConfig, "--preset=alpine")...),
			wantImage: alpineImage,
			wantCopy:  true,
		},
		{
			name:      "config file enables, chart off",
			args:      postRender("--config", enablingConfig),
			wantImage: busyboxImage,
		},
		{
			name: "flag disables what the chart enables",
			args: append([]string{"--set", "debug-overlay.enabled=true"}, postRender("--enable=false")...),
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := template(t, tc.args...)
			if tc.wantImage == "" {
				if d := diff(off, got); d != "" {
					t.Fatalf("want the plain render (-want +got):\n%s", d)
				}
				t.Logf("byte-identical to the plain render")
				return
			}
			docs := splitDocs(t, got)
			if n := count(docs, "DebugOverlay"); n != 0 {
				t.Errorf("%d DebugOverlay documents in the output", n)
			}
			pod := statefulSet(t, docs).Spec.Template.Spec
			debug := container(pod.Containers, "debug")
			if debug == nil {
				t.Fatalf("no debug container; containers %v", names(pod.Containers))
			}
			copied := container(pod.InitContainers, "debug-overlay-copy") != nil
			t.Logf("debug image %s, keystore copied: %v", debug.Image, copied)
			if debug.Image != tc.wantImage {
				t.Errorf("debug image %s, want %s", debug.Image, tc.wantImage)
			}
			if copied != tc.wantCopy {
				t.Errorf("keystore copied: %v, want %v (init containers %v)", copied, tc.wantCopy, names(pod.InitContainers))
			}
		})
	}
}
