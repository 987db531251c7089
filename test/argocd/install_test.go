package argocd

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"

	"github.com/debug-overlay/debug-overlay/test/cluster"
)

// kube is the API server the install tests share, started on first use.
var (
	kube     *cluster.Cluster
	kubeErr  error
	kubeOnce sync.Once
)

func apiServer(t *testing.T) *cluster.Cluster {
	t.Helper()
	kubeOnce.Do(func() {
		kube, kubeErr = cluster.Start(cluster.Options{Logf: t.Logf})
	})
	if kubeErr != nil {
		t.Fatalf("starting the API server (make deps kube): %v", kubeErr)
	}
	return kube
}

// The Argo CD release whose manifests the Component is built against, from
// the same archive hack/build-argocd.sh builds the cmp-server from.
const (
	argoArchive = "argo-cd-v3.5.1-src.tar.gz"
	installPath = "argo-cd-3.5.1/manifests/install.yaml"
)

// argoInstall returns Argo CD v3.5.1's manifests/install.yaml, read from
// the vendored source archive ($ARGOCD_VENDOR, else ../shared/vendor beside
// the repository) after checking the archive against SHA256SUMS there.
func argoInstall(t *testing.T) []byte {
	t.Helper()
	vendor := os.Getenv("ARGOCD_VENDOR")
	if vendor == "" {
		vendor = filepath.Join(repoRoot, "..", "shared", "vendor")
	}
	sums, err := os.ReadFile(filepath.Join(vendor, "SHA256SUMS"))
	if err != nil {
		t.Fatalf("the vendored Argo CD source (set ARGOCD_VENDOR): %v", err)
	}
	var want string
	sc := bufio.NewScanner(bytes.NewReader(sums))
	for sc.Scan() {
		if f := strings.Fields(sc.Text()); len(f) == 2 && strings.TrimPrefix(f[1], "*") == argoArchive {
			want = f[0]
		}
	}
	data, err := os.ReadFile(filepath.Join(vendor, argoArchive))
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	if got := hex.EncodeToString(sum[:]); want == "" || got != want {
		t.Fatalf("%s has sha256 %s, SHA256SUMS says %q", argoArchive, got, want)
	}
	gz, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(gz)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			t.Fatalf("%s holds no %s", argoArchive, installPath)
		}
		if err != nil {
			t.Fatal(err)
		}
		if h.Name == installPath {
			out, err := io.ReadAll(tr)
			if err != nil {
				t.Fatal(err)
			}
			return out
		}
	}
}

var (
	installOnce  sync.Once
	installBuilt []byte
)

// buildInstall builds, with the real kustomize, the example kustomization
// of deploy/examples/argocd with Argo CD's install.yaml as a local file
// instead of its URL; once, for every test.
func buildInstall(t *testing.T) []byte {
	t.Helper()
	installOnce.Do(func() { installBuilt = buildInstallOnce(t) })
	if installBuilt == nil {
		t.Fatal("building the install failed (see the first test that built it)")
	}
	return installBuilt
}

