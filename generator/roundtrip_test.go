package generator_test

import (
	"bytes"
	"github.com/debug-overlay/debug-overlay/generator/overlay"
	"testing"

	"github.com/debug-overlay/debug-overlay/generator"
	"github.com/google/go-cmp/cmp"
)

// TestStripGivesBackTheBytes: on the Helm-like benchmark stream (every
// workload kind, Secret, ConfigMap, emptyDir and PVC volumes, probes,
// comments), the overlay with a copied volume or the tools, then strip, gives back the
// input byte for byte; and rendering the overlaid stream again changes no
// byte.
func TestStripGivesBackTheBytes(t *testing.T) {
	on := true
	configs := append(benchConfigs(), struct {
		name string
		cfg  overlay.Config
	}{"enabled+tools", overlay.Config{Enabled: &on, Tools: overlay.Tools{Inject: &on}}})
	for _, c := range configs {
		if !c.cfg.IsEnabled() {
			continue
		}
		t.Run(c.name, func(t *testing.T) {
			in := benchStream(1000)
			r := generator.Renderer{Config: c.cfg}
			var out bytes.Buffer
			report, err := r.Render(bytes.NewReader(in), &out)
			if err != nil {
				t.Fatal(err)
			}
			if len(report.Workloads) != benchWorkloads(1000) {
				t.Fatalf("overlaid %d workloads, want %d", len(report.Workloads), benchWorkloads(1000))
			}
			var again bytes.Buffer
			if _, err := r.Render(bytes.NewReader(out.Bytes()), &again); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(again.Bytes(), out.Bytes()) {
				t.Errorf("rendering again changed the stream:\n%s", cmp.Diff(out.String(), again.String()))
			}
			var stripped bytes.Buffer
			n, err := (&generator.Stripper{}).Strip(bytes.NewReader(out.Bytes()), &stripped)
			if err != nil {
				t.Fatal(err)
			}
			if n != len(report.Workloads) {
				t.Errorf("stripped %d workloads, want %d", n, len(report.Workloads))
			}
			if !bytes.Equal(stripped.Bytes(), in) {
				t.Errorf("strip did not give back the input byte for byte:\n%s", cmp.Diff(string(in), stripped.String()))
			}
		})
	}
}
