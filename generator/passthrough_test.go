package generator

import (
	"bytes"
	"github.com/debug-overlay/debug-overlay/generator/overlay"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/kustomize/kyaml/kio"
	sigsyaml "sigs.k8s.io/yaml"
)

// oddCase is a stream whose only selected workload is Deployment x; the
// other workloads are not selected (a Helm test hook whose label is written
// twice, an opted-out Deployment with a tab, flow style, an anchor and keys
// written twice, a CRLF hook Job, a JSON StatefulSet that no target names)
// and must come out of every command as they came in (issue 12).
const oddCase = "testdata/golden/unselected-odd-yaml"

// oddNames are the unselected workloads of oddCase.
var oddNames = []string{"x-test-connection", "worker", "x-migrate", "db"}

func readOddCase(t *testing.T) ([]byte, overlay.Config) {
	t.Helper()
	in, err := os.ReadFile(filepath.Join(oddCase, "input.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	return in, goldenConfig(t, oddCase)
}

func TestOddDocumentsPassThroughRender(t *testing.T) {
	in, cfg := readOddCase(t)
	out, report, err := render(cfg, in)
	if err != nil {
		t.Fatal(err)
	}
	if len(report.Workloads) != 1 || report.Workloads[0].Name != "x" {
		t.Fatalf("overlaid %+v, want Deployment x only", report.Workloads)
	}
	if len(report.Findings) != 0 {
		t.Errorf("findings about documents the overlay leaves alone: %v", report.Findings)
	}
	ins, outs := splitRaw(in), splitRaw(out)
	if len(ins) != len(outs) {
		t.Fatalf("%d documents in, %d out", len(ins), len(outs))
	}
	for i := 1; i < len(ins); i++ {
		if !bytes.Equal(ins[i], outs[i]) {
			t.Errorf("document %d changed (-in +out):\n%s", i+1, cmp.Diff(string(ins[i]), string(outs[i])))
		}
	}
}

func TestOddDocumentsPassThroughCheck(t *testing.T) {
	in, cfg := readOddCase(t)
	rep, err := (&Renderer{Config: cfg}).Check(bytes.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	if !rep.Checked || len(rep.Problems) != 0 || len(rep.Findings) != 0 {
		t.Errorf("check: checked %v, problems %v, findings %v; want checked, nothing found", rep.Checked, rep.Problems, rep.Findings)
	}
}

func TestOddDocumentsPassThroughExplain(t *testing.T) {
	in, cfg := readOddCase(t)
	_, report, err := render(cfg, in)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	if err := report.Explain(&b); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "Deployment x ") {
		t.Errorf("explain does not name Deployment x:\n%s", b.String())
	}
	for _, name := range oddNames {
		if strings.Contains(b.String(), name) {
			t.Errorf("explain names %s, which the overlay leaves alone:\n%s", name, b.String())
		}
	}
}

func TestOddDocumentsPassThroughStrip(t *testing.T) {
	in, cfg := readOddCase(t)
	// A stream never overlaid comes back byte for byte; so does one
	// overlaid, since x was spliced and the rest never changed.
	got, n, err := strip(nil, in)
	if err != nil || n != 0 || !bytes.Equal(got, in) {
		t.Errorf("strip of the input: %d stripped, err %v, identical %v", n, err, bytes.Equal(got, in))
	}
	out, _, err := render(cfg, in)
	if err != nil {
		t.Fatal(err)
	}
	got, n, err = strip(nil, out)
	if err != nil || n != 1 {
		t.Fatalf("strip of the output: %d stripped, err %v; want 1", n, err)
	}
	if !bytes.Equal(got, in) {
		t.Errorf("strip of the output is not the input (-in +stripped):\n%s", cmp.Diff(string(in), string(got)))
	}
}

func TestOddDocumentsPassThroughGenerate(t *testing.T) {
	in, cfg := readOddCase(t)
	set, err := GeneratePatches(bytes.NewReader(in), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if len(set.Patches) != 1 || regexpUnquote(set.Patches[0].Target.Name) != "x" {
		t.Fatalf("patches %+v, want one, for Deployment x", set.Patches)
	}
	if !bytes.Equal(set.Manifests, in) {
		t.Errorf("the base manifests are not the input byte for byte")
	}
}

// TestOddDocumentsPassThroughFunction: a KRM function re-serialises every
// item (that is the protocol), so unchanged means the same object.
func TestOddDocumentsPassThroughFunction(t *testing.T) {
	in, cfg := readOddCase(t)
	items, err := (&kio.ByteReader{Reader: bytes.NewReader(in), OmitReaderAnnotations: true}).Read()
	if err != nil {
		t.Fatal(err)
	}
	rl := &ResourceList{Items: items}
	report, err := (&Function{Config: cfg}).Process(rl)
	if err != nil {
		t.Fatal(err)
	}
	if len(report.Workloads) != 1 || report.Workloads[0].Name != "x" {
		t.Fatalf("overlaid %+v, want Deployment x only", report.Workloads)
	}
	for _, r := range rl.Results {
		if r.Severity != SeverityInfo {
			t.Errorf("result %s: %s", r.Severity, r.Message)
		}
	}
	docs := splitRaw(in)
	if len(rl.Items) != len(docs) {
		t.Fatalf("%d items out, %d documents in", len(rl.Items), len(docs))
	}
	for i := 1; i < len(docs); i++ {
		var want, got any
		if err := sigsyaml.Unmarshal(docs[i], &want); err != nil {
			t.Fatal(err)
		}
		s, err := rl.Items[i].String()
		if err != nil {
			t.Fatal(err)
		}
		if err := sigsyaml.Unmarshal([]byte(s), &got); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("item %d changed (-in +out):\n%s", i+1, diff)
		}
	}
}

// TestIncludeHooksWithoutHooksUnderHelm4: includeHooks set and a stream
// from Helm 4 without a hook is what a Helm 4 SDK program that post-renders
// hooks apart gives: a warning says the hooks were not overlaid.
func TestIncludeHooksWithoutHooksUnderHelm4(t *testing.T) {
	const deployment = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: a\n  annotations:\n    postrenderer.helm.sh/postrender-filename: a/templates/d.yaml\n" +
		"spec:\n  template:\n    spec:\n      containers:\n      - name: a\n        image: a\n"
	const hook = "---\napiVersion: batch/v1\nkind: Job\nmetadata:\n  name: h\n  annotations:\n    helm.sh/hook: pre-install\n    postrenderer.helm.sh/postrender-filename: a/templates/h.yaml\n" +
		"spec:\n  template:\n    spec:\n      restartPolicy: Never\n      containers:\n      - name: h\n        image: h\n"
	const helm3 = "# Source: a/templates/d.yaml\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: a\nspec:\n  template:\n    spec:\n      containers:\n      - name: a\n        image: a\n"
	for _, tc := range []struct {
		name, stream string
		hooks        bool
		want         bool
	}{
		{name: "helm 4, no hook, includeHooks", stream: deployment, hooks: true, want: true},
		{name: "helm 4, a hook, includeHooks", stream: deployment + hook, hooks: true},
		{name: "helm 4, no hook, hooks left alone", stream: deployment},
		{name: "helm 3 sends no hooks ever", stream: helm3, hooks: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, report, err := render(overlay.Config{Enabled: ptr.To(true), IncludeHooks: ptr.To(tc.hooks)}, []byte(tc.stream))
			if err != nil {
				t.Fatal(err)
			}
			got := slices.ContainsFunc(report.Findings, func(f Finding) bool { return strings.Contains(f.Message, "Helm sent no hooks") })
			if got != tc.want {
				t.Errorf("warned %v, want %v: %v", got, tc.want, report.Findings)
			}
		})
	}
}
