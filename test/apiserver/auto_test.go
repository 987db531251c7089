package apiserver

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/utils/ptr"
	sigsyaml "sigs.k8s.io/yaml"

	"github.com/debug-overlay/debug-overlay/generator/overlay"
	"github.com/debug-overlay/debug-overlay/test/testenv"
)

// companionBinary is kubectl-debug_overlay beside the binary under test
// (make build builds both), or built into dir.
func companionBinary(dir string) (string, error) {
	if env := os.Getenv(testenv.BinEnv); env != "" {
		path, err := filepath.Abs(filepath.Join(filepath.Dir(env), "kubectl-debug_overlay"))
		if err != nil {
			return "", err
		}
		if _, err := os.Stat(path); err != nil {
			return "", fmt.Errorf("kubectl-debug_overlay beside %s=%s: %w (make build builds both)", testenv.BinEnv, env, err)
		}
		return path, nil
	}
	root, err := testenv.RepoRoot()
	if err != nil {
		return "", err
	}
	path := filepath.Join(dir, "kubectl-debug_overlay")
	build := exec.Command("go", "build", "-trimpath", "-o", path, "./cmd/kubectl-debug_overlay")
	build.Dir = root
	if _, err := testenv.Output(build); err != nil {
		return "", fmt.Errorf("building kubectl-debug_overlay: %w", err)
	}
	return path, nil
}

// autoTarget is a pod that a level admits on its own, and whom auto's
// debug container must run as.
type autoTarget struct {
	name     string
	pod      string // the spec, indented for autoPod
	restrict bool   // written for restricted: every level admits it
	copy     bool   // its volume "config" is copied: the copy init container must meet the level too
	uid, gid *int64 // the debug container's own runAsUser and runAsGroup
}

var autoTargets = []autoTarget{
	// Root: the container says so itself, the pod names no user.
	{name: "root", pod: `
  containers:
    - name: app
      image: registry.k8s.io/pause:3.10
      securityContext:
        runAsUser: 0
`, uid: ptr.To[int64](0)},
	// The pod's user and fsGroup: the debug container inherits them.
	{name: "user1000-fsgroup2000", restrict: true, pod: `
  securityContext:
    runAsNonRoot: true
    runAsUser: 1000
    fsGroup: 2000
    seccompProfile: {type: RuntimeDefault}
  containers:
    - name: app
      image: registry.k8s.io/pause:3.10
      securityContext:
        allowPrivilegeEscalation: false
        capabilities: {drop: [ALL]}
`},
	// The container's user differs from the pod's: the container's wins.
	{name: "container-user", restrict: true, pod: `
  securityContext:
    runAsNonRoot: true
    runAsUser: 1000
    fsGroup: 2000
    seccompProfile: {type: RuntimeDefault}
  containers:
    - name: app
      image: registry.k8s.io/pause:3.10
      securityContext:
        runAsUser: 1001
        runAsGroup: 3000
        allowPrivilegeEscalation: false
        capabilities: {drop: [ALL]}
`, uid: ptr.To[int64](1001), gid: ptr.To[int64](3000)},
	// A copied Secret volume: the copy init container meets the level.
	{name: "copy", restrict: true, copy: true, pod: `
  securityContext:
    runAsNonRoot: true
    runAsUser: 1000
    fsGroup: 2000
    seccompProfile: {type: RuntimeDefault}
  containers:
    - name: app
      image: registry.k8s.io/pause:3.10
      securityContext:
        allowPrivilegeEscalation: false
        capabilities: {drop: [ALL]}
      volumeMounts:
        - {name: config, mountPath: /etc/app}
  volumes:
    - name: config
      secret: {secretName: app-config}
`},
}

// autoLevel is a namespace's Pod Security labels, what auto must choose
// there, and the next rung up, which must be refused ("" when auto's is
// general, the top).
type autoLevel struct {
	name   string
	labels map[string]string
	want   overlay.ProfileName
	next   overlay.ProfileName
	says   string // the level as Pod Security names it
}

