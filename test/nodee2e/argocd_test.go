//go:build linux

package nodee2e

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"
)

// argocdImage stands in for Argo CD's own image (hack/images builds it);
// the plugin's sidecar runs the release image under test.
const argocdImage = "debug-overlay.test/argocd:v3.5.1"

// standInRepoServer is argocd-repo-server as Argo CD v3.5.1's install.yaml
// has it, reduced to what the plugin's sidecar shares with it: the copyutil
// init container that copies the cmp-server into var-files, and the
// var-files and plugins volumes. The repo-server container itself (which
// needs Redis and the rest of Argo CD) is left out: the test's client
// speaks to the plugin's socket as the repo-server would.
const standInRepoServer = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: argocd-repo-server
spec:
  selector:
    matchLabels: {app.kubernetes.io/name: argocd-repo-server}
  template:
    metadata:
      labels: {app.kubernetes.io/name: argocd-repo-server}
    spec:
      automountServiceAccountToken: false
      initContainers:
        - name: copyutil
          image: ` + argocdImage + `
          imagePullPolicy: Never
          command: [sh, -c]
          args: [/bin/cp /usr/local/bin/argocd-cmp-server /var/run/argocd/argocd-cmp-server]
          securityContext:
            allowPrivilegeEscalation: false
            capabilities: {drop: [ALL]}
            readOnlyRootFilesystem: true
            runAsNonRoot: true
            runAsUser: 999
            seccompProfile: {type: RuntimeDefault}
          volumeMounts:
            - {mountPath: /var/run/argocd, name: var-files}
      containers: []
      volumes:
        - {name: var-files, emptyDir: {}}
        - {name: plugins, emptyDir: {}}
`

// TestArgoCDPluginPod runs the plugin's sidecar on the real node, as the
// Component of deploy/argocd (built by the real kustomize) lays it out in
// argocd-repo-server: Argo CD v3.5.1's cmp-server, stripped, copied by the
// copyutil init container into var-files and run as user 999 in debug-
// overlay's release image, whose debug-overlay-argocd plugin.yaml from the
// Component's ConfigMap runs as the plugin's generate, /tmp an emptyDir. The plugins directory is a hostPath owned by 999, so that the
// test's client (argocd-cmp-client, speaking the repo-server's side of the
// plugin API) reaches the socket from the host. The overlaid manifests it
// returns for the geth chart are accepted by the API server.
func TestArgoCDPluginPod(t *testing.T) {
	t.Parallel()
	cmpClient := filepath.Join(repoRoot, "bin", "argocd-cmp-client")
	if _, err := os.Stat(cmpClient); err != nil {
		t.Fatalf("%v (make argocd)", err)
	}
	ns := newNamespace(t, "argocd-cmp", nil)
	image, _ := pushedReleaseImage(t)
	imageName, imageTag, _ := strings.Cut(image[strings.LastIndex(image, "/")+1:], ":")
	imageName = image[:strings.LastIndex(image, "/")+1] + imageName

	// The Component on the stand-in, with the test image.
	dir := filepath.Join(tmpRoot, "argocd-install")
	component, err := filepath.Rel(dir, filepath.Join(repoRoot, "deploy", "argocd"))
	if err != nil {
		t.Fatal(err)
	}
	for name, content := range map[string]string{
		"repo-server.yaml": standInRepoServer,
		"kustomization.yaml": fmt.Sprintf(`apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
namespace: %s
resources: [repo-server.yaml]
components: [%s]
images:
  - name: ghcr.io/debug-overlay/debug-overlay
    newName: %s
    newTag: %s
