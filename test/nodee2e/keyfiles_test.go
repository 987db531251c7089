//go:build linux

package nodee2e

import (
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
)

// keyManifest is an app that runs as user 1000, with fsGroup 2000, and
// reads a key from a Secret with defaultMode 0400. It passes Pod Security
// "restricted" on its own.
const keyManifest = `apiVersion: v1
kind: Secret
metadata:
  name: NAME-key
stringData:
  tls.key: "-----BEGIN PRIVATE KEY-----\nnot a real key\n-----END PRIVATE KEY-----\n"
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: NAME
spec:
  replicas: 1
  selector:
    matchLabels: {app: NAME}
  template:
    metadata:
      labels: {app: NAME, debug-overlay-e2e: keyfiles}
    spec:
      securityContext:
        runAsNonRoot: true
        runAsUser: 1000
        fsGroup: 2000
        seccompProfile: {type: RuntimeDefault}
      containers:
        - name: app
          image: busybox:1.36
          command: [sh, -c, 'trap "exit 0" TERM; while true; do sleep 3600 & wait $!; done']
          securityContext:
            allowPrivilegeEscalation: false
            capabilities: {drop: [ALL]}
          volumeMounts:
            - {name: key, mountPath: /keys, readOnly: true}
      volumes:
        - name: key
          secret: {secretName: NAME-key, defaultMode: 0400}
`

// keyProbe prints, in the app container, who it runs as, the key file's
// mode, owner and type (following a symlink), its directory's, and the
// key's first line.
const keyProbe = `id -u; stat -L -c '%a %u %g %F' /keys/tls.key; stat -c '%a %u %g' /keys; head -n 1 /keys/tls.key`

// TestCopyOwnerAndMode runs the app of keyManifest in a namespace that
// enforces Pod Security "restricted", with the restricted profile and its
// key copied with fileMode 0600 and owner app: the API server admits the
// pod without a warning, the copy container (all capabilities dropped)
// runs as the owner, and the app reads a regular file, mode 0600, owned by
// 1000 in group 2000. For contrast, the app without the overlay sees
// kubelet's file: a symlink to a root-owned file, 0440 in the fsGroup.
func TestCopyOwnerAndMode(t *testing.T) {
	t.Parallel()
	ns := newNamespace(t, "keyfiles", map[string]string{
		"pod-security.kubernetes.io/enforce": "restricted",
		"pod-security.kubernetes.io/warn":    "restricted",
	})
	on := render(t, strings.ReplaceAll(keyManifest, "NAME", "keys"), "--enable", "--profile", "restricted",
		"--copy-volume", "key:fileMode=0600,owner=app")
	off := strings.ReplaceAll(keyManifest, "NAME", "keys-off")
	_, stderr, err := n.RunKubectl([]byte(on+"---\n"+off), "-n", ns, "apply", "-f", "-")
	if err != nil {
		t.Fatalf("%v", err)
	}
	if strings.Contains(string(stderr), "PodSecurity") {
		t.Errorf("the API server warns about Pod Security:\n%s\nrendered:\n%s", stderr, on)
	}

	probe := func(app string) (pod corev1.Pod, lines []string) {
		var name string
		d := waitFor(t, 2*time.Minute, "a Ready pod of Deployment "+app, func() (bool, string) {
			pods := podsOf(t, ns, "app="+app)
			if len(pods) == 0 {
				return false, "no pod"
			}
			name = pods[0].Name
			return ready(pods[0])
		})
		pod = getPod(t, ns, name)
		out := execIn(t, ns, name, "app", "sh", "-c", keyProbe)
		t.Logf("%s: Ready after %v; in the app container:\n%s", app, d.Round(time.Millisecond), out)
		return pod, strings.Split(strings.TrimSpace(out), "\n")
	}

	pod, got := probe("keys")
	if want := []string{"1000", "600 1000 2000 regular file"}; len(got) != 4 || got[0] != want[0] || got[1] != want[1] {
		t.Errorf("the app sees %q, want user %s and a key file %q", got, want[0], want[1])
	}
	if len(got) == 4 && got[3] != "-----BEGIN PRIVATE KEY-----" {
		t.Errorf("the app reads %q from the copied key", got[3])
	}
	// kubelet's emptyDir with an fsGroup: group-owned by it, setgid.
	if len(got) == 4 && !strings.HasSuffix(got[2], " 0 2000") {
		t.Errorf("the copy's directory is %q, want root's in group 2000", got[2])
	}
	c := container(t, pod.Spec, "debug-overlay-copy")
	sc := c.SecurityContext
	if sc == nil || sc.RunAsUser == nil || *sc.RunAsUser != 1000 || sc.RunAsGroup == nil || *sc.RunAsGroup != 2000 ||
		sc.Capabilities == nil || len(sc.Capabilities.Add) != 0 || len(sc.Capabilities.Drop) != 1 || sc.Capabilities.Drop[0] != "ALL" {
		t.Errorf("the copy container's securityContext is %+v, want user 1000, group 2000, every capability dropped", sc)
	}
	logs := kubectl(t, nil, "-n", ns, "logs", pod.Name, "-c", "debug-overlay-copy")
	t.Logf("the copy container's log: %s", strings.TrimSpace(logs))
	if !strings.Contains(logs, "copied 1 entries") {
		t.Errorf("the copy container's log does not report the copy: %q", logs)
	}

	_, raw := probe("keys-off")
	if want := "440 0 2000 regular file"; len(raw) != 4 || raw[1] != want {
		t.Errorf("without the overlay the app sees %q, want kubelet's key %q (root's, group read added for the fsGroup)", raw, want)
	}
}
