package generator

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/debug-overlay/debug-overlay/generator/overlay"
	"github.com/google/go-cmp/cmp"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/kustomize/kyaml/kio"
	kyaml "sigs.k8s.io/kustomize/kyaml/yaml"
	sigsyaml "sigs.k8s.io/yaml"
)

// orchestratorAnnotations are what kustomize 5.8 and kpt put on the items
// they send to a function; the function must hand every one of them back.
const orchestratorAnnotations = `        config.kubernetes.io/index: '0'
        config.kubernetes.io/path: 'app/deployment.yaml'
        internal.config.kubernetes.io/index: '0'
        internal.config.kubernetes.io/path: 'app/deployment.yaml'
        internal.config.kubernetes.io/annotations-migration-resource-id: '0'
        internal.config.kubernetes.io/id: '1'
        config.k8s.io/id: '1'
        kustomize.config.k8s.io/id: |
          group: apps
          kind: Deployment
          name: api
          version: v1
`

const krmDeployment = `  - apiVersion: apps/v1
    kind: Deployment
    metadata:
      name: api
      namespace: prod
      annotations:
` + orchestratorAnnotations + `    spec:
      template:
        spec:
          containers:
            # the application
            - name: api
              image: example/api:1
              volumeMounts:
                - name: creds
                  mountPath: /creds
          volumes:
            - name: creds
              secret:
                secretName: api-creds
`

const krmConfigMap = `  - apiVersion: v1
    kind: ConfigMap
    metadata:
      name: settings
      annotations:
        config.kubernetes.io/index: '1'
        internal.config.kubernetes.io/index: '1'
    data:
      a: b
`

func resourceList(functionConfig string, items ...string) string {
	s := "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n" + strings.Join(items, "")
	if functionConfig != "" {
		s += "functionConfig:\n" + indent(functionConfig, "  ")
	}
	return s
}

func indent(s, prefix string) string {
	lines := strings.SplitAfter(strings.TrimSuffix(s, "\n"), "\n")
	return prefix + strings.Join(lines, prefix) + "\n"
}

func debugOverlay(spec string) string {
	return "apiVersion: debug-overlay.dev/v1alpha1\nkind: DebugOverlay\nmetadata:\n  name: fn\nspec:\n" + indent(spec, "  ")
}

// krmOutput is a ResourceList as a function wrote it.
type krmOutput struct {
	items          []*kyaml.RNode
	results        Results
	functionConfig *kyaml.RNode
	raw            string
}

func readOutput(t *testing.T, out []byte) krmOutput {
	t.Helper()
	r := &kio.ByteReader{Reader: bytes.NewReader(out), OmitReaderAnnotations: true}
	items, err := r.Read()
	if err != nil {
		t.Fatalf("output is not a ResourceList: %v\n%s", err, out)
	}
	if r.WrappingKind != kio.ResourceListKind || r.WrappingAPIVersion != kio.ResourceListAPIVersion {
		t.Fatalf("output wrapped in %s %s, want %s %s", r.WrappingAPIVersion, r.WrappingKind, kio.ResourceListAPIVersion, kio.ResourceListKind)
	}
	o := krmOutput{items: items, functionConfig: r.FunctionConfig, raw: string(out)}
	if r.Results != nil {
		s, err := r.Results.String()
		if err != nil {
			t.Fatal(err)
		}
		if err := sigsyaml.UnmarshalStrict([]byte(s), &o.results); err != nil {
			t.Fatalf("results: %v\n%s", err, s)
		}
	}
	return o
}

func (o krmOutput) item(t *testing.T, kind, name string) *kyaml.RNode {
	t.Helper()
	for _, it := range o.items {
		if it.GetKind() == kind && it.GetName() == name {
			return it
		}
	}
	t.Fatalf("no %s %s among the items:\n%s", kind, name, o.raw)
	return nil
}

