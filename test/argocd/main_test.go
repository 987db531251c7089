package argocd

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	kruntime "k8s.io/apimachinery/pkg/runtime"
	kubeyaml "k8s.io/apimachinery/pkg/util/yaml"

	"github.com/debug-overlay/debug-overlay/test/cluster"
	"github.com/debug-overlay/debug-overlay/test/testenv"
)

// What TestMain sets up; read-only for the tests.
var (
	// repoRoot is the root of the module under test.
	repoRoot string
	// pluginBin is debug-overlay-argocd built from the repository: the
	// plugin's generate command.
	pluginBin string
	// cmpServer and cmpClient are bin/argocd-cmp-server and
	// bin/argocd-cmp-client (make argocd).
	cmpServer, cmpClient string
	// helm4 and kustomize are bin/helm4 and bin/kustomize.
	helm4, kustomize string
	// repo is the Git repository Argo CD would check out: a copy of the
	// repository's charts/, deploy/ and the test's fixtures, without built
	// dependencies (charts/ of a chart is git-ignored).
	repo string
	// built is a copy of charts/ with dependencies built, for helm4.
	built string
	// socket is the running cmp-server's socket.
	socket string
	// server is the running cmp-server.
	server *cluster.Process
	// helmHome is Helm 4's home, where the debug-overlay plugin is installed.
	helmHome string
	// tmpRoot holds everything the tests write.
	tmpRoot string
	// runner runs and logs the tests' subprocesses.
	runner testenv.Runner
)

func TestMain(m *testing.M) {
	code := testenv.Main(m, "argocd", setup)
	if server != nil {
		// The cmp-server ignores SIGTERM: it is killed.
		if err := server.Kill(); err != nil {
			fmt.Fprintf(os.Stderr, "argocd: %v\n", err)
			code = 1
		}
	}
	if kube != nil {
		if err := kube.Stop(); err != nil {
			fmt.Fprintf(os.Stderr, "argocd: stopping the cluster: %v\n", err)
			code = 1
		}
	}
	os.Exit(code)
}

