package generator

import (
	"strings"
	"testing"

	"github.com/debug-overlay/debug-overlay/generator/overlay"
	"k8s.io/utils/ptr"
)

// TestRenderWithoutMetadata: a workload without metadata (which the API
// server would refuse for its missing name, so it cannot be a golden case
// that test/apiserver applies) is overlaid like any other, and its pod
// template's metadata is created for the status annotation.
func TestRenderWithoutMetadata(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   string
	}{
		{
			name: "pod",
			in: `---
# Source: app/templates/pod.yaml
apiVersion: v1
kind: Pod
spec:
  containers:
    - name: app
      image: ghcr.io/example/app:1.0
`,
		},
		{
			name: "deployment, no metadata anywhere",
			in: `---
# Source: app/templates/deployment.yaml
apiVersion: apps/v1
kind: Deployment
spec:
  template:
    spec:
      containers:
        - name: app
          image: ghcr.io/example/app:1.0
`,
		},
		{
			name: "deployment, metadata null",
			in: `---
# Source: app/templates/deployment.yaml
apiVersion: apps/v1
kind: Deployment
metadata: null
spec:
  template:
    metadata: null
    spec:
      containers:
        - name: app
          image: ghcr.io/example/app:1.0
`,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, report, err := render(overlay.Config{Enabled: ptr.To(true)}, []byte(tc.in))
			if err != nil {
				t.Fatalf("Render: %v", err)
			}
			if len(report.Workloads) != 1 {
				t.Fatalf("report lists %d workloads, want 1:\n%s", len(report.Workloads), out)
			}
			if !strings.Contains(string(out), overlay.StatusAnnotation) || !strings.Contains(string(out), "- name: debug\n") {
				t.Errorf("not overlaid:\n%s", out)
			}
			for _, p := range checkInvariants([]byte(tc.in), out, report, nil) {
				t.Error(p)
			}
		})
	}
}
