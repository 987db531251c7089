package generator

import (
	"bytes"
	"strings"
	"testing"

	"github.com/debug-overlay/debug-overlay/generator/overlay"
	"k8s.io/utils/ptr"
)

// postRenderer is Helm's post-renderer interface (Helm 4's
// pkg/postrenderer.PostRenderer, v3's pkg/postrender.PostRenderer), declared
// here so that this package's tests link no Helm; cmd/argocd's tests assert
// Helm 4's own.
type postRenderer interface {
	Run(renderedManifests *bytes.Buffer) (modifiedManifests *bytes.Buffer, err error)
}

// TestRendererIsAHelmPostRenderer uses a Renderer the way a program built on
// the Helm SDK does: through the post-renderer interface.
func TestRendererIsAHelmPostRenderer(t *testing.T) {
	const in = `---
# Source: app/templates/pod.yaml
apiVersion: v1
kind: Pod
metadata:
  name: app
spec:
  containers:
    - name: app
      image: example/app:1
`
	var pr postRenderer = &Renderer{Config: overlay.Config{Enabled: ptr.To(true)}}
	out, err := pr.Run(bytes.NewBufferString(in))
	if err != nil {
		t.Fatal(err)
	}
	if got := out.String(); !strings.Contains(got, "- name: debug\n") || !strings.HasPrefix(got, "---\n# Source: app/templates/pod.yaml\n") {
		t.Errorf("Run did not overlay the pod:\n%s", got)
	}

	off := &Renderer{}
	out, err = off.Run(bytes.NewBufferString(in))
	if err != nil {
		t.Fatal(err)
	}
	if out.String() != in {
		t.Errorf("disabled Run changed the stream:\n%s", out.String())
	}

	bad := &Renderer{Config: overlay.Config{Enabled: ptr.To(true), Copy: overlay.Copy{Volumes: []overlay.CopyVolume{{Name: "nope"}}}}}
	if out, err := bad.Run(bytes.NewBufferString(in)); err == nil || out != nil {
		t.Errorf("Run with a missing copy volume = %v, %v; want nil and an error", out, err)
	}
}
