//go:build linux

package nodee2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/debug-overlay/debug-overlay/test/registry"
	"github.com/debug-overlay/debug-overlay/test/testenv"
)

// The release image under test: an OCI image layout and the tag of the
// image index in it. make e2e-cluster sets them: make dist's dist/image
// when there is one (make test runs make release-check first), else an
// image that hack/release builds from bin/'s binaries the same way.
const (
	imageLayoutEnv = "DEBUG_OVERLAY_IMAGE_LAYOUT"
	imageTagEnv    = "DEBUG_OVERLAY_IMAGE_TAG"
)

// TestReleaseImage: the release image, pushed to a real registry on
// loopback, is pulled by the node's containerd over plain HTTP (trusted
// for that registry only) and runs: `version` of its three binaries as
// its non-root user, and the post-renderer overlaying a stream fed to the
// pod on stdin, byte for byte as the binary under test does.
func TestReleaseImage(t *testing.T) {
	t.Parallel()
	ref, digest := pushedReleaseImage(t)

	ns := newNamespace(t, "release-image", map[string]string{"pod-security.kubernetes.io/enforce": "restricted"})
	kubectl(t, []byte(`apiVersion: v1
kind: Pod
metadata:
  name: version
spec:
  restartPolicy: Never
  securityContext:
    runAsNonRoot: true
    seccompProfile: {type: RuntimeDefault}
  containers:
    - name: render
      image: `+ref+`
      args: [version]
      securityContext: &restricted
        allowPrivilegeEscalation: false
        capabilities: {drop: [ALL]}
    - name: companion
      image: `+ref+`
      command: [kubectl-debug_overlay, version]
      securityContext: *restricted
    - name: argocd
      image: `+ref+`
      command: [debug-overlay-argocd, version]
      securityContext: *restricted
`), "-n", ns, "apply", "-f", "-")
	waitFor(t, 2*time.Minute, "the version pod to succeed", func() (bool, string) {
		p := getPod(t, ns, "version")
		return p.Status.Phase == corev1.PodSucceeded, podSummary(p)
	})
	p := getPod(t, ns, "version")
	for _, s := range p.Status.ContainerStatuses {
		if !strings.HasSuffix(s.ImageID, "@"+digest) {
			t.Errorf("container %s ran image %s, want the pushed index %s", s.Name, s.ImageID, digest)
		}
	}
	for container, program := range map[string]string{"render": "debug-overlay", "companion": "kubectl-debug_overlay", "argocd": "debug-overlay-argocd"} {
		out := kubectl(t, nil, "-n", ns, "logs", "version", "-c", container)
		if !strings.HasPrefix(out, program+" ") || !strings.Contains(out, " linux/") {
			t.Errorf("%s version in the image printed %q", program, out)
		}
	}

	// The post-renderer in a pod, the stream on its stdin: what kubectl run
	// -i gives back is what the binary under test writes for the same
	// stream and flags (restricted: its user is the image's non-root one).
	stream := []byte(`apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
        - name: web
          image: nginx:1.27
          volumeMounts:
            - {name: conf, mountPath: /etc/nginx/conf.d}
      volumes:
        - name: conf
          configMap: {name: web-conf}
`)
	args := []string{"--enable", "--profile", "restricted"}
	want, err := testenv.Output(withStdin(exec.Command(overlayBin, args...), stream))
	if err != nil {
		t.Fatal(err)
	}
	overrides := `{"spec":{"securityContext":{"runAsNonRoot":true,"seccompProfile":{"type":"RuntimeDefault"}},"containers":[{"name":"render","image":"` + ref +
		`","args":["` + strings.Join(args, `","`) + `"],"stdin":true,"stdinOnce":true,"securityContext":{"allowPrivilegeEscalation":false,"capabilities":{"drop":["ALL"]}}}]}}`
	got := kubectl(t, stream, "-n", ns, "run", "render", "--image", ref, "--restart=Never", "-i", "--rm", "--quiet",
		"--pod-running-timeout=2m", "--overrides", overrides)
	if got != string(want) {
		t.Errorf("the post-renderer in the image wrote otherwise than the binary under test:\n%s", testenv.LineDiff(string(want), got, 3))
	}
	if !strings.Contains(got, "debug-overlay.dev/status") {
		t.Errorf("the stream came back without the overlay:\n%s", got)
	}
}

// releaseImage is the release image under test, pushed once to a
// registry on loopback that the node's containerd trusts (plain HTTP, that
// registry alone); the registry is stopped with the node.
var releaseImage struct {
	once        sync.Once
	ref, digest string
	err         error
}

// pushedReleaseImage returns the reference of the release image under
// test in the node's registry, and the digest of its index.
func pushedReleaseImage(t *testing.T) (ref, digest string) {
	t.Helper()
	r := &releaseImage
	r.once.Do(func() { r.ref, r.digest, r.err = pushReleaseImage() })
	if r.err != nil {
		t.Fatal(r.err)
	}
	return r.ref, r.digest
}

func pushReleaseImage() (ref, digest string, err error) {
	layout, tag := os.Getenv(imageLayoutEnv), os.Getenv(imageTagEnv)
	if layout == "" || tag == "" {
		return "", "", fmt.Errorf("%s and %s name the image under test: run `%s`", imageLayoutEnv, imageTagEnv, target)
	}
	reg, err := registry.Start(registry.Options{})
	if err != nil {
		return "", "", err
	}
	cleanups = append(cleanups, func() { reg.Stop() })
	if err := n.TrustRegistry(reg.Host); err != nil {
		return "", "", err
	}
	release := filepath.Join(tmpRoot, "release")
	build := exec.Command("go", "build", "-o", release, ".")
	build.Dir = filepath.Join(repoRoot, "hack", "release")
	build.Env = append(os.Environ(), "GOFLAGS=")
	if _, err := testenv.Output(build); err != nil {
		return "", "", err
	}
	ref = reg.Host + "/debug-overlay:" + tag
	pushed, err := testenv.OutputText(exec.Command(release, "push-image", "-layout", layout, "-tag", tag, "-ref", ref, "-plain-http"))
	if err != nil {
		return "", "", err
	}
	_, digest, _ = strings.Cut(pushed, "@")
	fmt.Fprintf(os.Stderr, "nodee2e: pushed %s from %s\n", pushed, layout)
	return ref, digest, nil
}

func withStdin(cmd *exec.Cmd, stdin []byte) *exec.Cmd {
	cmd.Stdin = strings.NewReader(string(stdin))
	return cmd
}