var autoLevels = []autoLevel{
	{name: "privileged", labels: map[string]string{overlay.EnforceLabel: "privileged"}, want: overlay.ProfileGeneral, says: "privileged:latest"},
	{name: "baseline", labels: map[string]string{overlay.EnforceLabel: "baseline"}, want: overlay.ProfileBaseline, next: overlay.ProfileGeneral, says: "baseline:latest"},
	{name: "baseline-v1.28", labels: map[string]string{overlay.EnforceLabel: "baseline", overlay.EnforceVersionLabel: "v1.28"}, want: overlay.ProfileBaseline, next: overlay.ProfileGeneral, says: "baseline:v1.28"},
	{name: "restricted", labels: map[string]string{overlay.EnforceLabel: "restricted"}, want: overlay.ProfileRestricted, next: overlay.ProfileBaseline, says: "restricted:latest"},
	{name: "restricted-v1.30", labels: map[string]string{overlay.EnforceLabel: "restricted", overlay.EnforceVersionLabel: "v1.30"}, want: overlay.ProfileRestricted, next: overlay.ProfileBaseline, says: "restricted:v1.30"},
}

// TestAutoPodSecurity: for each level and each target the level admits,
// profile auto's pod (the post-renderer's, from a stream that holds the
// Namespace document) is admitted when created as a Pod, and so is
// auto's ephemeral container, added by the real attach (server-side dry
// run of pods/ephemeralcontainers); the next rung up is refused both ways.
// The debug container runs as the target container: its user and group,
// else the pod's.
func TestAutoPodSecurity(t *testing.T) {
	for _, level := range autoLevels {
		t.Run(level.name, func(t *testing.T) {
			t.Parallel()
			ns := namespace(t, level.labels)
			nsDoc, err := sigsyaml.Marshal(map[string]any{"apiVersion": "v1", "kind": "Namespace", "metadata": map[string]any{"name": ns, "labels": level.labels}})
			if err != nil {
				t.Fatal(err)
			}
			for _, target := range autoTargets {
				if !target.restrict && level.want == overlay.ProfileRestricted {
					continue // restricted admits no root pod
				}
				t.Run(target.name, func(t *testing.T) {
					pod := "apiVersion: v1\nkind: Pod\nmetadata:\n  name: " + target.name + "\n  namespace: " + ns + "\nspec:" + target.pod
					stream := append(append(nsDoc, "---\n"...), pod...)
					autoTemplate(t, ns, level, target, stream)
					autoAttach(t, ns, level, target, pod)
				})
			}
		})
	}
}

// autoTemplate renders the stream with profile auto and creates its Pod
// (server-side dry run): admitted; the next rung up refused.
func autoTemplate(t *testing.T, ns string, level autoLevel, target autoTarget, stream []byte) {
	args := []string{"--enable", "--profile", "auto"}
	if target.copy {
		args = append(args, "--copy-volume", "config")
	}
	rendered := podDoc(t, runOverlay(t, stream, args...))
	if _, err := kube.ApplyServerDryRun(ns, rendered); err != nil {
		t.Fatalf("Pod Security %s refuses auto's pod: %v\n%s", level.says, err, rendered)
	}
	var pod corev1.Pod
	if err := sigsyaml.Unmarshal(rendered, &pod); err != nil {
		t.Fatal(err)
	}
	debug := findContainer(pod.Spec.Containers, "debug")
	if debug == nil {
		t.Fatalf("no debug container:\n%s", rendered)
	}
	checkUser(t, "auto's pod", debug.SecurityContext, target)
	if c := findContainer(pod.Spec.InitContainers, overlay.CopyContainerName); target.copy && c == nil {
		t.Errorf("no copy init container:\n%s", rendered)
	} else if target.copy {
		t.Logf("the copy init container, admitted too: securityContext %s", jsonOf(c.SecurityContext))
	}
	checkProfile(t, "auto's pod", debug.SecurityContext, level.want)
	explain := string(runOverlay(t, stream, "explain", "--enable", "--profile", "auto"))
	if want := fmt.Sprintf("profile auto: %s, for Pod Security %s (label pod-security.kubernetes.io/enforce of Namespace %s in the stream)", level.want, level.says, ns); !strings.Contains(explain, want) {
		t.Errorf("explain does not say %q:\n%s", want, explain)
	}
	t.Logf("auto's pod admitted under %s: debug securityContext %s", level.says, jsonOf(debug.SecurityContext))
	if level.next == "" {
		return
	}
	next := podDoc(t, runOverlay(t, stream, append(args[:len(args):len(args)], "--profile", string(level.next))...))
	_, err := kube.ApplyServerDryRun(ns, next)
	if err == nil {
		t.Fatalf("Pod Security %s admits the next rung up, %s: auto did not choose the most capable", level.says, level.next)
	}
	if msg := kubectlError(t, err); !strings.Contains(msg, `violates PodSecurity "`+level.says+`"`) {
		t.Fatalf("the %s pod is refused, but not by Pod Security %s: %s", level.next, level.says, msg)
	} else {
		t.Logf("the next rung up, %s, refused: %s", level.next, msg)
	}
}