func buildInstallOnce(t *testing.T) []byte {
	t.Helper()
	dir := filepath.Join(repo, "deploy", "examples", "argocd-local")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "install.yaml"), argoInstall(t), 0o644); err != nil {
		t.Fatal(err)
	}
	example, err := os.ReadFile(filepath.Join(repoRoot, "deploy", "examples", "argocd", "kustomization.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	const url = "https://raw.githubusercontent.com/argoproj/argo-cd/v3.5.1/manifests/install.yaml"
	if !bytes.Contains(example, []byte(url)) {
		t.Fatalf("deploy/examples/argocd/kustomization.yaml does not install %s", url)
	}
	k := bytes.Replace(example, []byte(url), []byte("install.yaml"), 1)
	k = bytes.Replace(k, []byte("newTag: latest"), []byte("newTag: v9.9.9"), 1)
	if err := os.WriteFile(filepath.Join(dir, "kustomization.yaml"), k, 0o644); err != nil {
		t.Fatal(err)
	}
	return runner.MustRun(t, exec.Command(kustomize, "build", dir), nil)
}

type doc struct {
	Kind     string `json:"kind"`
	Metadata struct {
		Name      string `json:"name"`
		Namespace string `json:"namespace"`
	} `json:"metadata"`
	raw []byte
}

func docs(t *testing.T, stream []byte) []doc {
	t.Helper()
	var out []doc
	for _, m := range splitManifests(t, stream) {
		var d doc
		if err := yaml.Unmarshal([]byte(m), &d); err != nil {
			t.Fatal(err)
		}
		d.raw = []byte(m)
		out = append(out, d)
	}
	return out
}

// TestComponent: the Component adds the plugin's sidecar to Argo CD
// v3.5.1's own argocd-repo-server as Argo CD lays a plugin's sidecar out,
// and plugin.yaml as a ConfigMap the sidecar mounts.
func TestComponent(t *testing.T) {
	objs := docs(t, buildInstall(t))
	var repoServer appsv1.Deployment
	var configMap corev1.ConfigMap
	for _, d := range objs {
		switch {
		case d.Kind == "Deployment" && d.Metadata.Name == "argocd-repo-server":
			if err := yaml.UnmarshalStrict(d.raw, &repoServer); err != nil {
				t.Fatal(err)
			}
		case d.Kind == "ConfigMap" && strings.HasPrefix(d.Metadata.Name, "debug-overlay-cmp"):
			if err := yaml.UnmarshalStrict(d.raw, &configMap); err != nil {
				t.Fatal(err)
			}
		}
		if d.Metadata.Namespace != "" && d.Metadata.Namespace != "argocd" {
			t.Errorf("%s %s in namespace %s", d.Kind, d.Metadata.Name, d.Metadata.Namespace)
		}
	}
	if repoServer.Name == "" || configMap.Name == "" {
		t.Fatalf("the build lacks the repo-server (%q) or the plugin's ConfigMap (%q)", repoServer.Name, configMap.Name)
	}
	plugin, err := os.ReadFile(filepath.Join(repoRoot, "deploy", "argocd", "plugin.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if got := configMap.Data["plugin.yaml"]; got != string(plugin) {
		t.Errorf("the ConfigMap's plugin.yaml is not deploy/argocd/plugin.yaml:\n%s", got)
	}
	spec := repoServer.Spec.Template.Spec
	var sidecar *corev1.Container
	for i := range spec.Containers {
		if spec.Containers[i].Name == "debug-overlay" {
			sidecar = &spec.Containers[i]
		}
	}
	if sidecar == nil {
		t.Fatalf("no debug-overlay container in argocd-repo-server: %v", spec.Containers)
	}
	if want := []string{"/var/run/argocd/argocd-cmp-server"}; !cmp.Equal(sidecar.Command, want) {
		t.Errorf("command %v, want %v", sidecar.Command, want)
	}
	if sidecar.Image != "ghcr.io/debug-overlay/debug-overlay:v9.9.9" {
		t.Errorf("image %s: the example's images field did not pin it", sidecar.Image)
	}
	if sc := sidecar.SecurityContext; sc == nil || sc.RunAsUser == nil || *sc.RunAsUser != 999 || sc.RunAsNonRoot == nil || !*sc.RunAsNonRoot {
		t.Errorf("securityContext %+v: want runAsNonRoot and user 999", sc)
	}
	mounts := map[string]corev1.VolumeMount{}
	for _, m := range sidecar.VolumeMounts {
		mounts[m.MountPath] = m
	}
	volumes := map[string]corev1.Volume{}
	for _, v := range spec.Volumes {
		volumes[v.Name] = v
	}
	for path, check := range map[string]func(corev1.Volume) bool{
		// The repo-server's own volumes: the copied cmp-server, and the
		// directory where the repo-server finds the socket.
		"/var/run/argocd":                 func(v corev1.Volume) bool { return v.Name == "var-files" && v.EmptyDir != nil },
		"/home/argocd/cmp-server/plugins": func(v corev1.Volume) bool { return v.Name == "plugins" && v.EmptyDir != nil },
		"/home/argocd/cmp-server/config/plugin.yaml": func(v corev1.Volume) bool {
			return v.ConfigMap != nil && v.ConfigMap.Name == configMap.Name
		},
		"/tmp": func(v corev1.Volume) bool { return v.EmptyDir != nil && v.Name != "tmp" },
	} {
		m, ok := mounts[path]
		if !ok {
			t.Errorf("the sidecar does not mount %s", path)
			continue
		}
		if !check(volumes[m.Name]) {
			t.Errorf("%s: volume %+v", path, volumes[m.Name])
		}
	}
	if m := mounts["/home/argocd/cmp-server/config/plugin.yaml"]; m.SubPath != "plugin.yaml" {
		t.Errorf("plugin.yaml mounted with subPath %q", m.SubPath)
	}
	// Argo CD's copyutil init container still copies the cmp-server.
	copied := false
	for _, c := range spec.InitContainers {
		copied = copied || c.Name == "copyutil"
	}
	if !copied {
		t.Errorf("argocd-repo-server lost its copyutil init container")
	}
}

// TestInstallAccepted: the API server accepts Argo CD v3.5.1 with the
// Component (server-side dry-run apply: Argo CD's CRDs are too big for
// client-side apply), and the example Application, once Argo CD's CRDs are
// installed.
func TestInstallAccepted(t *testing.T) {
	stream := buildInstall(t)
	kube := apiServer(t)
	if _, _, err := kube.RunKubectl(nil, "create", "namespace", "argocd"); err != nil {
		t.Fatal(err)
	}
	var crds, rest bytes.Buffer
	for _, d := range docs(t, stream) {
		w := &rest
		if d.Kind == "CustomResourceDefinition" {
			w = &crds
		}
		fmt.Fprintf(w, "---\n%s\n", d.raw)
	}
	if crds.Len() == 0 {
		t.Fatal("no CRDs in the build")
	}
	kubectl := func(stdin []byte, args ...string) {
		t.Helper()
		out, stderr, err := kube.RunKubectl(stdin, args...)
		if err != nil {
			t.Fatalf("kubectl %s: %v", strings.Join(args, " "), err)
		}
		t.Logf("$ kubectl %s\n%s%s", strings.Join(args, " "), out, stderr)
	}
	kubectl(crds.Bytes(), "apply", "--server-side", "-f", "-")
	// kubectl wait fails at once on a CRD whose status is not there yet.
	deadline := time.Now().Add(time.Minute)
	for {
		_, _, err := kube.RunKubectl(nil, "wait", "--for=condition=Established", "crd", "--all", "--timeout=30s")
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the CRDs are not Established: %v", err)
		}
		time.Sleep(time.Second)
	}
	kubectl(rest.Bytes(), "apply", "--server-side", "--dry-run=server", "--validate=strict", "-f", "-")
	example, err := os.ReadFile(filepath.Join(repoRoot, "deploy", "examples", "argocd", "application.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	kubectl(example, "apply", "--server-side", "--dry-run=server", "--validate=strict", "-f", "-")
}
