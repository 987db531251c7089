//go:build linux

package nodee2e

import (
	"strings"
	"testing"
	"time"
)

// webManifest is a Deployment that passes Pod Security "restricted" on its
// own: its app runs as a numeric non-root user with every capability
// dropped, no privilege escalation and the runtime's seccomp profile. The
// pod itself names no user, only the app container does: the overlay's
// restricted profile gives the sidecar and the copy init container that one.
const webManifest = `apiVersion: v1
kind: ConfigMap
metadata:
  name: NAME-config
data:
  app.conf: "listen 8080\n"
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
      labels: {app: NAME, debug-overlay-e2e: restricted}
    spec:
      securityContext:
        runAsNonRoot: true
        seccompProfile: {type: RuntimeDefault}
      containers:
        - name: app
          image: busybox:1.36
          command: [sh, -c, 'trap "exit 0" TERM; while true; do sleep 3600 & wait $!; done']
          securityContext:
            runAsUser: 1000
            allowPrivilegeEscalation: false
            capabilities: {drop: [ALL]}
          volumeMounts:
            - {name: config, mountPath: /etc/app}
      volumes:
        - name: config
          configMap: {name: NAME-config}
`

// TestRestrictedProfile runs a workload overlaid with the restricted
// profile, its ConfigMap copied, in a namespace that enforces Pod Security
// "restricted": the API server admits the pod without a warning, it runs,
// the sidecar runs as the profile's user and sees the app's files and
// processes. For contrast, the general profile (SYS_PTRACE) is refused
// there.
func TestRestrictedProfile(t *testing.T) {
	t.Parallel()
	ns := newNamespace(t, "restricted", map[string]string{
		"pod-security.kubernetes.io/enforce": "restricted",
		"pod-security.kubernetes.io/warn":    "restricted",
	})
	rendered := render(t, strings.ReplaceAll(webManifest, "NAME", "web"), "--enable", "--profile", "restricted", "--copy-volume", "config")
	_, stderr, err := n.RunKubectl([]byte(rendered), "-n", ns, "apply", "-f", "-")
	if err != nil {
		t.Fatalf("%v", err)
	}
	if strings.Contains(string(stderr), "PodSecurity") {
		t.Errorf("restricted: the API server warns about Pod Security:\n%s\nrendered:\n%s", stderr, rendered)
	}
	var pod string
	d := waitFor(t, 2*time.Minute, "a Ready pod of Deployment web", func() (bool, string) {
		pods := podsOf(t, ns, "app=web")
		if len(pods) == 0 {
			rs, _ := n.Kubectl(nil, "-n", ns, "get", "rs", "-l", "app=web", "-o", "jsonpath={.items[*].status.conditions}")
			return false, "no pod; ReplicaSet conditions: " + rs
		}
		pod = pods[0].Name
		return ready(pods[0])
	})
	p := getPod(t, ns, pod)
	t.Logf("restricted: pod Ready %v after apply: %s", d.Round(time.Millisecond), podSummary(p))
	uid := strings.TrimSpace(execIn(t, ns, pod, "debug", "id"))
	t.Logf("restricted: id in the debug container: %s", uid)
	// The pod names no user, its app container does: the overlay takes
	// that one, so the sidecar can read what the app can.
	if !strings.HasPrefix(uid, "uid=1000 ") {
		t.Errorf("restricted: the debug container runs as %q, want uid 1000, the app container's user", uid)
	}
	conf := execIn(t, ns, pod, "debug", "cat", "/etc/app/app.conf")
	if conf != "listen 8080\n" {
		t.Errorf("restricted: the debug container reads %q from /etc/app/app.conf, want the ConfigMap's content", conf)
	}
	if v := volumeAt(t, p.Spec, "app", "/etc/app"); v.EmptyDir == nil {
		t.Errorf("restricted: the app's /etc/app is volume %q, want the copy", v.Name)
	}
	ps := execIn(t, ns, pod, "debug", "ps", "-o", "pid,user,args")
	t.Logf("restricted: ps in the debug container:\n%s", ps)
	if !strings.Contains(ps, "sleep 3600") || !strings.Contains(ps, "1000") {
		t.Errorf("restricted: ps in the debug container does not show the app's processes (user 1000)")
	}

	// Contrast: the general profile adds SYS_PTRACE, which restricted forbids.
	general := render(t, strings.ReplaceAll(webManifest, "NAME", "web-general"), "--enable", "--profile", "general")
	_, stderr, err = n.RunKubectl([]byte(general), "-n", ns, "apply", "-f", "-")
	if err != nil {
		t.Fatalf("%v", err)
	}
	t.Logf("general (contrast): kubectl apply warned:\n%s", strings.TrimSpace(string(stderr)))
	if !strings.Contains(string(stderr), "violate PodSecurity") {
		t.Errorf("general: no Pod Security warning for a SYS_PTRACE sidecar in a restricted namespace")
	}
	var why string
	waitFor(t, time.Minute, "the general-profile ReplicaSet to report that Pod Security refused its pod", func() (bool, string) {
		out, err := n.Kubectl(nil, "-n", ns, "get", "rs", "-l", "app=web-general", "-o",
			`jsonpath={range .items[*].status.conditions[?(@.type=="ReplicaFailure")]}{.message}{end}`)
		if err != nil {
			return false, err.Error()
		}
		why = out
		return strings.Contains(out, "forbidden"), "ReplicaFailure: " + out
	})
	if pods := podsOf(t, ns, "app=web-general"); len(pods) != 0 {
		t.Errorf("general: %d pod(s) admitted in a restricted namespace", len(pods))
	}
	t.Logf("general (contrast): no pod; the ReplicaSet says: %s", why)
}