// autoAttach creates the pod for real, running as far as the API server
// knows (there is no kubelet: its status is set), and runs the real
// attach on it with a server-side dry run: auto's ephemeral container is
// admitted, the next rung up refused.
func autoAttach(t *testing.T, ns string, level autoLevel, target autoTarget, pod string) {
	if _, err := kube.CreateForReal(ns, []byte(pod)); err != nil {
		t.Fatalf("the target pod itself is refused, so this proves nothing: %v", err)
	}
	markRunning(t, ns, target.name)
	r := runAttach(t, "pod/"+target.name, "-n", ns, "--dry-run=server", "-o", "json")
	if r.code != 0 {
		t.Fatalf("attach: exit %d\n%s", r.code, r.stderr)
	}
	for _, want := range []string{
		fmt.Sprintf("namespace %s: Pod Security %s (label pod-security.kubernetes.io/enforce of Namespace %s): profile auto chooses %s", ns, level.says, ns, level.want),
		"the API server accepts debug; profile auto: " + string(level.want),
		"(dry run: nothing changed)",
	} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("attach does not say %q:\n%s", want, r.stderr)
		}
	}
	if level.want != overlay.ProfileGeneral && !strings.Contains(r.stderr, "the cost: no SYS_PTRACE (no strace, no gdb attach)") {
		t.Errorf("attach does not say what %s costs:\n%s", level.want, r.stderr)
	}
	ec := patchedContainer(t, r.stdout)
	checkUser(t, "auto's ephemeral container", ec.SecurityContext, target)
	checkProfile(t, "auto's ephemeral container", ec.SecurityContext, level.want)
	if level.next == "" {
		return
	}
	r = runAttach(t, "pod/"+target.name, "-n", ns, "--dry-run=server", "--profile", string(level.next))
	if r.code != 4 || !strings.Contains(r.stderr, fmt.Sprintf("Pod Security refused the %s profile", level.next)) ||
		!strings.Contains(r.stderr, fmt.Sprintf("the %s profile is admitted", level.want)) {
		t.Errorf("attach --profile %s under %s: exit %d, want 4, the refusal and %s admitted:\n%s", level.next, level.says, r.code, level.want, r.stderr)
	}
}

// TestAutoAttachPodViolates: a pod created before its namespace got the
// restricted label violates it; attach says so, and does not blame the
// profile (Pod Security checks the whole pod when an ephemeral container
// is added).
func TestAutoAttachPodViolates(t *testing.T) {
	ns := namespace(t, nil)
	pod := "apiVersion: v1\nkind: Pod\nmetadata:\n  name: old\nspec:\n  containers:\n    - name: app\n      image: registry.k8s.io/pause:3.10\n"
	if _, err := kube.CreateForReal(ns, []byte(pod)); err != nil {
		t.Fatal(err)
	}
	markRunning(t, ns, "old")
	_, stderr, err := kube.RunKubectl(nil, "label", "namespace", ns, overlay.EnforceLabel+"=restricted")
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("labelled restricted; kubectl warned: %s", strings.TrimSpace(string(stderr)))
	for _, args := range [][]string{{}, {"--profile", "general"}} {
		r := runAttach(t, append([]string{"pod/old", "-n", ns, "--dry-run=server"}, args...)...)
		if r.code != 4 || !strings.Contains(r.stderr, `the pod itself violates Pod Security "restricted:latest"`) ||
			!strings.Contains(r.stderr, "checks the whole pod when an ephemeral container is added") {
			t.Errorf("attach %q on a pod that violates its namespace's level: exit %d, want 4 and the pod blamed:\n%s", args, r.code, r.stderr)
		}
		if strings.Contains(r.stderr, "is admitted (checked by a server-side dry run)") {
			t.Errorf("attach %q names a profile as admitted:\n%s", args, r.stderr)
		}
	}
}