`, ns, component, imageName, imageTag),
	} {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	built, err := output(exec.Command(kustomizeBin, "build", dir))
	if err != nil {
		t.Fatalf("kustomize build: %v", err)
	}
	var deployment appsv1.Deployment
	var rest []string
	for _, doc := range strings.Split(built, "\n---\n") {
		if strings.Contains(doc, "kind: Deployment\n") {
			if err := yaml.UnmarshalStrict([]byte(doc), &deployment); err != nil {
				t.Fatal(err)
			}
			continue
		}
		rest = append(rest, doc)
	}
	if deployment.Name == "" || len(rest) != 1 || !strings.Contains(rest[0], "kind: ConfigMap") {
		t.Fatalf("kustomize build gave no Deployment or not exactly the ConfigMap besides:\n%s", built)
	}
	kubectl(t, []byte(rest[0]), "-n", ns, "apply", "-f", "-")

	// The pod of the Deployment's template, its plugins directory on the host.
	plugins := filepath.Join(tmpRoot, "argocd-plugins")
	if err := os.MkdirAll(plugins, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(plugins, 999, 999); err != nil {
		t.Fatal(err)
	}
	spec := deployment.Spec.Template.Spec
	for i, v := range spec.Volumes {
		if v.Name == "plugins" {
			dirType := corev1.HostPathDirectory
			spec.Volumes[i].VolumeSource = corev1.VolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: plugins, Type: &dirType}}
		}
	}
	// The sidecar's image is pulled from the node's registry (this test
	// runs beside TestReleaseImage, which may not have pulled it yet); the
	// other images were imported into containerd with the node.
	pulled := false
	for i, c := range spec.Containers {
		spec.Containers[i].ImagePullPolicy = corev1.PullNever
		if c.Image == image {
			spec.Containers[i].ImagePullPolicy = corev1.PullIfNotPresent
			pulled = true
		}
	}
	if !pulled {
		t.Fatalf("no container of the built Deployment runs the release image %s", image)
	}
	pod := corev1.Pod{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"},
		ObjectMeta: deployment.Spec.Template.ObjectMeta,
		Spec:       spec,
	}
	pod.Name = "argocd-repo-server"
	pod.Labels["debug-overlay-e2e"] = "argocd"
	data, err := json.Marshal(pod)
	if err != nil {
		t.Fatal(err)
	}
	kubectl(t, data, "-n", ns, "apply", "-f", "-")
	d := waitPodReady(t, ns, pod.Name, 2*time.Minute)
	p := getPod(t, ns, pod.Name)
	t.Logf("the plugin's pod is Ready after %v: %s", d.Round(time.Millisecond), podSummary(p))
	sidecar := container(t, p.Spec, "debug-overlay")
	if sc := sidecar.SecurityContext; sc == nil || sc.RunAsUser == nil || *sc.RunAsUser != 999 {
		t.Errorf("the sidecar's securityContext: %+v, want user 999", sc)
	}
	socket := filepath.Join(plugins, "debug-overlay.sock")
	waitFor(t, time.Minute, "the plugin's socket", func() (bool, string) {
		fi, err := os.Stat(socket)
		if err != nil {
			return false, err.Error()
		}
		return fi.Mode()&os.ModeSocket != 0, fi.Mode().String()
	})
	if fi, err := os.Stat(socket); err == nil {
		if st, ok := fi.Sys().(interface{ Uid() uint32 }); ok && st.Uid() != 999 {
			t.Errorf("the socket belongs to %d, want 999", st.Uid())
		}
	}

	// The repo-server's side: the geth chart of the repository copy, with
	// the overlay on.
	appFile := filepath.Join(tmpRoot, "argocd-geth-app.yaml")
	application := `apiVersion: argoproj.io/v1alpha1
kind: Application
metadata: {name: geth, namespace: argocd}
spec:
  project: default
  destination: {server: https://kubernetes.default.svc, namespace: geth-argocd}
  source:
    repoURL: https://example.com/debug-overlay.git
    path: charts/examples/geth
    plugin:
      name: debug-overlay
      parameters:
        - {name: enabled, string: "true"}
        - {name: copy-volumes, array: ["keystore:fileMode=0600"]}
        - {name: reason, string: "argocd e2e"}
`
	if err := os.WriteFile(appFile, []byte(application), 0o644); err != nil {
		t.Fatal(err)
	}
	client := func(op string) []byte {
		t.Helper()
		out, err := output(exec.Command(cmpClient, "-socket", socket, "-op", op, "-repo", srcDir, "-app", appFile,
			"-kube-version", n.Version, "-api-versions", "apps/v1,apps/v1/StatefulSet,v1"))
		if err != nil {
			t.Fatalf("argocd-cmp-client -op %s: %v\nthe sidecar's log:\n%s", op, err, kubectlLogs(ns, pod.Name, "debug-overlay"))
		}
		return []byte(out)
	}
	var announced struct {
		ParameterAnnouncements []struct {
			Name string `json:"name"`
		} `json:"parameterAnnouncements"`
	}
	if err := json.Unmarshal(client("announce"), &announced); err != nil {
		t.Fatal(err)
	}
	if len(announced.ParameterAnnouncements) == 0 || announced.ParameterAnnouncements[0].Name != "enabled" {
		t.Errorf("announced: %+v", announced.ParameterAnnouncements)
	}
	var resp struct {
		Manifests []string `json:"manifests"`
	}
	if err := json.Unmarshal(client("generate"), &resp); err != nil {
		t.Fatal(err)
	}
	if len(resp.Manifests) < 3 {
		t.Fatalf("%d manifests, want the geth chart's", len(resp.Manifests))
	}
	stream := strings.Join(resp.Manifests, "\n---\n")
	for _, want := range []string{`"name":"debug"`, `"name":"debug-overlay-copy"`, `"debug-overlay.dev/reason":"argocd e2e"`} {
		if !strings.Contains(stream, want) {
			t.Errorf("the manifests lack %s", want)
		}
	}
	dest := newNamespace(t, "geth-argocd", nil)
	out := kubectl(t, []byte(stream), "-n", dest, "apply", "--dry-run=server", "--validate=strict", "-f", "-")
	t.Logf("the API server accepts the plugin's manifests:\n%s", out)
}

func kubectlLogs(ns, pod, c string) string {
	out, err := n.Kubectl(nil, "-n", ns, "logs", pod, "-c", c, "--tail=40")
	if err != nil {
		return err.Error()
	}
	return out
}
