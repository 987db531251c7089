package generator

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/debug-overlay/debug-overlay/generator/overlay"
	"github.com/google/go-cmp/cmp"
	"k8s.io/utils/ptr"
)

const checkStatefulSet = `---
# Source: app/templates/sts.yaml
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: app
spec:
  template:
    spec:
      containers:
        - name: app
          image: app
      volumes:
        - name: keystore
          secret:
            secretName: keystore
`

func TestCheck(t *testing.T) {
	for _, tc := range []struct {
		name     string
		stream   string
		config   overlay.Config // r.Config
		problems []string
		findings []string
		checked  bool
	}{
		{
			name:    "good stream and configuration",
			stream:  checkStatefulSet + overlayDoc("enabled: true\n  copy: {volumes: [{name: keystore}]}"),
			checked: true,
		},
		{
			name:   "disabled: documents are not checked",
			stream: checkStatefulSet + "---\nkind: List\napiVersion: v1\nitems: []\n",
		},
		{
			name: "every problem of the configuration document",
			stream: checkStatefulSet + overlayDoc("enabled: true\n  colour: blue\n  sidecar: {preset: alpin, imag: x}\n"+
				"  copy: {volumes: [{name: keystore}, {name: keystore}]}"),
			problems: []string{
				`document 2 (DebugOverlay) from app/charts/debug-overlay/templates/debugoverlay.yaml: unknown field "spec.colour"`,
				`document 2 (DebugOverlay) from app/charts/debug-overlay/templates/debugoverlay.yaml: unknown field "spec.sidecar.imag"`,
				`spec.sidecar.preset: unknown preset "alpin"`,
				`spec.copy.volumes[1].name: volume "keystore" is listed twice`,
			},
			checked: true,
		},
		{
			name: "documents are checked although the configuration is invalid",
			stream: checkStatefulSet + "---\napiVersion: v1\nkind: List\nitems: []\n---\napiVersion: v1\nmetadata: {name: x}\n" +
				overlayDoc("enabled: true\n  sidecar: {profile: root}\n  targets: [{name: nope}]"),
			problems: []string{
				`spec.sidecar.profile: unknown profile "root"`,
				`document 2 (List): List documents are not supported`,
				`document 3: not a Kubernetes object: no kind`,
				`spec.targets[0]: target */nope matched no workload (workloads in the stream: statefulset/app)`,
			},
			checked: true,
		},
		{
			name:     "two configuration documents",
			stream:   overlayDoc("enabled: false") + overlayDoc("enabled: true") + checkStatefulSet,
			problems: []string{"the stream holds 2 DebugOverlay documents; keep one"},
			checked:  true,
		},
		{
			name:     "r.Config layered above the stream",
			stream:   checkStatefulSet,
			config:   overlay.Config{Enabled: ptr.To(true), Copy: overlay.Copy{Volumes: []overlay.CopyVolume{{Name: "nope"}}}},
			problems: []string{`spec.copy.volumes[0]: no selected workload has a volume named "nope"`},
			checked:  true,
		},
		{
			name:   "a refused copy is not also a missing one",
			stream: checkStatefulSet,
			config: overlay.Config{Enabled: ptr.To(true), Copy: overlay.Copy{Volumes: []overlay.CopyVolume{{Name: "keystore", Owner: overlay.OwnerApp}, {Name: "nope"}}}},
			problems: []string{
				`document 1 (StatefulSet app) from app/templates/sts.yaml: spec.template.spec: copy.volumes[0].owner: app, but container "app" has no runAsUser`,
				`spec.copy.volumes[1]: no selected workload has a volume named "nope"`,
			},
			checked: true,
		},
		{
			name:     "nothing selected is a warning",
			stream:   "---\napiVersion: v1\nkind: Service\nmetadata: {name: s}\n",
			config:   overlay.Config{Enabled: ptr.To(true)},
			findings: []string{"the overlay is enabled but no workload in the stream was selected"},
			checked:  true,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := &Renderer{Config: tc.config}
			rep, err := r.Check(strings.NewReader(tc.stream))
			if err != nil {
				t.Fatal(err)
			}
			if len(rep.Problems) != len(tc.problems) {
				t.Errorf("got %d problems, want %d:\n%s", len(rep.Problems), len(tc.problems), errorLines(rep.Problems))
			}
			for i, want := range tc.problems {
				if i < len(rep.Problems) && !strings.Contains(rep.Problems[i].Error(), want) {
					t.Errorf("problem %d = %q, want it to contain %q", i, rep.Problems[i], want)
				}
			}
			var findings []string
			for _, f := range rep.Findings {
				findings = append(findings, f.String())
			}
			if diff := cmp.Diff(tc.findings, findings); diff != "" {
				t.Errorf("findings (-want +got):\n%s", diff)
			}
			if rep.Checked != tc.checked {
				t.Errorf("Checked = %v, want %v", rep.Checked, tc.checked)
			}
			// Render fails exactly when Check finds a problem.
			_, renderErr := r.Render(strings.NewReader(tc.stream), discardWriter{})
			if (renderErr != nil) != (len(rep.Problems) > 0) {
				t.Errorf("Render error %v, but Check found %d problems", renderErr, len(rep.Problems))
			}
		})
	}
}