// TestAutoAttachUnknownLevel: a namespace without the label, and a user
// who may not read namespaces: attach says the level is not known and
// why (naming the permission), falls back to server-side dry runs, most
// capable first, and gets general (this API server's default level is
// privileged).
func TestAutoAttachUnknownLevel(t *testing.T) {
	ns := namespace(t, nil)
	pod := "apiVersion: v1\nkind: Pod\nmetadata:\n  name: app\nspec:\n  containers:\n    - name: app\n      image: registry.k8s.io/pause:3.10\n"
	if _, err := kube.CreateForReal(ns, []byte(pod)); err != nil {
		t.Fatal(err)
	}
	markRunning(t, ns, "app")
	if _, err := kube.CreateForReal(ns, []byte(`apiVersion: v1
kind: ServiceAccount
metadata: {name: debugger}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: debugger}
rules:
  - apiGroups: [""]
    resources: [pods]
    verbs: [get, list, watch]
  - apiGroups: [""]
    resources: [pods/ephemeralcontainers]
    verbs: [patch]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: debugger}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: debugger}
subjects: [{kind: ServiceAccount, name: debugger}]
`)); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		args []string
		why  string
	}{
		{name: "no label", why: "no pod-security.kubernetes.io/enforce label, so its Pod Security level is not known here"},
		{name: "namespaces not readable", args: []string{"--as", "system:serviceaccount:" + ns + ":debugger"},
			why: fmt.Sprintf("missing permission: get namespaces cluster-wide (to read the pod-security.kubernetes.io/enforce label of namespace %s)", ns)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := runAttach(t, append([]string{"pod/app", "-n", ns, "--dry-run=server"}, tc.args...)...)
			for _, want := range []string{tc.why, "falling back to server-side dry runs of the patch, the most capable profile first (general, baseline, restricted)",
				"the API server accepts debug; profile auto: general, admitted by a server-side dry run"} {
				if !strings.Contains(r.stderr, want) {
					t.Errorf("attach does not say %q", want)
				}
			}
			if r.code != 0 {
				t.Errorf("exit %d, want 0", r.code)
			}
		})
	}
	// Pod Security's level through --pod-security instead: no dry runs.
	r := runAttach(t, "pod/app", "-n", ns, "--dry-run=server", "--pod-security", "baseline")
	if r.code != 0 || !strings.Contains(r.stderr, "falling back to spec.podSecurity (--pod-security): Pod Security baseline:latest (spec.podSecurity): profile auto chooses baseline") {
		t.Errorf("--pod-security baseline: exit %d:\n%s", r.code, r.stderr)
	}
}

// attachRun is one run of the companion binary.
type attachRun struct {
	stdout, stderr string
	code           int
}

func runAttach(t *testing.T, args ...string) attachRun {
	t.Helper()
	cmd := exec.Command(companion, append([]string{"attach", "--kubeconfig", kube.Kubeconfig, "--cache-dir", filepath.Join(kube.Dir, "attach-cache")}, args...)...)
	res, err := testenv.Exec(cmd, nil)
	if err != nil {
		t.Fatalf("kubectl-debug_overlay: %v", err)
	}
	r := attachRun{stdout: string(res.Stdout), stderr: string(res.Stderr), code: res.Code}
	t.Logf("$ kubectl-debug_overlay attach %s  (exit %d)\nstderr:\n%s", strings.Join(args, " "), r.code, r.stderr)
	return r
}

