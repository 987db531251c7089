//go:build linux

package nodee2e

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"
)

// variantApp is a Deployment whose app idles and handles SIGTERM.
const variantApp = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: NAME
spec:
  replicas: 1
  selector:
    matchLabels: {app: NAME}
  template:
    metadata:
      labels: {app: NAME, debug-overlay-e2e: variants}
    spec:
      containers:
        - name: app
          image: busybox:1.36
          command: [sh, -c, 'trap "exit 0" TERM; while true; do sleep 3600 & wait $!; done']
`

// Linux capability bits, as /proc/<pid>/status shows them.
const (
	capNetAdmin  = 12
	capNetRaw    = 13
	capSysPtrace = 19
	capSysAdmin  = 21
)

// TestPresetsAndProfiles runs one workload per sidecar preset and security
// profile and checks, inside the running sidecar, that the preset's shell
// is there (what `debug-overlay explain` tells people to exec) and that the
// profile's capabilities are the effective ones.
func TestPresetsAndProfiles(t *testing.T) {
	t.Parallel()
	ns := newNamespace(t, "variants", nil)
	cases := []struct {
		preset, profile, shell string
		want, not              []int
	}{
		{"alpine", "general", "ash", []int{capSysPtrace}, []int{capNetAdmin, capSysAdmin}},
		{"toolbox", "netadmin", "bash", []int{capNetAdmin, capNetRaw}, []int{capSysPtrace, capSysAdmin}},
		{"busybox", "baseline", "sh", nil, []int{capSysPtrace, capNetAdmin, capSysAdmin}},
		{"busybox", "sysadmin", "sh", []int{capSysAdmin, capSysPtrace, capNetAdmin}, nil},
	}
	var all strings.Builder
	for _, c := range cases {
		name := c.preset + "-" + c.profile
		all.WriteString("---\n" + render(t, strings.ReplaceAll(variantApp, "NAME", name), "--enable", "--preset", c.preset, "--profile", c.profile, "--allow-privileged"))
	}
	kubectl(t, []byte(all.String()), "-n", ns, "apply", "-f", "-")
	for _, c := range cases {
		name := c.preset + "-" + c.profile
		t.Run(name, func(t *testing.T) {
			var pod string
			d := waitFor(t, 2*time.Minute, "a Ready pod of "+name, func() (bool, string) {
				pods := podsOf(t, ns, "app="+name)
				if len(pods) == 0 {
					return false, "no pod"
				}
				pod = pods[0].Name
				return ready(pods[0])
			})
			image := container(t, getPod(t, ns, pod).Spec, "debug").Image
			out := execIn(t, ns, pod, "debug", c.shell, "-c", `echo "$0"; grep CapEff /proc/self/status`)
			lines := strings.Fields(out)
			if len(lines) < 3 {
				t.Fatalf("%s -c in the debug container printed %q", c.shell, out)
			}
			eff, err := strconv.ParseUint(lines[2], 16, 64)
			if err != nil {
				t.Fatalf("CapEff %q: %v", lines[2], err)
			}
			t.Logf("%s: Ready after %v, image %s, exec %s works, CapEff %s", name, d.Round(time.Millisecond), image, c.shell, lines[2])
			for _, b := range c.want {
				if eff&(1<<b) == 0 {
					t.Errorf("%s: capability bit %d missing from CapEff %s", name, b, lines[2])
				}
			}
			for _, b := range c.not {
				if eff&(1<<b) != 0 {
					t.Errorf("%s: capability bit %d in CapEff %s, not wanted", name, b, lines[2])
				}
			}
		})
	}
}

// copyManifest is a pod with every kind of volume the overlay copies: a
// Secret with nested item paths and a mode, a ConfigMap mounted by subPath,
// a projected volume (service account token, ConfigMap, downward API) and a
// downward API volume.
const copyManifest = `apiVersion: v1
kind: Secret
metadata:
  name: creds
stringData:
  password: s3cret
  tls.key: KEY
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
data:
  app.conf: "mode=debug\n"
---
apiVersion: v1
kind: Pod
metadata:
  name: copies
  labels: {debug-overlay-e2e: copies, tier: backend}
