package e2e

import (
	"strings"
	"testing"
)

// TestSchemaRejectsUnknownPreset: values.schema.json lets Helm itself reject
// a bad value before anything is rendered or post-rendered.
func TestSchemaRejectsUnknownPreset(t *testing.T) {
	r := helm(t, append([]string{"template", release, gethChart,
		"--set", "debug-overlay.enabled=true", "--set", "debug-overlay.sidecar.preset=nope"}, postRender()...)...)
	t.Logf("helm3 stderr:\n%s", r.Stderr)
	if r.Code == 0 {
		t.Fatalf("helm3 accepted sidecar.preset=nope; stdout:\n%s", r.Stdout)
	}
	if len(r.Stdout) != 0 {
		t.Errorf("helm3 failed but wrote %d bytes on stdout", len(r.Stdout))
	}
	stderr := string(r.Stderr)
	for _, want := range []string{"values don't meet the specifications of the schema", "debug-overlay", "/sidecar/preset", "'toolbox'"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr does not contain %q", want)
		}
	}
	if strings.Contains(stderr, "post render") {
		t.Errorf("the post-renderer ran; want Helm to reject the values first")
	}
}

// TestConfigErrorFailsHelm: a configuration the schema accepts but the
// post-renderer rejects makes Helm fail with the post-renderer's message,
// and nothing is rendered.
func TestConfigErrorFailsHelm(t *testing.T) {
	for _, tc := range []struct {
		name string
		set  []string
		want []string // in helm3's stderr
	}{
		{
			name: "copy volume that does not exist",
			set:  []string{"debug-overlay.copy.volumes[0].name=nope"},
			want: []string{`spec.copy.volumes[0]`, `"nope"`},
		},
		{
			name: "target that matches nothing",
			set:  []string{"debug-overlay.targets[0].name=nope"},
			want: []string{`spec.targets[0]`, `matched no workload`, `statefulset/` + release},
		},
		{
			name: "target container that does not exist",
			set:  []string{"debug-overlay.targets[0].containers[0]=nope"},
			want: []string{`StatefulSet ` + release, `geth/templates/statefulset.yaml`, `"nope"`, `geth`},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := []string{"template", release, gethChart, "--set", "debug-overlay.enabled=true"}
			for _, s := range tc.set {
				args = append(args, "--set", s)
			}
			r := helm(t, append(args, postRender()...)...)
			t.Logf("helm3 stderr:\n%s", r.Stderr)
			if r.Code == 0 {
				t.Fatalf("helm3 succeeded; stdout:\n%s", r.Stdout)
			}
			if len(r.Stdout) != 0 {
				t.Errorf("helm3 failed but rendered %d bytes on stdout:\n%s", len(r.Stdout), r.Stdout)
			}
			stderr := string(r.Stderr)
			for _, want := range append([]string{"post render", "debug-overlay: error:"}, tc.want...) {
				if !strings.Contains(stderr, want) {
					t.Errorf("helm3's stderr does not contain %q", want)
				}
			}
		})
	}
}

// TestBinaryErrorContract: on bad input or usage the binary exits non-zero,
// writes nothing on stdout (Helm would install it) and names the culprit on
// stderr: the document, its `# Source:` file, the flag.
func TestBinaryErrorContract(t *testing.T) {
	good := "---\n# Source: x/templates/cm.yaml\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: fine\ndata:\n  a: b\n"
	for _, tc := range []struct {
		name  string
		args  []string
		input string
		want  []string // in stderr
	}{
		{
			name: "workload that is not valid YAML",
			args: []string{"--enable"},
			input: good + "---\n# Source: x/templates/deploy.yaml\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n" +
				"spec:\n  template:\n    spec:\n      containers: [oops\n",
			want: []string{"document 2", "Deployment", "x/templates/deploy.yaml", "not valid YAML"},
		},
		{
			name:  "flow-style document that is not valid YAML",
			args:  []string{"--enable"},
			input: good + "---\n# Source: x/templates/flow.yaml\n{apiVersion: v1, kind: ConfigMap, metadata: {name: [x}\n",
			want:  []string{"document 2", "x/templates/flow.yaml", "not valid YAML"},
		},
		{
			name:  "document without kind",
			args:  []string{"--enable"},
			input: "---\n# Source: x/templates/nokind.yaml\napiVersion: v1\nmetadata:\n  name: x\n" + good,
			want:  []string{"document 1", "x/templates/nokind.yaml", "no kind"},
		},
		{
			name: "List document",
			args: []string{"--enable"},
			input: good + "---\n# Source: x/templates/list.yaml\napiVersion: v1\nkind: List\nitems:\n" +
				"  - apiVersion: v1\n    kind: Pod\n    metadata:\n      name: p\n    spec:\n      containers: [{name: a, image: a}]\n",
			want: []string{"document 2", "List", "x/templates/list.yaml"},
		},
		{
			name: "DebugOverlay document with an unknown field",
			input: good + "---\n# Source: x/charts/debug-overlay/templates/debugoverlay.yaml\napiVersion: debug-overlay.dev/v1alpha1\n" +
				"kind: DebugOverlay\nmetadata:\n  name: rel\nspec:\n  enabled: true\n  sidecr: {}\n",
			want: []string{"document 2", "DebugOverlay", "x/charts/debug-overlay/templates/debugoverlay.yaml", "sidecr"},
		},
		{
			name:  "unknown preset flag",
			args:  []string{"--enable", "--preset=nope"},
			input: good,
			want:  []string{"sidecar.preset", `"nope"`, "alpine", "busybox", "custom", "toolbox"},
		},
		{
			name:  "strip of a document that is not valid YAML",
			args:  []string{"strip"},
			input: good + "---\n# Source: x/templates/sts.yaml\napiVersion: apps/v1\nkind: StatefulSet\nmetadata: {name: [s}\n# debug-overlay.dev/status\n",
			want:  []string{"document 2", "x/templates/sts.yaml"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := runOverlay(t, []byte(tc.input), tc.args...)
			t.Logf("stderr: %s", strings.TrimSpace(string(r.Stderr)))
			if r.Code == 0 {
				t.Errorf("exit 0, want non-zero")
			}
			if len(r.Stdout) != 0 {
				t.Errorf("%d bytes on stdout, want none:\n%s", len(r.Stdout), r.Stdout)
			}
			for _, want := range tc.want {
				if !strings.Contains(string(r.Stderr), want) {
					t.Errorf("stderr does not contain %q", want)
				}
			}
		})
	}
}