// markRunning sets a pod's status as a kubelet would for a running, Ready
// pod: there is no kubelet here, and attach attaches to running pods only.
func markRunning(t *testing.T, ns, name string) {
	t.Helper()
	status := `{"status":{"phase":"Running","conditions":[{"type":"Ready","status":"True"}],"containerStatuses":[{"name":"app","image":"registry.k8s.io/pause:3.10","imageID":"","ready":true,"restartCount":0,"state":{"running":{}}}]}}`
	if _, _, err := kube.RunKubectl(nil, "-n", ns, "patch", "pod", name, "--subresource=status", "--type=merge", "-p", status); err != nil {
		t.Fatal(err)
	}
}

// podDoc returns the Pod document of a rendered stream.
func podDoc(t *testing.T, out []byte) []byte {
	t.Helper()
	for _, doc := range bytes.Split(out, []byte("\n---\n")) {
		if bytes.Contains(doc, []byte("\nkind: Pod\n")) || bytes.HasPrefix(doc, []byte("kind: Pod\n")) {
			return doc
		}
	}
	t.Fatalf("no Pod in the output:\n%s", out)
	return nil
}

// patchedContainer reads the ephemeral container of attach's -o json.
func patchedContainer(t *testing.T, stdout string) corev1.EphemeralContainer {
	t.Helper()
	for _, line := range strings.Split(stdout, "\n") {
		if !strings.HasPrefix(line, "{") {
			continue
		}
		var patch struct {
			Spec struct {
				EphemeralContainers []corev1.EphemeralContainer `json:"ephemeralContainers"`
			} `json:"spec"`
		}
		if err := json.Unmarshal([]byte(line), &patch); err != nil || len(patch.Spec.EphemeralContainers) != 1 {
			t.Fatalf("attach's patch %q: %v", line, err)
		}
		return patch.Spec.EphemeralContainers[0]
	}
	t.Fatalf("no patch on attach's stdout:\n%s", stdout)
	return corev1.EphemeralContainer{}
}

// checkUser checks the debug container's own user and group against the
// target's.
func checkUser(t *testing.T, what string, sc *corev1.SecurityContext, target autoTarget) {
	t.Helper()
	got := ptr.Deref(sc, corev1.SecurityContext{})
	uid, gid := got.RunAsUser, got.RunAsGroup
	if target.uid == nil && ptr.Deref(got.RunAsNonRoot, false) && uid != nil && *uid == 1000 {
		uid = nil // the pod's, written out by the non-root rule
	}
	if !ptr.Equal(uid, target.uid) || !ptr.Equal(gid, target.gid) {
		t.Errorf("%s runs as runAsUser %s, runAsGroup %s; want %s, %s", what, jsonOf(got.RunAsUser), jsonOf(got.RunAsGroup), jsonOf(target.uid), jsonOf(target.gid))
	}
}

// checkProfile checks that the debug container has the profile's marks:
// SYS_PTRACE for general, every capability dropped for restricted.
func checkProfile(t *testing.T, what string, sc *corev1.SecurityContext, want overlay.ProfileName) {
	t.Helper()
	got := ptr.Deref(sc, corev1.SecurityContext{})
	caps := ptr.Deref(got.Capabilities, corev1.Capabilities{})
	ptrace := len(caps.Add) == 1 && caps.Add[0] == "SYS_PTRACE"
	dropAll := len(caps.Drop) == 1 && caps.Drop[0] == "ALL"
	if ptrace != (want == overlay.ProfileGeneral) || dropAll != (want == overlay.ProfileRestricted) {
		t.Errorf("%s: capabilities %s, want profile %s's", what, jsonOf(got.Capabilities), want)
	}
}

func findContainer(cs []corev1.Container, name string) *corev1.Container {
	for i := range cs {
		if cs[i].Name == name {
			return &cs[i]
		}
	}
	return nil
}

func jsonOf(v any) string {
	data, _ := json.Marshal(v)
	return string(data)
}