spec:
  containers:
    - name: app
      image: busybox:1.36
      command: [sh, -c, 'trap "exit 0" TERM; while true; do sleep 3600 & wait $!; done']
      volumeMounts:
        - {name: creds, mountPath: /creds, readOnly: true}
        - {name: settings, mountPath: /etc/app/app.conf, subPath: app.conf}
        - {name: bundle, mountPath: /bundle}
        - {name: info, mountPath: /info}
  volumes:
    - name: creds
      secret:
        secretName: creds
        defaultMode: 0400
        items:
          - {key: password, path: db/password}
          - {key: tls.key, path: tls/key.pem, mode: 0440}
    - name: settings
      configMap: {name: settings}
    - name: bundle
      projected:
        sources:
          - serviceAccountToken: {path: token, expirationSeconds: 3600}
          - configMap: {name: settings, items: [{key: app.conf, path: conf/app.conf}]}
          - downwardAPI: {items: [{path: labels, fieldRef: {fieldPath: metadata.labels}}]}
    - name: info
      downwardAPI:
        items:
          - {path: name, fieldRef: {fieldPath: metadata.name}}
`

// TestCopyVolumes copies every kind of volume on a real kubelet: the app
// then sees regular files (no kubelet symlinks, no ..data) with the
// content and the modes the volumes ask for, nested item paths kept, and
// the subPath mount of a copied ConfigMap still works.
func TestCopyVolumes(t *testing.T) {
	t.Parallel()
	ns := newNamespace(t, "copies", nil)
	rendered := render(t, copyManifest, "--enable", "--copy-volume", "creds", "--copy-volume", "settings",
		"--copy-volume", "bundle", "--copy-volume", "info")
	kubectl(t, []byte(rendered), "-n", ns, "apply", "-f", "-")
	d := waitPodReady(t, ns, "copies", 2*time.Minute)
	t.Logf("copies: Ready after %v: %s", d.Round(time.Millisecond), podSummary(getPod(t, ns, "copies")))
	t.Logf("copies: the copy init container said:\n%s", kubectl(t, nil, "-n", ns, "logs", "copies", "-c", "debug-overlay-copy"))

	// Every entry below the copied mounts, as the app sees it.
	out := execIn(t, ns, "copies", "app", "sh", "-c", `for p in /creds /etc/app/app.conf /bundle /info; do find "$p" | sort | while read -r f; do
  if [ -L "$f" ]; then echo "$f symlink"; elif [ -d "$f" ]; then echo "$f dir"; else echo "$f $(stat -c %a "$f") $(head -c 40 "$f" | tr '\n' ' ')"; fi
done; done`)
	t.Logf("copies: what the app sees:\n%s", out)
	if strings.Contains(out, "symlink") || strings.Contains(out, "..data") || strings.Contains(out, "..20") {
		t.Errorf("the app sees kubelet's symlinks or ..data in a copy:\n%s", out)
	}
	for _, want := range []string{
		"/creds/db/password 400 s3cret",
		"/creds/tls/key.pem 440 KEY",
		"/etc/app/app.conf 644 mode=debug",
		"/bundle/conf/app.conf 644 mode=debug",
		"/bundle/labels 644 ",
		"/bundle/token 644 eyJ",
		"/info/name 644 copies",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the app does not see %q", want)
		}
	}
	if labels := execIn(t, ns, "copies", "app", "cat", "/bundle/labels"); !strings.Contains(labels, `tier="backend"`) {
		t.Errorf("the copied downward API labels lack tier=\"backend\": %q", labels)
	}
	// The copied token still authenticates: it is the pod's own.
	token := execIn(t, ns, "copies", "app", "cat", "/bundle/token")
	review := fmt.Sprintf(`{"apiVersion": "authentication.k8s.io/v1", "kind": "TokenReview", "spec": {"token": %q}}`, token)
	who := kubectl(t, []byte(review), "create", "-f", "-", "-o", "jsonpath={.status.user.username}")
	t.Logf("copies: the copied token authenticates as %s", who)
	if who != fmt.Sprintf("system:serviceaccount:%s:default", ns) {
		t.Errorf("the copied token authenticates as %q", who)
	}
}