func TestCheckDebugOverlay(t *testing.T) {
	for _, tc := range []struct {
		name   string
		data   string
		errs   []string
		object bool // an object comes back
	}{
		{name: "valid", data: "apiVersion: debug-overlay.dev/v1alpha1\nkind: DebugOverlay\nspec: {enabled: true}\n", object: true},
		{
			name: "unknown fields and wrong kind",
			data: "apiVersion: debug-overlay.dev/v1alpha1\nkind: DebugOverlays\nspec: {enabld: true, sidecar: {nam: x}}\n",
			errs: []string{
				`f.yaml: unknown field "spec.enabld"`,
				`f.yaml: unknown field "spec.sidecar.nam"`,
				`f.yaml: want apiVersion debug-overlay.dev/v1alpha1 and kind DebugOverlay, got "debug-overlay.dev/v1alpha1" and "DebugOverlays"`,
			},
			object: true,
		},
		{
			name: "wrong type",
			data: "apiVersion: debug-overlay.dev/v1alpha1\nkind: DebugOverlay\nspec: {enabled: yes-please}\n",
			errs: []string{`f.yaml: error unmarshaling JSON`},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			obj, errs := CheckDebugOverlay([]byte(tc.data), "f.yaml")
			if (obj != nil) != tc.object {
				t.Errorf("object %v, want one: %v", obj, tc.object)
			}
			if len(errs) != len(tc.errs) {
				t.Fatalf("got %d errors, want %d:\n%s", len(errs), len(tc.errs), errorLines(errs))
			}
			for i, want := range tc.errs {
				if !strings.Contains(errs[i].Error(), want) {
					t.Errorf("error %d = %q, want it to contain %q", i, errs[i], want)
				}
			}
		})
	}
}

func TestUnjoin(t *testing.T) {
	a, b, c := errors.New("a"), errors.New("b"), errors.New("c")
	for _, tc := range []struct {
		name string
		err  error
		want []error
	}{
		{name: "nil", err: nil, want: nil},
		{name: "plain", err: a, want: []error{a}},
		{name: "nested joins", err: errors.Join(a, errors.Join(b, c)), want: []error{a, b, c}},
		{name: "wrapped join stays whole", err: fmt.Errorf("x: %w", errors.Join(a, b)), want: nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := Unjoin(tc.err)
			if tc.name == "wrapped join stays whole" {
				if len(got) != 1 || got[0] != tc.err {
					t.Errorf("Unjoin = %v, want the error itself", got)
				}
				return
			}
			if !cmp.Equal(tc.want, got, cmp.Comparer(func(x, y error) bool { return x == y })) {
				t.Errorf("Unjoin = %v, want %v", got, tc.want)
			}
		})
	}
}

func ExampleCheckDebugOverlay() {
	_, errs := CheckDebugOverlay([]byte(`apiVersion: debug-overlay.dev/v1alpha1
kind: DebugOverlay
spec:
  enabled: true
  sidecar: {preset: busybox, imag: busybox:1.36}
  copy: {volume: [{name: keystore}]}
`), "overlay.yaml")
	for _, err := range errs {
		fmt.Println(err)
	}
	// Output:
	// overlay.yaml: unknown field "spec.copy.volume"
	// overlay.yaml: unknown field "spec.sidecar.imag"
}

func overlayDoc(spec string) string {
	return "---\n# Source: app/charts/debug-overlay/templates/debugoverlay.yaml\napiVersion: debug-overlay.dev/v1alpha1\nkind: DebugOverlay\nmetadata: {name: rel}\nspec:\n  " + spec + "\n"
}

func errorLines(errs []error) string {
	var b strings.Builder
	for _, e := range errs {
		fmt.Fprintf(&b, "  %v\n", e)
	}
	return b.String()
}

type discardWriter struct{}

func (discardWriter) Write(p []byte) (int, error) { return len(p), nil }
