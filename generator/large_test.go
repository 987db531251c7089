package generator

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/debug-overlay/debug-overlay/generator/overlay"
	"k8s.io/utils/ptr"
)

// Sizes the large-input tests build their documents to. They are generated
// here rather than committed: a 50 MB golden file would weigh on every
// clone, and an annotation over 256 KiB is refused by the API server, which
// test/apiserver asks to accept every golden expected.yaml.
const (
	oneMB   = 1 << 20
	fiftyMB = 50 << 20
)

// largeConfigMap is a ConfigMap document of at least size bytes: many keys,
// each a block scalar of ordinary lines, the shape of a chart that ships
// dashboards or rules.
func largeConfigMap(size int) []byte {
	var b bytes.Buffer
	b.WriteString("---\n# Source: app/templates/dashboards.yaml\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: dashboards # big\ndata:\n")
	line := "    " + strings.Repeat("{\"panel\": \"x\", \"expr\": \"rate(http_requests_total[5m])\"} ", 3) + "\n"
	for key := 0; b.Len() < size; key++ {
		fmt.Fprintf(&b, "  dashboard-%d.json: |\n", key)
		for i := 0; i < 1000 && b.Len() < size; i++ {
			b.WriteString(line)
		}
	}
	return b.Bytes()
}

// annotatedDeployment is a Deployment whose metadata carries one annotation
// whose value is a single line of size bytes.
func annotatedDeployment(value string) []byte {
	return []byte(`---
# Source: app/templates/deployment.yaml
apiVersion: apps/v1
kind: Deployment
metadata:
  name: app
  annotations:
    example.com/blob: ` + value + `
spec:
  selector:
    matchLabels:
      app: app
  template:
    metadata:
      labels:
        app: app
    spec:
      containers:
        - name: app
          image: ghcr.io/example/app:1.0
`)
}

// longLine is a single-line plain scalar of n bytes without a character
// YAML would quote.
func longLine(n int) string {
	const chunk = "abcdefghijklmnopqrstuvwxyz0123456789-"
	return strings.Repeat(chunk, n/len(chunk)+1)[:n]
}

func TestRenderLargeConfigMapPassesThrough(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a 50 MB stream")
	}
	cm := largeConfigMap(fiftyMB)
	deploy := annotatedDeployment("small")
	in := append(append([]byte{}, cm...), deploy...)

	start := time.Now()
	out, report, err := render(overlay.Config{Enabled: ptr.To(true)}, in)
	if err != nil {
		t.Fatalf("Render: %v", err)
	}
	t.Logf("rendered %d MB in %v", len(in)>>20, time.Since(start).Round(time.Millisecond))
	if !bytes.HasPrefix(out, cm) {
		t.Fatalf("the %d-byte ConfigMap is not the output's first document byte for byte", len(cm))
	}
	rest := out[len(cm):]
	if !bytes.HasPrefix(rest, []byte("---\n# Source: app/templates/deployment.yaml\n")) {
		t.Fatalf("the output does not go on with the Deployment after the ConfigMap: %.200q", rest)
	}
	if !bytes.Contains(rest, []byte(overlay.StatusAnnotation)) {
		t.Errorf("the Deployment after the ConfigMap is not overlaid:\n%s", rest)
	}
	if len(report.Workloads) != 1 {
		t.Errorf("report lists %d workloads, want 1", len(report.Workloads))
	}
}

func TestRenderLongAnnotation(t *testing.T) {
	for _, tc := range []struct {
		name string
		size int
		// invariants runs checkInvariants too (parses the stream several
		// times: too slow for the largest size).
		invariants bool
	}{
		{name: "1 MB", size: oneMB, invariants: true},
		{name: "50 MB", size: fiftyMB},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.size > oneMB && testing.Short() {
				t.Skip("builds a 50 MB document")
			}
			value := longLine(tc.size)
			in := annotatedDeployment(value)

			start := time.Now()
			out, report, err := render(overlay.Config{Enabled: ptr.To(true)}, in)
			if err != nil {
				t.Fatalf("Render: %v", err)
			}
			t.Logf("rendered %d bytes in %v", len(in), time.Since(start).Round(time.Millisecond))
			if want := "\n    example.com/blob: " + value + "\n"; !bytes.Contains(out, []byte(want)) {
				t.Errorf("the %d-byte annotation is not in the output as one unchanged line", tc.size)
			}
			if !bytes.Contains(out, []byte(overlay.StatusAnnotation)) || !bytes.Contains(out, []byte("\n        - name: debug\n")) {
				t.Errorf("the Deployment is not overlaid:\n%.3000s", out)
			}
			if len(report.Workloads) != 1 {
				t.Errorf("report lists %d workloads, want 1", len(report.Workloads))
			}
			if tc.invariants {
				for _, p := range checkInvariants(in, out, report, nil) {
					t.Error(p)
				}
			}
		})
	}
}