func ref(apiVersion, kind, namespace, name string) *kyaml.ResourceIdentifier {
	return &kyaml.ResourceIdentifier{
		TypeMeta: kyaml.TypeMeta{APIVersion: apiVersion, Kind: kind},
		NameMeta: kyaml.NameMeta{Name: name, Namespace: namespace},
	}
}

func TestFunction(t *testing.T) {
	deploymentRef := ref("apps/v1", "Deployment", "prod", "api")
	deploymentFile := &File{Path: "app/deployment.yaml"}
	overlaid := &Result{Severity: SeverityInfo, ResourceRef: deploymentRef, File: deploymentFile,
		Message: `debug container "debug" added (sidecar); volume "creds" copied into emptyDir "creds-debug-copy"; shell: kubectl exec -it -n prod deployment/api -c debug -- ash`}

	tests := []struct {
		name        string
		input       string
		layer       overlay.Config
		wantErr     string // substring; "" means success
		wantResults Results
		check       func(t *testing.T, o krmOutput)
	}{
		{
			name:        "the functionConfig switches the overlay on",
			input:       resourceList(debugOverlay("enabled: true\ncopy: {volumes: [{name: creds}]}"), krmDeployment, krmConfigMap),
			wantResults: Results{overlaid},
			check: func(t *testing.T, o krmOutput) {
				d := o.item(t, "Deployment", "api")
				if names := krmContainerNames(t, d, "containers"); !cmp.Equal(names, []string{"api", "debug"}) {
					t.Errorf("containers = %v, want [api debug]", names)
				}
				if names := krmContainerNames(t, d, "initContainers"); !cmp.Equal(names, []string{overlay.CopyContainerName}) {
					t.Errorf("initContainers = %v, want [%s]", names, overlay.CopyContainerName)
				}
				s, _ := d.String()
				if !strings.Contains(s, "# the application") {
					t.Errorf("the comment is lost:\n%s", s)
				}
				if o.functionConfig == nil || o.functionConfig.GetKind() != overlay.Kind {
					t.Errorf("functionConfig not handed back: %v", o.functionConfig)
				}
			},
		},
		{
			name:  "a DebugOverlay item is configuration: read, removed, and below the functionConfig",
			input: resourceList(debugOverlay("sidecar: {preset: busybox}"), krmDeployment, "  - "+strings.ReplaceAll(strings.TrimSpace(debugOverlay("enabled: true\nsidecar: {preset: toolbox}\ncopy: {volumes: [{name: creds}]}")), "\n", "\n    ")+"\n"),
			wantResults: Results{{Severity: SeverityInfo, ResourceRef: deploymentRef, File: deploymentFile,
				Message: `debug container "debug" added (sidecar); volume "creds" copied into emptyDir "creds-debug-copy"; shell: kubectl exec -it -n prod deployment/api -c debug -- sh`}},
			check: func(t *testing.T, o krmOutput) {
				if len(o.items) != 1 {
					t.Errorf("got %d items, want only the Deployment:\n%s", len(o.items), o.raw)
				}
			},
		},
		{
			name:        "flags are layered above the functionConfig",
			input:       resourceList(debugOverlay("enabled: false"), krmDeployment),
			layer:       overlay.Config{Enabled: ptr.To(true), Copy: overlay.Copy{Volumes: []overlay.CopyVolume{{Name: "creds"}}}},
			wantResults: Results{overlaid},
		},
		{
			name: "a FunctionCheck object is marked local-config",
			input: resourceList(debugOverlay("enabled: false"), krmConfigMap,
				"  - apiVersion: debug-overlay.dev/v1alpha1\n    kind: FunctionCheck\n    metadata:\n      name: check\n"),
			wantResults: Results{{Severity: SeverityInfo,
				Message: "the overlay is disabled (spec.enabled is not true): the workloads pass through unchanged"}},
			check: func(t *testing.T, o krmOutput) {
				if got := o.item(t, FunctionCheckKind, "check").GetAnnotations()[LocalConfigAnnotation]; got != "true" {
					t.Errorf("%s = %q, want \"true\"", LocalConfigAnnotation, got)
				}
			},
		},
		{
			name: "findings are warnings about their item",
			input: resourceList(debugOverlay("enabled: true"),
				strings.Replace(krmDeployment, "        spec:\n          containers:", "        spec:\n          shareProcessNamespace: false\n          containers:", 1)),
			wantResults: Results{
				{Severity: SeverityWarning, ResourceRef: deploymentRef, File: deploymentFile,
					Message: "shareProcessNamespace was false: set to true so the sidecar sees the app's processes"},
				{Severity: SeverityInfo, ResourceRef: deploymentRef, File: deploymentFile,
					Message: `debug container "debug" added (sidecar); shell: kubectl exec -it -n prod deployment/api -c debug -- ash`},
			},
		},
		{
			name:    "an error about an item names it, and the items come back unchanged",
			input:   resourceList(debugOverlay("enabled: true\nsidecar: {name: api}"), krmDeployment, krmConfigMap),
			wantErr: `a container named "api" already exists`,
			wantResults: Results{{Severity: SeverityError, ResourceRef: deploymentRef, File: deploymentFile,
				Message: `spec.template.spec: containers: a container named "api" already exists; give the sidecar another name (sidecar.name, --name)`}},
		},
		{
			name:    "an error about the whole list has no resourceRef",
			input:   resourceList(debugOverlay("enabled: true\ncopy: {volumes: [{name: nope}]}"), krmDeployment),
			wantErr: `no selected workload has a volume named "nope"`,
			wantResults: Results{{Severity: SeverityError,
				Message: `spec.copy.volumes[0]: no selected workload has a volume named "nope"`}},
		},
		{
			name:    "every configuration problem at once",
			input:   resourceList(debugOverlay("enabled: true\nsidecar: {preset: nope, profile: nope}"), krmDeployment),
			wantErr: "invalid configuration",
			check: func(t *testing.T, o krmOutput) {
				if len(o.results) != 1 || !strings.Contains(o.results[0].Message, "spec.sidecar.preset") ||
					!strings.Contains(o.results[0].Message, "spec.sidecar.profile") {
					t.Errorf("want one error result naming both fields, got %v", o.results)
				}
			},
		},
		{
			name:    "a functionConfig of another kind",
			input:   resourceList("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n", krmDeployment),
			wantErr: `functionConfig: want a DebugOverlay (apiVersion debug-overlay.dev/v1alpha1), got kind "ConfigMap", apiVersion "v1"`,
		},
		{
			name:    "a functionConfig with an unknown field",
			input:   resourceList(debugOverlay("enabled: true\nsidecars: {}"), krmDeployment),
			wantErr: `functionConfig: error unmarshaling JSON`,
		},
		{
			name:    "two DebugOverlay items",
			input:   resourceList("", "  - "+strings.ReplaceAll(strings.TrimSpace(debugOverlay("enabled: true")), "\n", "\n    ")+"\n", "  - "+strings.ReplaceAll(strings.TrimSpace(debugOverlay("enabled: true")), "\n", "\n    ")+"\n"),
			wantErr: "the items hold 2 DebugOverlay objects; keep one",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			report, err := (&Function{Config: tt.layer}).Run(strings.NewReader(tt.input), &out)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want it to contain %q", err, tt.wantErr)
				}
				if report != nil {
					t.Errorf("a failed run returned a report")
				}
			} else if err != nil {
				t.Fatalf("Run: %v", err)
			}
			o := readOutput(t, out.Bytes())
			if tt.wantResults != nil {
				if diff := cmp.Diff(tt.wantResults, o.results); diff != "" {
					t.Errorf("results (-want +got):\n%s", diff)
				}
			}
			for _, r := range o.results {
				if (r.Severity == SeverityError) != (tt.wantErr != "") {
					t.Errorf("result %v does not match the outcome (error %v)", r, err)
				}
			}
			// Every item keeps the annotations it came with, whatever happened.
			in := readOutput(t, []byte(tt.input))
			for _, item := range in.items {
				if item.GetKind() == overlay.Kind {
					continue
				}
				got := o.item(t, item.GetKind(), item.GetName()).GetAnnotations()
				for k, v := range item.GetAnnotations() {
					if got[k] != v {
						t.Errorf("%s %s: annotation %s = %q, want %q", item.GetKind(), item.GetName(), k, got[k], v)
					}
				}
			}
			if tt.wantErr != "" {
				if diff := cmp.Diff(itemsAsValues(t, in.items), itemsAsValues(t, o.items)); diff != "" {
					t.Errorf("a failed run changed the items (-want +got):\n%s", diff)
				}
			}
			if tt.check != nil {
				tt.check(t, o)
			}
		})
	}
}

