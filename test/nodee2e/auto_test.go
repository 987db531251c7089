//go:build linux

package nodee2e

import (
	"fmt"
	"strings"
	"testing"

	"github.com/debug-overlay/debug-overlay/generator/overlay"
)

// ownerManifest is an app that passes Pod Security "restricted" on its
// own, running as user 1000 (its container's user; the pod's is 3000)
// with a file only it may read (0600) on an emptyDir.
const ownerManifest = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: owner
spec:
  replicas: 1
  selector:
    matchLabels: {app: owner}
  template:
    metadata:
      labels: {app: owner}
    spec:
      securityContext:
        runAsNonRoot: true
        runAsUser: 3000
        fsGroup: 2000
        seccompProfile: {type: RuntimeDefault}
      containers:
        - name: app
          image: busybox:1.36
          command: [sh, -c, 'umask 077; echo "only for 1000" > /data/secret; trap "exit 0" TERM; while true; do sleep 3600 & wait $!; done']
          securityContext:
            runAsUser: 1000
            allowPrivilegeEscalation: false
            capabilities: {drop: [ALL]}
          volumeMounts:
            - {name: data, mountPath: /data}
      volumes:
        - name: data
          emptyDir: {}
`

// TestAttachAuto: attach with no --profile (auto) in namespaces that
// enforce "restricted" and "baseline" gets a debug container the level
// admits, running as the app container's user (1000, not the pod's 3000),
// that reads the app's 0600 file and sees its processes. Under baseline,
// the post-renderer's default profile (general, SYS_PTRACE) is refused.
func TestAttachAuto(t *testing.T) {
	t.Parallel()
	for _, level := range []struct {
		name string
		want overlay.ProfileName
	}{
		{"restricted", overlay.ProfileRestricted},
		{"baseline", overlay.ProfileBaseline},
	} {
		t.Run(level.name, func(t *testing.T) {
			t.Parallel()
			ns := newNamespace(t, "attach-auto-"+level.name, map[string]string{
				overlay.EnforceLabel:              level.name,
				"pod-security.kubernetes.io/warn": level.name,
			})
			kubectl(t, []byte(ownerManifest), "-n", ns, "apply", "-f", "-")
			waitReadyPods(t, ns, "app=owner", 1)
			pod := podsOf(t, ns, "app=owner")[0].Name
			if level.name == "baseline" {
				r := attach(t, "", "deployment/owner", "-n", ns, "--profile", "general")
				if r.code != 4 || !strings.Contains(r.stderr, "Pod Security refused the general profile") || !strings.Contains(r.stderr, `violates PodSecurity "baseline:latest"`) {
					t.Errorf("--profile general (the post-renderer's default) under baseline: exit %d, want 4 and Pod Security's refusal", r.code)
				}
			}
			r := mustAttach(t, "", "deployment/owner", "-n", ns, "--exec", "--", "sh", "-c", "id; cat /data/secret; ps -o pid,user,args")
			for _, want := range []string{
				fmt.Sprintf("namespace %s: Pod Security %s:latest (label %s of Namespace %s): profile auto chooses %s; the cost: no SYS_PTRACE", ns, level.name, overlay.EnforceLabel, ns, level.want),
				fmt.Sprintf("pod %s/%s: debug is running", ns, pod),
				"profile auto: " + string(level.want),
				`runs as 1000 (runAsUser of container "app")`,
			} {
				if !strings.Contains(r.stderr, want) {
					t.Errorf("attach does not say %q", want)
				}
			}
			if !strings.Contains(r.stdout, "uid=1000") || !strings.Contains(r.stdout, "2000") {
				t.Errorf("the debug container is not user 1000 in group 2000 (the fsGroup): %q", r.stdout)
			}
			if !strings.Contains(r.stdout, "only for 1000") {
				t.Errorf("the debug container cannot read the app's 0600 file: %q", r.stdout)
			}
			if !strings.Contains(r.stdout, "sleep 3600") {
				t.Errorf("the debug container does not see the app's processes: %q", r.stdout)
			}
			p := getPod(t, ns, pod)
			ec, st := ephemeral(t, p, "debug")
			if st.State.Running == nil || ec.SecurityContext == nil || ec.SecurityContext.Capabilities != nil && len(ec.SecurityContext.Capabilities.Add) > 0 {
				t.Errorf("debug: state %+v, securityContext %+v: want running, no capability added", st.State, ec.SecurityContext)
			}
		})
	}
}
