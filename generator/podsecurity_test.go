package generator

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"k8s.io/utils/ptr"

	"github.com/debug-overlay/debug-overlay/generator/overlay"
)

// TestAutoExplain: with profile auto, explain says per workload the
// profile chosen, the level and where it was read (the stream's Namespace
// documents, else inferred from the pod), what the choice costs and whom
// the debug container runs as.
func TestAutoExplain(t *testing.T) {
	input, err := os.ReadFile(filepath.Join(goldenDir, "profile-auto", "input.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	_, report, err := render(overlay.Config{Enabled: ptr.To(true), Sidecar: overlay.Sidecar{Profile: overlay.ProfileAuto}}, input)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	if err := report.Explain(&b); err != nil {
		t.Fatal(err)
	}
	got := b.String()
	t.Logf("explain:\n%s", got)
	for _, want := range []string{
		"Deployment locked/app (app/templates/locked.yaml)\n" +
			`  debug container "debug": sidecar container, profile auto: restricted, for Pod Security restricted:latest (label pod-security.kubernetes.io/enforce of Namespace locked in the stream)` + "\n" +
			"  costs: no SYS_PTRACE (no strace, no gdb attach), and it runs as a non-root user with every capability dropped: it reads only what that user may\n" +
			`  runs as: 1001 (runAsUser of container "app"), in the pod's groups fsGroup 2000` + "\n",
		"Deployment base/app (app/templates/base.yaml)\n" +
			`  debug container "debug": sidecar container, profile auto: baseline, for Pod Security baseline:v1.30 (label pod-security.kubernetes.io/enforce of Namespace base in the stream)` + "\n" +
			"  costs: no SYS_PTRACE (no strace, no gdb attach)\n" +
			"  runs as: 1000 (runAsUser of the pod), in the pod's groups fsGroup 2000\n",
		"Deployment open/app (app/templates/open.yaml)\n" +
			`  debug container "debug": sidecar container, profile auto: general, for Pod Security privileged:latest (label pod-security.kubernetes.io/enforce of Namespace open in the stream)` + "\n" +
			`  runs as: 0:0 (runAsUser of container "app", runAsGroup of container "app")` + "\n",
		`profile auto: restricted, for Pod Security restricted:latest (inferred from the pod, which is written for restricted)` + "\n",
		`profile auto: general, for Pod Security privileged:latest (inferred from the pod, which is not written for restricted (container "app" may run as root: no runAsNonRoot); set spec.podSecurity (--pod-security) where the namespace enforces baseline)` + "\n" +
			"  runs as: the image's user (the pod spec names none)\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("explain does not say:\n%s", want)
		}
	}
}

// TestAutoKRM: the KRM function reads the Namespace items as Render reads
// the Namespace documents.
func TestAutoKRM(t *testing.T) {
	ns := `  - apiVersion: v1
    kind: Namespace
    metadata:
      name: prod
      labels:
        pod-security.kubernetes.io/enforce: baseline
`
	var out strings.Builder
	report, err := (&Function{}).Run(strings.NewReader(resourceList(debugOverlay("enabled: true\nsidecar:\n  profile: auto\n"), ns, krmDeployment)), &out)
	if err != nil {
		t.Fatal(err)
	}
	if len(report.Workloads) != 1 {
		t.Fatalf("%d workloads", len(report.Workloads))
	}
	if ch := report.Workloads[0].Choice; ch.Profile != overlay.ProfileBaseline || !strings.Contains(ch.String(), "Namespace prod in the stream") {
		t.Errorf("choice %s, want baseline from Namespace prod", ch)
	}
	if !strings.Contains(out.String(), "kind: Namespace") {
		t.Errorf("the Namespace item is gone:\n%s", out.String())
	}
}

// TestAutoCheck: check takes profile auto as Render does, levels and all:
// a named profile that a Namespace document's level refuses is a warning.
func TestAutoCheck(t *testing.T) {
	input, err := os.ReadFile(filepath.Join(goldenDir, "profile-auto", "input.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	rep, err := (&Renderer{Config: overlay.Config{Enabled: ptr.To(true), Sidecar: overlay.Sidecar{Profile: overlay.ProfileAuto}}}).Check(strings.NewReader(string(input)))
	if err != nil || !rep.Checked || len(rep.Problems) > 0 || len(rep.Findings) > 0 || rep.Config.Sidecar.Profile != overlay.ProfileAuto {
		t.Errorf("check with auto: %v, checked %v, problems %v, findings %v, profile %s", err, rep.Checked, rep.Problems, rep.Findings, rep.Config.Sidecar.Profile)
	}
	rep, err = (&Renderer{Config: overlay.Config{Enabled: ptr.To(true)}}).Check(strings.NewReader(string(input)))
	var warned []string
	for _, f := range rep.Findings {
		warned = append(warned, f.String())
	}
	if err != nil || len(warned) != 2 || !strings.Contains(warned[0], "(Deployment locked/app) from app/templates/locked.yaml: profile general needs Pod Security privileged, but the pod is to meet restricted:latest") ||
		!strings.Contains(warned[1], "(Deployment base/app)") {
		t.Errorf("check with general: %v, findings:\n%s", err, strings.Join(warned, "\n"))
	}
}