func TestFunctionRefusesWhatIsNotAResourceList(t *testing.T) {
	for _, input := range []string{
		"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: b}\n",
		"apiVersion: v1\nkind: List\nitems: []\n",
	} {
		var out bytes.Buffer
		_, err := (&Function{}).Run(strings.NewReader(input), &out)
		if err == nil || !strings.Contains(err.Error(), "the input is not a single ResourceList") {
			t.Errorf("error = %v, want it to say the input is not a ResourceList", err)
		}
		if out.Len() > 0 {
			t.Errorf("wrote %d bytes for input that is not a ResourceList", out.Len())
		}
	}
}

// TestFunctionAgreesWithRender runs every golden case through the KRM
// function, wrapped in a ResourceList with its configuration as
// functionConfig, and compares the items with Render's output.
func TestFunctionAgreesWithRender(t *testing.T) {
	inputs, err := filepath.Glob(filepath.Join("testdata", "golden", "*", "input.yaml"))
	if err != nil || len(inputs) == 0 {
		t.Fatalf("no golden cases: %v", err)
	}
	compared := 0
	for _, input := range inputs {
		dir := filepath.Dir(input)
		t.Run(filepath.Base(dir), func(t *testing.T) {
			data, err := os.ReadFile(input)
			if err != nil {
				t.Fatal(err)
			}
			layer := goldenLayer(t, dir)
			var rendered bytes.Buffer
			_, renderErr := (&Renderer{Config: layer, Now: testNow}).Render(bytes.NewReader(data), &rendered)

			items, err := (&kio.ByteReader{Reader: bytes.NewReader(bytes.TrimPrefix(data, []byte("\ufeff"))),
				OmitReaderAnnotations: true, DisableUnwrapping: true}).Read()
			if err != nil {
				if renderErr == nil {
					t.Fatalf("kyaml cannot read an input Render reads: %v", err)
				}
				return
			}
			fc, err := kyaml.FromMap(map[string]any{"apiVersion": overlay.APIVersion, "kind": overlay.Kind, "metadata": map[string]any{"name": "golden"}})
			if err != nil {
				t.Fatal(err)
			}
			spec, err := sigsyaml.Marshal(layer)
			if err != nil {
				t.Fatal(err)
			}
			specNode, err := kyaml.Parse(string(spec))
			if err != nil {
				t.Fatal(err)
			}
			if err := fc.PipeE(kyaml.SetField("spec", specNode)); err != nil {
				t.Fatal(err)
			}
			var in bytes.Buffer
			if err := (kio.ByteWriter{Writer: &in, KeepReaderAnnotations: true, FunctionConfig: fc,
				WrappingKind: kio.ResourceListKind, WrappingAPIVersion: kio.ResourceListAPIVersion}).Write(items); err != nil {
				t.Fatal(err)
			}
			var out bytes.Buffer
			_, fnErr := (&Function{}).Run(&in, &out)
			if (fnErr != nil) != (renderErr != nil) {
				t.Fatalf("Render error: %v; function error: %v", renderErr, fnErr)
			}
			if renderErr != nil {
				return
			}
			want, err := (&kio.ByteReader{Reader: &rendered, OmitReaderAnnotations: true}).Read()
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(itemsAsValues(t, want), itemsAsValues(t, readOutput(t, out.Bytes()).items)); diff != "" {
				t.Errorf("function items differ from Render's output (-want +got):\n%s", diff)
			}
			compared++
		})
	}
	if compared == 0 {
		t.Error("no golden case was compared")
	}
}