func setup(tmp string) error {
	start := time.Now()
	tmpRoot = tmp
	var err error
	if repoRoot, err = testenv.RepoRoot(); err != nil {
		return err
	}
	for _, tool := range []struct {
		path   *string
		name   string
		target string
	}{
		{&cmpServer, "argocd-cmp-server", "argocd"},
		{&cmpClient, "argocd-cmp-client", "argocd"},
		{&helm4, "helm4", "tools"},
		{&kustomize, "kustomize", "tools"},
	} {
		if *tool.path, err = testenv.Tool(tool.name, tool.target); err != nil {
			return err
		}
	}
	testenv.ClearHelmEnv()
	os.Unsetenv("KUBECONFIG")
	helmHome = filepath.Join(tmp, "helm4")
	testenv.UseHelmHome(helmHome)
	os.Setenv("DEBUG_OVERLAY_TTY", os.DevNull)

	// The binaries under test: the post-renderer for Helm 4's plugin, and
	// the Argo CD plugin's beside it (make build puts both into bin/), or
	// built.
	overlay, _, err := testenv.Binary(tmp)
	if err != nil {
		return err
	}
	pluginBin = filepath.Join(filepath.Dir(overlay), "debug-overlay-argocd")
	if os.Getenv(testenv.BinEnv) == "" {
		pluginBin = filepath.Join(tmp, "bin", "debug-overlay-argocd")
		build := exec.Command("go", "build", "-trimpath", "-o", pluginBin, "./cmd/debug-overlay-argocd")
		build.Dir = repoRoot
		if _, err := testenv.Output(build); err != nil {
			return fmt.Errorf("building debug-overlay-argocd: %w", err)
		}
	}
	if _, err := testenv.Output(exec.Command(pluginBin, "version")); err != nil {
		return fmt.Errorf("the plugin's binary %s (make build): %w", pluginBin, err)
	}
	pluginDir := filepath.Join(tmp, "plugin")
	if err := testenv.CopyFile(filepath.Join(repoRoot, "plugin.yaml"), filepath.Join(pluginDir, "plugin.yaml"), 0o644); err != nil {
		return err
	}
	if err := testenv.CopyFile(overlay, filepath.Join(pluginDir, "bin", "debug-overlay-"+runtime.GOOS+"-"+runtime.GOARCH), 0o755); err != nil {
		return err
	}
	if _, err := testenv.Output(exec.Command(helm4, "plugin", "install", pluginDir)); err != nil {
		return err
	}

	// The repository as Argo CD checks it out, and a copy with the charts'
	// dependencies built for helm4.
	repo = filepath.Join(tmp, "repo")
	for _, d := range []string{"charts", "deploy", filepath.Join("test", "argocd", "testdata"), blockScalarChart} {
		if err := testenv.CopyTree(filepath.Join(repoRoot, d), filepath.Join(repo, d)); err != nil {
			return err
		}
	}
	built = filepath.Join(tmp, "built")
	if err := testenv.CopyTree(repo, built); err != nil {
		return err
	}
	charts, _ := filepath.Glob(filepath.Join(built, "charts", "examples", "*"))
	fixtures, _ := filepath.Glob(filepath.Join(built, "test", "argocd", "testdata", "*"))
	fixtures = append(fixtures, filepath.Join(built, blockScalarChart))
	if err := testenv.DependencyBuild(helm4, nil, append(charts, fixtures...)...); err != nil {
		return err
	}

	// The cmp-server, with the plugin's configuration as
	// `debug-overlay-argocd plugin` writes it, run as the sidecar runs it:
	// the plugin's binary named by its path here.
	config := filepath.Join(tmp, "cmp", "config")
	pluginYAML, err := testenv.Output(exec.Command(pluginBin, "plugin", "--command", pluginBin))
	if err != nil {
		return err
	}
	if err := os.MkdirAll(config, 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(config, "plugin.yaml"), pluginYAML, 0o644); err != nil {
		return err
	}
	plugins := filepath.Join(tmp, "cmp", "plugins")
	if err := os.MkdirAll(plugins, 0o755); err != nil {
		return err
	}
	socket = filepath.Join(plugins, "debug-overlay.sock")
	env := append(os.Environ(),
		"ARGOCD_PLUGINSOCKFILEPATH="+plugins,
		"ARGOCD_CMP_WORKDIR="+filepath.Join(tmp, "cmp", "work"),
		"HOME="+filepath.Join(tmp, "cmp"))
	server, err = cluster.StartProcess("argocd-cmp-server", cmpServer, filepath.Join(tmp, "cmp", "server.log"), env,
		"--config-dir-path", config, "--logformat", "text", "--loglevel", "info")
	if err != nil {
		return err
	}
	if err := server.WaitReady(time.Minute, func(ctx context.Context) error {
		c, err := (&net.Dialer{}).DialContext(ctx, "unix", socket)
		if err == nil {
			c.Close()
		}
		return err
	}); err != nil {
		return err
	}
	runner.Short = strings.NewReplacer(cmpClient, "argocd-cmp-client", helm4, "helm4", kustomize, "kustomize", pluginBin, "debug-overlay-argocd", tmp+"/", "$TMP/")
	fmt.Fprintf(os.Stderr, "argocd: cmp-server %s on %s, setup %v\n", version(cmpServer), socket, time.Since(start).Round(time.Millisecond))
	return nil
}

func version(bin string) string {
	out, err := exec.Command(bin, "version").Output()
	if err != nil {
		return err.Error()
	}
	return strings.TrimSpace(string(out))
}

