package argocd

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// generate runs `debug-overlay-argocd generate` through its command, in dir, with
// environ as its whole environment.
func generate(t *testing.T, dir string, environ ...string) (stdout, stderr string, err error) {
	t.Helper()
	c := NewRootCommand()
	var out, errOut bytes.Buffer
	c.SetOut(&out)
	c.SetErr(&errOut)
	c.SetArgs([]string{"generate", "--chart", dir})
	// The command reads os.Environ(); give it exactly environ.
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "ARGOCD_") || strings.HasPrefix(k, "PARAM_") || strings.HasPrefix(k, "KUBE_") {
			t.Setenv(k, "")
			os.Unsetenv(k)
		}
	}
	for _, kv := range environ {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
	err = c.Execute()
	return out.String(), errOut.String(), err
}

func webChart(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs(filepath.Join("testdata", "web"))
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestGenerateOffIsHelmTemplate(t *testing.T) {
	out, stderr, err := generate(t, webChart(t),
		"ARGOCD_APP_NAME=apps_web", "ARGOCD_APP_NAMESPACE=shop", "KUBE_VERSION=1.31.4",
		"KUBE_API_VERSIONS=apps/v1,example.com/v1,example.com/v1/Widget")
	if err != nil {
		t.Fatalf("%v\nstderr: %s", err, stderr)
	}
	for _, want := range []string{
		"# Source: web/templates/deployment.yaml\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: shop\n",
		`kube-version: "v1.31.4"`,
		`widgets: "true"`,
		"replicas: 1\n",
		"---\n# Source: web/templates/hook.yaml\napiVersion: batch/v1\nkind: Job\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "name: debug") {
		t.Errorf("the overlay is off, yet a debug container:\n%s", out)
	}
	// As helm template prints it: the release's manifest, then the hooks.
	if i, j := strings.Index(out, "kind: Deployment"), strings.Index(out, "kind: Job"); i < 0 || j < i {
		t.Errorf("want the Deployment before the hook Job:\n%s", out)
	}
}

func TestGenerateValues(t *testing.T) {
	chart := webChart(t)
	out, stderr, err := generate(t, chart, "ARGOCD_APP_NAME=web",
		`ARGOCD_APP_PARAMETERS=[{"name":"values-files","array":["values-prod.yaml"]},{"name":"values","string":"greeting: hi\nimage: example/web:2\n"},{"name":"set","map":{"image":"example/web:3"}}]`)
	if err != nil {
		t.Fatalf("%v\nstderr: %s", err, stderr)
	}
	for _, want := range []string{"replicas: 3\n", `value: "hi"`, "image: example/web:3\n", "namespace: default\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestGenerateOn(t *testing.T) {
	out, stderr, err := generate(t, webChart(t), "ARGOCD_APP_NAME=web", "ARGOCD_ENV_PRESET=busybox",
		`ARGOCD_APP_PARAMETERS=[{"name":"enabled","string":"true"},{"name":"copy-volumes","array":["creds:fileMode=0400"]},{"name":"reason","string":"INC-7"}]`)
	if err != nil {
		t.Fatalf("%v\nstderr: %s", err, stderr)
	}
	for _, want := range []string{"- name: debug\n", "image: busybox:1.36", "name: debug-overlay-copy", "creds-debug-copy", "debug-overlay.dev/reason: INC-7"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	// Hooks are left alone unless asked for.
	job := out[strings.Index(out, "# Source: web/templates/hook.yaml"):]
	if strings.Contains(job, "debug") {
		t.Errorf("the hook Job was overlaid:\n%s", job)
	}
}

func TestGenerateErrors(t *testing.T) {
	dir := t.TempDir()
	chart := webChart(t)
	past := time.Now().Add(-time.Hour).UTC().Format(time.RFC3339)
	tests := []struct {
		name    string
		chart   string
		environ []string
		want    string
	}{
		{name: "bad parameter", chart: chart, environ: []string{"ARGOCD_APP_NAME=web", `ARGOCD_APP_PARAMETERS=[{"name":"preset","string":"ubuntu"}]`},
			want: `parameter preset: "ubuntu" is not one of alpine, busybox, custom, toolbox`},
		{name: "a values file outside the repository", chart: chart, environ: []string{"ARGOCD_APP_NAME=web", "ARGOCD_APP_SOURCE_PATH=web",
			`ARGOCD_APP_PARAMETERS=[{"name":"values-files","array":["../../params.go"]}]`},
			want: `parameter values-files[0]: "../../params.go": outside the repository`},
		{name: "a missing values file", chart: chart, environ: []string{"ARGOCD_APP_NAME=web", `ARGOCD_APP_PARAMETERS=[{"name":"values-files","array":["nope.yaml"]}]`},
			want: `parameter values-files[0]: "nope.yaml": no such file or directory`},
		{name: "missing dependency", chart: filepath.Join("testdata", "needsdep"), environ: []string{"ARGOCD_APP_NAME=web"},
			want: "chart needsdep: dependency redis is missing from charts/"},
		{name: "a template that fails", chart: filepath.Join("testdata", "broken"), environ: []string{"ARGOCD_APP_NAME=web"},
			want: "broken/templates/cm.yaml"},
		{name: "no chart", chart: dir, environ: []string{"ARGOCD_APP_NAME=web"}, want: "loading the chart"},
		{name: "no application name", chart: chart, want: "ARGOCD_APP_NAME is not set"},
		{name: "expired", chart: chart, environ: []string{"ARGOCD_APP_NAME=web", `ARGOCD_APP_PARAMETERS=[{"name":"enabled","string":"true"},{"name":"expires","string":"` + past + `"}]`},
			want: "expired"},
		{name: "a copy volume no workload has", chart: chart, environ: []string{"ARGOCD_APP_NAME=web", `ARGOCD_APP_PARAMETERS=[{"name":"enabled","string":"true"},{"name":"copy-volumes","array":["keystore"]}]`},
			want: "keystore"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, stderr, err := generate(t, tt.chart, tt.environ...)
			if err == nil {
				t.Fatalf("no error; stdout:\n%s", out)
			}
			if out != "" {
				t.Errorf("stdout holds %d bytes, want none", len(out))
			}
			msg := err.Error()
			if strings.Contains(msg, "\n") {
				t.Errorf("the message has more than one line: %q", msg)
			}
			if !strings.Contains(msg, tt.want) {
				t.Errorf("message %q, want one containing %q", msg, tt.want)
			}
			if stderr != "" {
				t.Errorf("stderr %q: the caller prints the error", stderr)
			}
		})
	}
}

func TestReleaseName(t *testing.T) {
	for in, want := range map[string]string{"geth": "geth", "apps_geth": "geth", "a_b_c": "b_c", "": ""} {
		if got := ReleaseName(in); got != want {
			t.Errorf("ReleaseName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestRepositoryRoot(t *testing.T) {
	for _, tt := range []struct{ appDir, sourcePath, want string }{
		{"/tmp/w/repo/apps/web", "apps/web", "/tmp/w/repo"},
		{"/tmp/w/repo/apps/web", "apps/web/", "/tmp/w/repo"},
		{"/tmp/w/repo", ".", "/tmp/w/repo"},
		{"/tmp/w/repo", "", "/tmp/w/repo"},
		{"/tmp/w/repo/x", "other", "/tmp/w/repo/x"},
	} {
		if got := repositoryRoot(tt.appDir, tt.sourcePath); got != tt.want {
			t.Errorf("repositoryRoot(%q, %q) = %q, want %q", tt.appDir, tt.sourcePath, got, tt.want)
		}
	}
}
