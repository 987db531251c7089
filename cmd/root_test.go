package cmd

import (
	"bytes"
	"flag"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/debug-overlay/debug-overlay/generator"
	"github.com/debug-overlay/debug-overlay/generator/overlay"
)

var update = flag.Bool("update", false, "rewrite README's generated flag reference")

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

// run executes the root command with args and stdin, returning the streams.
func run(t *testing.T, stdin string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	cmd := NewRootCommand()
	var out, errOut bytes.Buffer
	cmd.SetIn(strings.NewReader(stdin))
	cmd.SetOut(&out)
	cmd.SetErr(&errOut)
	cmd.SetArgs(args)
	err = Execute(cmd)
	return out.String(), errOut.String(), err
}

func TestOverlayFlagsConfig(t *testing.T) {
	cfgFile := t.TempDir() + "/config.yaml"
	if err := os.WriteFile(cfgFile, []byte(`apiVersion: debug-overlay.dev/v1alpha1
kind: DebugOverlay
spec:
  enabled: true
  sidecar:
    preset: busybox
    profile: baseline
`), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
		want generator.Config
	}{
		{
			name: "nothing set leaves every field to the layers below",
			want: generator.Config{},
		},
		{
			name: "enable and the common flags",
			args: []string{"--enable", "--preset=toolbox", "--image=example/tools:1", "--profile=restricted",
				"--native=always", "--name=dbg", "--include-hooks", "--target=deployment/api", "--target=worker-*",
				"--copy-volume=creds", "--copy-volume=config"},
			want: generator.Config{
				Enabled:      ptr(true),
				IncludeHooks: ptr(true),
				Targets:      []generator.Target{{Kind: "deployment", Name: "api"}, {Name: "worker-*"}},
				Sidecar: generator.Sidecar{Name: "dbg", Preset: overlay.PresetToolbox, Image: "example/tools:1",
					Profile: overlay.ProfileRestricted, Native: overlay.NativeAlways},
				Copy: generator.Copy{Volumes: []generator.CopyVolume{{Name: "creds"}, {Name: "config"}}},
			},
		},
		{
			name: "copy volumes with their options",
			args: []string{"--copy-volume=keystore:fileMode=0600,owner=app", "--copy-volume=tls:dirMode=750,owner=1000:2000",
				"--copy-volume=cfg:medium=Memory,sizeLimit=1Mi,rewire=false,optional=true", "--copy-volume=plain"},
			want: generator.Config{Copy: generator.Copy{Volumes: []generator.CopyVolume{
				{Name: "keystore", FileMode: ptr(overlay.Perm(0o600)), Owner: overlay.OwnerApp},
				{Name: "tls", DirMode: ptr(overlay.Perm(0o750)), Owner: "1000:2000"},
				{Name: "cfg", Medium: overlay.MediumMemory, SizeLimit: ptr(resource.MustParse("1Mi")), Rewire: ptr(false), Optional: ptr(true)},
				{Name: "plain"},
			}}},
		},
		{
			name: "flags override the config file field by field",
			args: []string{"--config", cfgFile, "--preset=toolbox"},
			want: generator.Config{
				Enabled: ptr(true),
				Sidecar: generator.Sidecar{Preset: overlay.PresetToolbox, Profile: overlay.ProfileBaseline},
			},
		},
		{
			name: "--enable=false switches off what the file switched on",
			args: []string{"--config", cfgFile, "--enable=false"},
			want: generator.Config{
				Enabled: ptr(false),
				Sidecar: generator.Sidecar{Preset: overlay.PresetBusybox, Profile: overlay.ProfileBaseline},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := NewRenderOptions()
			cmd := NewRootCommand()
			cmd.ResetFlags()
			o.AddFlags(cmd)
			if err := cmd.ParseFlags(tt.args); err != nil {
				t.Fatal(err)
			}
			got, err := o.Overlay.Config()
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Config() (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseCopyVolumeRejectsBadShapes(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{in: "", want: `--copy-volume "": want NAME or NAME:KEY=VALUE,...`},
		{in: ":fileMode=0600", want: `want NAME or NAME:KEY=VALUE,...`},
		{in: "keys:", want: `want NAME or NAME:KEY=VALUE,...`},
		{in: "keys:fileMode", want: `--copy-volume "keys:fileMode": "fileMode": want KEY=VALUE`},
		{in: "keys:fileMode=", want: `"fileMode=": want KEY=VALUE`},
		{in: "keys:fileMode=0600,", want: `"": want KEY=VALUE`},
		{in: "keys:mode=0600", want: `unknown key "mode" (valid: fileMode, dirMode, owner, medium, sizeLimit, rewire, optional)`},
		{in: "keys:filemode=0600", want: `unknown key "filemode"`},
		{in: "keys:fileMode=0600,fileMode=0400", want: "fileMode is given twice"},
		{in: "keys:fileMode=0999", want: `--copy-volume "keys:fileMode=0999": fileMode: mode "0999": want octal digits, such as 0600`},
		{in: "keys:dirMode=4755", want: `dirMode: mode "4755": more than 0777`},
		{in: "keys:rewire=maybe", want: `rewire: strconv.ParseBool: parsing "maybe"`},
		{in: "keys:sizeLimit=lots", want: "sizeLimit: quantities must match"},
	} {
		t.Run(tc.in, func(t *testing.T) {
			_, err := parseCopyVolume(tc.in)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("parseCopyVolume(%q) = %v, want an error containing %q", tc.in, err, tc.want)
			}
		})
	}
}

func TestParseTargetRejectsBadShapes(t *testing.T) {
	for _, s := range []string{"", "deployment/", "a/b/c"} {
		if _, err := parseTarget(s); err == nil {
			t.Errorf("parseTarget(%q): want an error", s)
		}
	}
}

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

func TestStripCommandUndoesTheOverlay(t *testing.T) {
	overlaid, _, err := run(t, deployment, "--enable", "--copy-volume=creds")
	if err != nil {
		t.Fatal(err)
	}
	stripped, stderr, err := run(t, overlaid, "strip")
	if err != nil {
		t.Fatal(err)
	}
	if stripped != deployment {
		t.Errorf("strip did not give back the input (-want +got):\n%s", cmp.Diff(deployment, stripped))
	}
	if !strings.Contains(stderr, "stripped the overlay from 1 pod templates") {
		t.Errorf("stderr = %q", stderr)
	}
}

// TestREADMEFlags keeps README's flag reference generated from the real
// flags: run with -update to rewrite it.
func TestREADMEFlags(t *testing.T) {
	const start, end = "<!-- flags:start -->\n```\n", "```\n<!-- flags:end -->"
	data, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := string(data)
	i, j := strings.Index(readme, start), strings.Index(readme, end)
	if i < 0 || j < i {
		t.Fatalf("README.md has no %q ... %q block", start, end)
	}
	want := NewRootCommand().Flags().FlagUsages()
	got := readme[i+len(start) : j]
	if got == want {
		return
	}
	if *update {
		if err := os.WriteFile("../README.md", []byte(readme[:i+len(start)]+want+readme[j:]), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Errorf("README's flag reference is stale; run go test ./cmd -run TestREADMEFlags -update (-want +got):\n%s", cmp.Diff(want, got))
}

func ptr[T any](v T) *T { return &v }

// TestREADMEPackages keeps README's package map true to `go list ./...`:
// every package is named in it (a row may name several, and a path ending
// in /... names a folder of them), and it names none that is gone.
func TestREADMEPackages(t *testing.T) {
	const start, end = "<!-- packages:start -->\n", "<!-- packages:end -->"
	data, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := string(data)
	i, j := strings.Index(readme, start), strings.Index(readme, end)
	if i < 0 || j < i {
		t.Fatalf("README.md has no %q ... %q block", start, end)
	}
	var named []string
	for _, line := range strings.Split(readme[i+len(start):j], "\n") {
		cell, _, _ := strings.Cut(strings.TrimPrefix(line, "| "), " |")
		for _, name := range strings.Split(cell, ", ") {
			if strings.HasPrefix(name, "`") {
				named = append(named, strings.Trim(name, "`"))
			}
		}
	}
	cmd := exec.Command("go", "list", "./...")
	cmd.Dir = ".."
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	const module = "github.com/debug-overlay/debug-overlay/"
	used := map[string]bool{}
	for _, pkg := range strings.Fields(string(out)) {
		rel := strings.TrimPrefix(pkg, module)
		found := false
		for _, n := range named {
			if n == rel || strings.HasSuffix(n, "/...") && strings.HasPrefix(rel, strings.TrimSuffix(n, "...")) {
				found, used[n] = true, true
			}
		}
		if !found {
			t.Errorf("README's package map does not name %s", rel)
		}
	}
	for _, n := range named {
		if !used[n] {
			t.Errorf("README's package map names %s, which go list does not list", n)
		}
	}
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
		cmd := exec.Command("go", "list", "-deps", c.pkg)
		cmd.Dir = ".."
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("go list -deps %s: %v", c.pkg, err)
		}
		var heavy []string
		for _, dep := range strings.Fields(string(out)) {
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