// app writes an Application whose source is path in the repository and
// whose plugin block is plugin (YAML, indented for spec.source.plugin), and
// returns its file.
func app(t *testing.T, name, namespace, destNamespace, path, plugin string) string {
	t.Helper()
	doc := fmt.Sprintf(`apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: %s
  namespace: %s
spec:
  project: default
  destination:
    server: https://kubernetes.default.svc
    namespace: %s
  source:
    repoURL: https://example.com/repo.git
    targetRevision: main
    path: %s
    plugin:
      name: debug-overlay
%s`, name, namespace, destNamespace, path, plugin)
	f := filepath.Join(t.TempDir(), "app.yaml")
	if err := os.WriteFile(f, []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	return f
}

// blockScalarChart is test/helm4's fixture of ConfigMaps whose data Helm 4
// changes by itself on the way through any post-renderer.
var blockScalarChart = filepath.Join("test", "helm4", "testdata", "blockscalar")

// kubeVersion and apiVersions are the cluster the requests describe, as
// Argo CD's controller reports it.
const kubeVersion = "v1.37.2"

var apiVersions = []string{"apps/v1", "apps/v1/Deployment", "apps/v1/StatefulSet", "batch/v1", "batch/v1/Job", "v1", "v1/ConfigMap", "v1/Secret", "v1/Service"}

// client runs argocd-cmp-client with op against the server.
func client(t *testing.T, op, appFile string) testenv.Result {
	t.Helper()
	args := []string{"-socket", socket, "-op", op, "-repo", repo, "-kube-version", kubeVersion, "-api-versions", strings.Join(apiVersions, ",")}
	if appFile != "" {
		args = append(args, "-app", appFile)
	}
	return runner.Run(t, exec.Command(cmpClient, args...), nil)
}

// generateManifests asks the plugin for appFile's manifests: the JSON
// documents of Argo CD's ManifestResponse.
func generateManifests(t *testing.T, appFile string) []string {
	t.Helper()
	res := client(t, "generate", appFile)
	if res.Code != 0 {
		t.Fatalf("GenerateManifest failed (exit %d): %s\ncmp-server log:\n%s", res.Code, res.Stderr, server.Tail(20))
	}
	var resp struct {
		Manifests []string `json:"manifests"`
	}
	if err := json.Unmarshal(res.Stdout, &resp); err != nil {
		t.Fatalf("decoding the response: %v\n%s", err, res.Stdout)
	}
	return resp.Manifests
}

// splitManifests splits a YAML stream as Argo CD splits a plugin's output
// (gitops-engine's kube.SplitYAMLToString: each document as JSON).
func splitManifests(t *testing.T, stream []byte) []string {
	t.Helper()
	d := kubeyaml.NewYAMLOrJSONDecoder(bytes.NewReader(stream), 4096)
	var out []string
	for {
		var ext kruntime.RawExtension
		if err := d.Decode(&ext); err != nil {
			if errors.Is(err, io.EOF) {
				return out
			}
			t.Fatalf("splitting manifests: %v", err)
		}
		raw := bytes.TrimSpace(ext.Raw)
		if len(raw) == 0 || string(raw) == "null" {
			continue
		}
		out = append(out, string(raw))
	}
}

// object is one manifest, decoded.
type object map[string]any

func decode(t *testing.T, manifests []string) []object {
	t.Helper()
	out := make([]object, len(manifests))
	for i, m := range manifests {
		if err := json.Unmarshal([]byte(m), &out[i]); err != nil {
			t.Fatalf("manifest %d: %v", i, err)
		}
	}
	return out
}

func (o object) key() string {
	meta, _ := o["metadata"].(map[string]any)
	return fmt.Sprintf("%v %v/%v", o["kind"], meta["namespace"], meta["name"])
}

func keys(objs []object) []string {
	out := make([]string, len(objs))
	for i, o := range objs {
		out[i] = o.key()
	}
	return out
}

// helmTemplate renders chart (in built) as Argo CD v3.5.1's Helm source
// would (util/helm/cmd.go), with extra flags.
func helmTemplate(t *testing.T, chart, release, namespace string, extra ...string) []byte {
	t.Helper()
	args := []string{"template", ".", "--name-template", release, "--namespace", namespace, "--kube-version", kubeVersion}
	for _, v := range apiVersions {
		args = append(args, "--api-versions", v)
	}
	args = append(args, "--include-crds")
	cmd := exec.Command(helm4, append(args, extra...)...)
	cmd.Dir = filepath.Join(built, chart)
	return runner.MustRun(t, cmd, nil)
}
