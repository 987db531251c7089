package cmd

import (
	"os/exec"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const deployment = `---
# Source: app/templates/deployment.yaml
apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
spec:
  selector:
    matchLabels: {app: api}
  template:
    metadata:
      labels: {app: api}
    spec:
      containers:
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

func TestRootCommand(t *testing.T) {
	tests := []struct {
		name       string
		stdin      string
		args       []string
		wantOut    string // substring; "" means stdout must be empty
		wantSame   bool   // stdout must equal stdin
		wantErr    string // substring of stderr; "" means success
		wantStderr string
	}{
		{name: "disabled passes the stream through byte for byte", stdin: deployment, wantSame: true},
		{name: "enable adds the sidecar", stdin: deployment, args: []string{"--enable"}, wantOut: "- name: debug\n"},
		{
			name: "copy volume rewires the mount", stdin: deployment, args: []string{"--enable", "--copy-volume=creds"},
			wantOut: "name: creds-debug-copy\n",
		},
		{
			name: "copy volume with a mode and an owner", stdin: deployment, args: []string{"--enable", "--copy-volume=creds:fileMode=0600,owner=1000"},
			wantOut: "            - required\n            - '0600'\n            - keep\n            - keep\n",
		},
		{
			name: "a bad owner from the flag is checked with the configuration", stdin: deployment,
			args:    []string{"--enable", "--copy-volume=creds:owner=root"},
			wantErr: `spec.copy.volumes[0].owner: "root": want app, UID or UID:GID: user "root" is not a number`,
		},
		{
			name: "unknown preset lists the valid ones", stdin: deployment, args: []string{"--enable", "--preset=nope"},
			wantErr: `spec.sidecar.preset: unknown preset "nope" (valid: alpine, busybox, custom, toolbox)`,
		},
		{
			name: "missing copy volume is an error and nothing is written", stdin: deployment,
			args:    []string{"--enable", "--copy-volume=nope"},
			wantErr: `spec.copy.volumes[0]: no selected workload has a volume named "nope"`,
		},
		{
			name: "a target that matches nothing names the workloads there are", stdin: deployment,
			args:    []string{"--enable", "--target=statefulset/api"},
			wantErr: "target statefulset/api matched no workload (workloads in the stream: deployment/api)",
		},
		{
			name: "malformed YAML names the document and its source", stdin: deployment + "  bad: [\n",
			args:    []string{"--enable"},
			wantErr: "document 1 (Deployment) from app/templates/deployment.yaml: not valid YAML",
		},
		{name: "arguments are refused", stdin: deployment, args: []string{"file.yaml"}, wantErr: `unknown command "file.yaml"`},
		{
			name: "explain goes to stderr, YAML stays alone on stdout", stdin: deployment, args: []string{"--enable", "--explain"},
			wantOut: "- name: debug\n", wantStderr: "kubectl exec -it deployment/api -c debug -- ash",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stdout, stderr, err := run(t, tt.stdin, tt.args...)
			if tt.wantErr != "" {
				if err == nil {
					t.Fatalf("want an error containing %q, got none", tt.wantErr)
				}
				if !strings.Contains(stderr, tt.wantErr) {
					t.Errorf("stderr = %q, want it to contain %q", stderr, tt.wantErr)
				}
				if stdout != "" {
					t.Errorf("stdout must be empty on error, got %d bytes", len(stdout))
				}
				return
			}
			if err != nil {
				t.Fatalf("unexpected error: %v\nstderr: %s", err, stderr)
			}
			if tt.wantSame && stdout != tt.stdin {
				t.Errorf("stdout differs from stdin:\n%s", cmp.Diff(tt.stdin, stdout))
			}
			if tt.wantOut != "" && !strings.Contains(stdout, tt.wantOut) {
				t.Errorf("stdout does not contain %q:\n%s", tt.wantOut, stdout)
			}
			if !strings.Contains(stderr, tt.wantStderr) {
				t.Errorf("stderr = %q, want it to contain %q", stderr, tt.wantStderr)
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }

// goListDeps is `go list -deps pkg`, run at the module's root: every
// package a binary links.
func goListDeps(t *testing.T, pkg string) []string {
	t.Helper()
	cmd := exec.Command("go", "list", "-deps", pkg)
	cmd.Dir = ".."
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list -deps %s: %v", pkg, err)
	}
	return strings.Fields(string(out))
}

// TestPostRendererStaysLean: the post-renderer's binary links neither
// client-go nor cli-runtime nor any Helm package, whose
// package initialisation would slow every Helm render; live mode lives in
// kubectl-debug_overlay.
func TestPostRendererStaysLean(t *testing.T) {
	for _, c := range []struct {
		pkg        string
		wantLinked bool
	}{
		{"./cmd/debug-overlay", false},
		{"./cmd/kubectl-debug_overlay", true},
	} {
		var heavy []string
		for _, dep := range goListDeps(t, c.pkg) {
			for _, prefix := range []string{"k8s.io/client-go/", "k8s.io/cli-runtime/", "helm.sh/helm/", "k8s.io/kubectl/"} {
				if strings.HasPrefix(dep, prefix) {
					heavy = append(heavy, dep)
				}
			}
		}
		if linked := len(heavy) > 0; linked != c.wantLinked {
			t.Errorf("%s links %d cluster-facing packages (%.3q...), want linked=%v", c.pkg, len(heavy), heavy[:min(3, len(heavy))], c.wantLinked)
		}
	}
}

// TestCompanionStaysLean: the companion kubectl-debug_overlay, which krew
// users and live mode get, links of Helm 4 only what live/ reads releases
// with (its storage, release and chart packages), and not the Argo CD
// plugin: cmd/argocd and the Helm SDK it renders charts with
// (helm.sh/helm/v4/pkg/action and the template engine, some 35 packages
// more) made the companion 57 MB instead of 32 and twice as slow to
// start; they are linked into debug-overlay-argocd alone.
func TestCompanionStaysLean(t *testing.T) {
	const (
		plugin = "github.com/debug-overlay/debug-overlay/cmd/argocd"
		sdk    = "helm.sh/helm/v4/pkg/action"
	)
	live := map[string]bool{}
	for _, dep := range goListDeps(t, "./live") {
		live[dep] = true
	}
	var helm, extra []string
	for _, dep := range goListDeps(t, "./cmd/kubectl-debug_overlay") {
		switch {
		case dep == plugin || dep == sdk:
			extra = append(extra, dep)
		case strings.HasPrefix(dep, "helm.sh/helm/"):
			helm = append(helm, dep)
			if !live[dep] {
				extra = append(extra, dep)
			}
		}
	}
	if len(extra) > 0 {
		t.Errorf("kubectl-debug_overlay links %d packages that live/ does not need: %q", len(extra), extra)
	}
	if !slices.Contains(helm, "helm.sh/helm/v4/pkg/storage") {
		t.Errorf("kubectl-debug_overlay links no Helm 4 storage (%q): has live/ stopped reading releases with it? Then update this test", helm)
	}
	// And the plugin's own binary has what the companion must not.
	argocd := goListDeps(t, "./cmd/debug-overlay-argocd")
	if !slices.Contains(argocd, plugin) || !slices.Contains(argocd, sdk) {
		t.Errorf("debug-overlay-argocd links cmd/argocd %v, %s %v; want both", slices.Contains(argocd, plugin), sdk, slices.Contains(argocd, sdk))
	}
}