func TestSniffResourceList(t *testing.T) {
	tests := []struct {
		name  string
		input string
		want  bool
	}{
		{name: "kustomize's ResourceList", input: resourceList("", krmConfigMap), want: true},
		{name: "comments, a separator and quotes first", input: "# from kpt\n---\napiVersion: config.kubernetes.io/v1\nkind: \"ResourceList\"\nitems: []\n", want: true},
		{name: "kind after items", input: "apiVersion: config.kubernetes.io/v1\nitems:\n  - kind: ConfigMap\nkind: ResourceList\n", want: true},
		{name: "a Helm stream", input: "---\n# Source: a/b.yaml\napiVersion: v1\nkind: ConfigMap\n---\nkind: ResourceList\n"},
		{name: "a nested kind is not the document's", input: "items:\n  - kind: ResourceList\n"},
		{name: "JSON is left to fn", input: `{"apiVersion": "config.kubernetes.io/v1", "kind": "ResourceList", "items": []}`},
		{name: "empty input"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, got, err := SniffResourceList(strings.NewReader(tt.input))
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("SniffResourceList = %v, want %v", got, tt.want)
			}
			rest, err := io.ReadAll(r)
			if err != nil {
				t.Fatal(err)
			}
			if string(rest) != tt.input {
				t.Errorf("the returned reader gives %q, want the whole input", rest)
			}
		})
	}
	// A long stream: only its head is looked at, all of it is given back.
	long := resourceList("", strings.Repeat(krmConfigMap, 2000))
	r, ok, err := SniffResourceList(strings.NewReader(long))
	if err != nil || !ok {
		t.Fatalf("long ResourceList: %v, %v", ok, err)
	}
	if rest, _ := io.ReadAll(r); string(rest) != long {
		t.Errorf("the long stream came back with %d bytes, want %d", len(rest), len(long))
	}
}

func ExampleFunction_Run() {
	in := `apiVersion: config.kubernetes.io/v1
kind: ResourceList
items:
  - apiVersion: v1
    kind: Pod
    metadata:
      name: app
      annotations:
        config.kubernetes.io/index: '0'
    spec:
      containers:
        - name: app
          image: example/app:1
functionConfig:
  apiVersion: debug-overlay.dev/v1alpha1
  kind: DebugOverlay
  metadata:
    name: debug
  spec:
    enabled: true
    sidecar:
      preset: busybox
`
	var out bytes.Buffer
	report, err := (&Function{}).Run(strings.NewReader(in), &out)
	if err != nil {
		panic(err)
	}
	for _, w := range report.Workloads {
		os.Stdout.WriteString(w.ExecCommand() + "\n")
	}
	// Output:
	// kubectl exec -it pod/app -c debug -- sh
}

func krmContainerNames(t *testing.T, item *kyaml.RNode, list string) []string {
	t.Helper()
	seq, err := item.Pipe(kyaml.Lookup("spec", "template", "spec", list))
	if err != nil || seq == nil {
		return nil
	}
	names, err := seq.ElementValues("name")
	if err != nil {
		t.Fatal(err)
	}
	return names
}

// itemsAsValues turns items into plain values, without the annotations an
// orchestrator adds, for comparing.
func itemsAsValues(t *testing.T, items []*kyaml.RNode) []any {
	t.Helper()
	var out []any
	for _, item := range items {
		// As YAML, read by Kubernetes' reader: RNode.MarshalJSON refuses a
		// key written twice, which Kubernetes reads as its last value.
		data, err := item.String()
		if err != nil {
			t.Fatal(err)
		}
		var v any
		if err := sigsyaml.Unmarshal([]byte(data), &v); err != nil {
			t.Fatal(err)
		}
		out = append(out, v)
	}
	return out
}
