//go:build linux

package nodee2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/debug-overlay/debug-overlay/test/testenv"
)

// companionBin is kubectl-debug_overlay, beside the debug-overlay binary
// under test (make build builds both).
func companionBin() string { return filepath.Join(filepath.Dir(overlayBin), "kubectl-debug_overlay") }

// attachRun is one run of kubectl-debug_overlay attach.
type attachRun struct {
	stdout, stderr string
	code           int
	took           time.Duration
}

// attach runs `kubectl-debug_overlay attach` against the node as admin
// (more flags, such as --as, may follow) with stdin.
func attach(t *testing.T, stdin string, args ...string) attachRun {
	t.Helper()
	full := append([]string{"attach", "--kubeconfig", n.Kubeconfig}, args...)
	cmd := exec.Command(companionBin(), full...)
	cmd.Env = helmEnv(3) // Helm's and client-go's homes in the run's directory
	res, err := testenv.Exec(cmd, []byte(stdin))
	if err != nil {
		t.Fatalf("kubectl-debug_overlay %s: %v", strings.Join(args, " "), err)
	}
	r := attachRun{stdout: string(res.Stdout), stderr: string(res.Stderr), code: res.Code, took: res.Elapsed}
	t.Logf("$ kubectl-debug_overlay attach %s  (exit %d, %v)\nstdout:\n%sstderr:\n%s", strings.Join(args, " "), r.code, r.took.Round(time.Millisecond), r.stdout, r.stderr)
	return r
}

// mustAttach is attach that wants exit status 0.
func mustAttach(t *testing.T, stdin string, args ...string) attachRun {
	t.Helper()
	r := attach(t, stdin, args...)
	if r.code != 0 {
		t.Fatalf("attach %s: exit %d, want 0", strings.Join(args, " "), r.code)
	}
	return r
}

// appState is what must not change when a debug container is attached.
type appState struct {
	uid      string
	restarts int32
	started  time.Time
}

func stateOf(t *testing.T, p corev1.Pod, container string) appState {
	t.Helper()
	for _, s := range p.Status.ContainerStatuses {
		if s.Name == container {
			if s.State.Running == nil {
				t.Fatalf("container %s of pod %s is not running: %s", container, p.Name, podSummary(p))
			}
			return appState{uid: string(p.UID), restarts: s.RestartCount, started: s.State.Running.StartedAt.Time}
		}
	}
	t.Fatalf("pod %s has no container %s", p.Name, container)
	return appState{}
}

// ephemeral returns a pod's ephemeral container and its status.
func ephemeral(t *testing.T, p corev1.Pod, name string) (corev1.EphemeralContainer, corev1.ContainerStatus) {
	t.Helper()
	i := slices.IndexFunc(p.Spec.EphemeralContainers, func(c corev1.EphemeralContainer) bool { return c.Name == name })
	if i < 0 {
		t.Fatalf("pod %s has no ephemeral container %s (has %d)", p.Name, name, len(p.Spec.EphemeralContainers))
	}
	for _, s := range p.Status.EphemeralContainerStatuses {
		if s.Name == name {
			return p.Spec.EphemeralContainers[i], s
		}
	}
	return p.Spec.EphemeralContainers[i], corev1.ContainerStatus{}
}

// TestAttachGeth is live mode on the seed case: geth installed without the
// overlay, then `attach --release` gives its running pod the debug
// container from the release's own values, without a restart; the
// container sees geth's files and processes; a second attach reuses it;
// --dry-run=server changes nothing. It also measures attach against
// `kubectl debug` of the same image on the same pod, and the declarative
// toggle's rollout.
func TestAttachGeth(t *testing.T) {
	t.Parallel()
	a := gethAccount(t)
	ns := newNamespace(t, "attach-geth", nil)
	const rel = "geth"
	pod := rel + "-0"
	values := gethValues(t, a)
	start := time.Now()
	if _, err := helm(3, append([]string{"install", rel, gethChart, "-n", ns, "--wait", "--timeout", "3m"}, values...)...); err != nil {
		t.Fatalf("%v", err)
	}
	t.Logf("helm3 install --wait, no overlay: %v", time.Since(start).Round(time.Millisecond))
	before := getPod(t, ns, pod)
	if len(before.Spec.Containers) != 1 {
		t.Fatalf("the chart alone should give one container: %v", names(before.Spec.Containers))
	}
	was := stateOf(t, before, "geth")

	r := mustAttach(t, "", "--release", rel, "-n", ns)
	if want := fmt.Sprintf("kubectl exec -it -n %s %s -c debug -- ash\n", ns, pod); r.stdout != want {
		t.Errorf("stdout %q, want the exec line %q", r.stdout, want)
	}
	for _, want := range []string{
		"configuration from its values of debug-overlay",
		`volume "keystore" is not copied: a running pod's volumes cannot change`,
		"debug is running",
	} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr does not say %q", want)
		}
	}
	after := getPod(t, ns, pod)
	if now := stateOf(t, after, "geth"); now != was {
		t.Errorf("geth changed: %+v, was %+v (UID, restarts, start time)", now, was)
	} else {
		t.Logf("pod UID %s, geth restarts %d, started %s: unchanged", now.uid, now.restarts, now.started.Format(time.RFC3339))
	}
	ec, st := ephemeral(t, after, "debug")
	if ec.TargetContainerName != "geth" || st.State.Running == nil {
		t.Errorf("ephemeral container debug: target %q, state %+v; want geth, running", ec.TargetContainerName, st.State)
	}
	// geth's mounts, at the same paths: the keystore Secret (not the copy:
	// the pod has none) and the data emptyDir.
	var mounts []string
	for _, m := range ec.VolumeMounts {
		if !strings.HasPrefix(m.Name, "kube-api-access-") {
			mounts = append(mounts, m.Name+":"+m.MountPath)
		}
	}
	if want := []string{"keystore:/keystore", "data:/data"}; !slices.Equal(mounts, want) {
		t.Errorf("debug mounts %v, want %v", mounts, want)
	}
	keyFile := filepath.Base(a.keyFile)
	ls := execIn(t, ns, pod, "debug", "ls", "/keystore", "/data")
	t.Logf("ls /keystore /data in the debug container:\n%s", ls)
	if !strings.Contains(ls, keyFile) || !strings.Contains(ls, "geth") {
		t.Errorf("the debug container does not see geth's files: want %s in /keystore and geth/ in /data", keyFile)
	}
	// geth is still filling its datadir: what it listed first, the debug
	// container lists after it, and perhaps more.
	inGeth := strings.Fields(execIn(t, ns, pod, "geth", "ls", "/data/geth"))
	inDebug := strings.Fields(execIn(t, ns, pod, "debug", "ls", "/data/geth"))
	for _, f := range inGeth {
		if !slices.Contains(inDebug, f) {
			t.Errorf("/data/geth: geth lists %v, the debug container after it %v: it misses %s", inGeth, inDebug, f)
		}
	}
	ps := execIn(t, ns, pod, "debug", "ps", "-o", "pid,args")
	t.Logf("ps in the debug container:\n%s", ps)
	if !strings.Contains(ps, "geth --keystore=/keystore") {
		t.Errorf("ps in the debug container does not show geth: targetContainerName is not in effect")
	}

	// Again: the running container is reused, nothing is added.
	r = mustAttach(t, "", "--release", rel, "-n", ns)
	if !strings.Contains(r.stderr, "reused") {
		t.Errorf("a second attach does not say it reused the container")
	}
	if got := len(getPod(t, ns, pod).Spec.EphemeralContainers); got != 1 {
		t.Errorf("after a second attach the pod has %d ephemeral containers, want 1", got)
	}

	// --dry-run=server: the API server checks the patch, nothing changes.
	r = mustAttach(t, "", "--release", rel, "-n", ns, "--name", "dry", "--dry-run=server", "-o", "yaml")
	if !strings.Contains(r.stdout, "ephemeralContainers:") || !strings.Contains(r.stdout, "name: dry") || !strings.Contains(r.stderr, "dry run: nothing changed") {
		t.Errorf("--dry-run=server -o yaml does not show the patch and say that nothing changed")
	}
	dry := getPod(t, ns, pod)
	if got := len(dry.Spec.EphemeralContainers); got != 1 {
		t.Errorf("after --dry-run=server the pod has %d ephemeral containers, want 1", got)
	}

	// The same binary as a kubectl plugin (kubectl-debug_overlay on PATH),
	// and through debug-overlay attach, which hands over to it.
	for _, via := range [][]string{
		{n.Cluster.Kubectl, "debug-overlay", "attach"},
		{overlayBin, "attach"},
	} {
		cmd := exec.Command(via[0], append(via[1:], "--kubeconfig", n.Kubeconfig, "--release", rel, "-n", ns, "--name", "viaplugin", "--dry-run=client", "-o", "yaml")...)
		cmd.Env = append(helmEnv(3), "PATH="+filepath.Dir(companionBin())+":"+os.Getenv("PATH"))
		out, err := output(cmd)
		if err != nil || !strings.Contains(out, "name: viaplugin") || !strings.Contains(out, "targetContainerName: geth") {
			t.Errorf("%s: %v; stdout:\n%s", strings.Join(via, " "), err, out)
		}
	}

	// --exec runs a command in the debug container through attach's own
	// exec; KIND/NAME names the workload.
	r = mustAttach(t, "", "statefulset/"+rel, "-n", ns, "--exec", "--", "sh", "-c", "ls /keystore; id -u")
	if !strings.Contains(r.stdout, keyFile) {
		t.Errorf("--exec: stdout %q does not list the key file", r.stdout)
	}
	if r = attach(t, "", "statefulset/"+rel, "-n", ns, "--exec", "--", "sh", "-c", "exit 7"); r.code != 7 {
		t.Errorf("--exec of a command that exits 7: exit %d, want 7", r.code)
	}
	if now := stateOf(t, getPod(t, ns, pod), "geth"); now != was {
		t.Errorf("geth changed after all the attaches: %+v, was %+v", now, was)
	}

	t.Run("timings", func(t *testing.T) { attachTimings(t, ns, rel, pod, values) })
}

// attachTimings measures, on the geth pod, the time to a shell that ran a
// command: attach (a new container each time, --exec with the shell
// reading `exit` from stdin) against `kubectl debug -i` of the same image
// targeting geth; then the declarative toggle, `helm upgrade --wait`
// with the post-renderer until the new pod is Ready.
func attachTimings(t *testing.T, ns, rel, pod string, values []string) {
	const runs = 7
	var ours, theirs, noExec, execOnly, start0 []time.Duration
	for i := range runs {
		// Where attach's time goes: the process alone, attach without the
		// shell, kubectl exec into the running container.
		r := mustAttach(t, "", "statefulset/"+rel, "-n", ns, "--name", fmt.Sprintf("split-%d", i))
		noExec = append(noExec, r.took)
		begin := time.Now()
		if _, err := n.Kubectl([]byte("exit\n"), "-n", ns, "exec", "-i", pod, "-c", fmt.Sprintf("split-%d", i), "--", "ash"); err != nil {
			t.Fatal(err)
		}
		execOnly = append(execOnly, time.Since(begin))
		begin = time.Now()
		if out, err := exec.Command(companionBin(), "version").CombinedOutput(); err != nil {
			t.Fatalf("%v: %s", err, out)
		}
		start0 = append(start0, time.Since(begin))
	}
	for i := range runs {
		r := mustAttach(t, "exit\n", "statefulset/"+rel, "-n", ns, "--name", fmt.Sprintf("timed-%d", i), "--exec")
		ours = append(ours, r.took)
		start := time.Now()
		_, stderr, err := n.RunKubectl([]byte("exit\n"), "-n", ns, "debug", "-i", pod, "--image", "alpine:3.20", "--image-pull-policy", "IfNotPresent",
			"--target", "geth", "-c", fmt.Sprintf("kubectl-%d", i), "--", "sh")
		if err != nil {
			t.Fatalf("kubectl debug: %v", err)
		}
		theirs = append(theirs, time.Since(start))
		t.Logf("kubectl debug -i: %v; stderr: %s", theirs[i].Round(time.Millisecond), strings.TrimSpace(string(stderr)))
	}
	if now := getPod(t, ns, pod); len(now.Spec.EphemeralContainers) != 1+3*runs {
		t.Errorf("the pod has %d ephemeral containers, want %d", len(now.Spec.EphemeralContainers), 1+3*runs)
	}

	start := time.Now()
	if _, err := helm(3, append([]string{"upgrade", rel, gethChart, "-n", ns, "--post-renderer", overlayBin,
		"--set", "debug-overlay.enabled=true", "--wait", "--timeout", "3m"}, values...)...); err != nil {
		t.Fatalf("%v", err)
	}
	toggle := time.Since(start)
	checkOverlaid(t, getPod(t, ns, pod))
	t.Logf("TIMING attach --exec (new container, shell ran `exit`): median %v, runs %v", median(ours), rounded(ours))
	t.Logf("TIMING kubectl debug -i, same image and pod: median %v, runs %v", median(theirs), rounded(theirs))
	t.Logf("TIMING attach without --exec (to running): median %v, runs %v; kubectl exec -i ash into it: median %v; kubectl-debug_overlay version (process start): median %v",
		median(noExec), rounded(noExec), median(execOnly), median(start0))
	t.Logf("TIMING declarative toggle, helm upgrade --wait until the new pod is Ready: %v", toggle.Round(time.Millisecond))
	if f := os.Getenv("ATTACH_TIMINGS"); f != "" {
		line := fmt.Sprintf("attach %v %v\nkubectl-debug %v %v\ntoggle %v\nattach-no-exec %v %v\nkubectl-exec %v\nstart %v\n",
			median(ours), rounded(ours), median(theirs), rounded(theirs), toggle.Round(time.Millisecond), median(noExec), rounded(noExec), median(execOnly), median(start0))
		if err := os.WriteFile(f, []byte(line), 0o644); err != nil {
			t.Error(err)
		}
	}
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[len(s)/2].Round(time.Millisecond)
}

func rounded(ds []time.Duration) []time.Duration {
	out := make([]time.Duration, len(ds))
	for i, d := range ds {
		out[i] = d.Round(time.Millisecond)
	}
	return out
}

// replicasManifest is a Deployment with three replicas whose app mounts a
// ConfigMap file by subPath, which an ephemeral container cannot.
const replicasManifest = `apiVersion: v1
kind: ConfigMap
metadata:
  name: three-config
data:
  app.conf: "replicas: 3\n"
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: three
spec:
  replicas: 3
  selector:
    matchLabels: {app: three}
  template:
    metadata:
      labels: {app: three, debug-overlay-e2e: replicas}
    spec:
      containers:
        - name: app
          image: busybox:1.36
          command: [sh, -c, 'trap "exit 0" TERM; while true; do sleep 3600 & wait $!; done']
          volumeMounts:
            - {name: config, mountPath: /etc/app/app.conf, subPath: app.conf}
      volumes:
        - name: config
          configMap: {name: three-config}
`

// TestAttachReplicas: from rendered manifests (-f -), attach gives one
// pod of a Deployment's three the debug container (the newest Ready), and
// leaves the other two alone, saying so; --all-pods gives it to all
// three. The subPath mount is given whole under /debug-overlay/volumes,
// as the note says.
func TestAttachReplicas(t *testing.T) {
	t.Parallel()
	ns := newNamespace(t, "attach-replicas", nil)
	kubectl(t, []byte(replicasManifest), "-n", ns, "apply", "-f", "-")
	waitReadyPods(t, ns, "app=three", 3)
	patched := func() (with, without []string) {
		for _, p := range podsOf(t, ns, "app=three") {
			if len(p.Spec.EphemeralContainers) > 0 {
				with = append(with, p.Name)
			} else {
				without = append(without, p.Name)
			}
		}
		return with, without
	}
	r := mustAttach(t, replicasManifest, "-f", "-", "-n", ns, "--preset", "busybox")
	if lines := strings.Count(r.stdout, "kubectl exec"); lines != 1 {
		t.Errorf("%d exec lines, want one: one pod", lines)
	}
	with, without := patched()
	if len(with) != 1 || len(without) != 2 {
		t.Fatalf("pods with a debug container %v, without %v: want 1 and 2", with, without)
	}
	for _, want := range []string{"deployment/three in namespace " + ns + ": 3 pods; " + with[0] + ", the newest Ready one", "2 others left alone (--all-pods"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("attach does not say %q", want)
		}
	}
	if !strings.Contains(r.stderr, `mounts subPath "app.conf" of volume "config" at /etc/app/app.conf`) {
		t.Errorf("no note on the subPath mount")
	}
	t.Logf("default: %s patched, %v untouched", with[0], without)

	r = mustAttach(t, replicasManifest, "-f", "-", "-n", ns, "--preset", "busybox", "--all-pods")
	if lines := strings.Count(r.stdout, "kubectl exec"); lines != 3 {
		t.Errorf("--all-pods: %d exec lines, want 3", lines)
	}
	if !strings.Contains(r.stderr, "3 pods, all of them (--all-pods)") || !strings.Contains(r.stderr, "from an earlier attach, is running: reused") {
		t.Errorf("--all-pods does not say it takes all three, and reuses the first's container")
	}
	if with, without = patched(); len(with) != 3 || len(without) != 0 {
		t.Errorf("--all-pods: pods with a debug container %v, without %v: want all 3", with, without)
	}
	for _, p := range podsOf(t, ns, "app=three") {
		ec, st := ephemeral(t, p, "debug")
		if st.State.Running == nil || ec.TargetContainerName != "app" {
			t.Errorf("pod %s: debug %+v, target %q", p.Name, st.State, ec.TargetContainerName)
		}
		if got := execIn(t, ns, p.Name, "debug", "cat", "/debug-overlay/volumes/config/app.conf"); got != "replicas: 3\n" {
			t.Errorf("pod %s: the whole ConfigMap volume in the debug container holds %q in app.conf", p.Name, got)
		}
		if len(p.Spec.EphemeralContainers) != 1 {
			t.Errorf("pod %s has %d ephemeral containers, want 1", p.Name, len(p.Spec.EphemeralContainers))
		}
	}
}

// TestAttachRestricted: under Pod Security "restricted", the general
// profile (SYS_PTRACE) is refused with the admission message and the
// profile that would pass (exit 4); the default, auto, is admitted.
func TestAttachRestricted(t *testing.T) {
	t.Parallel()
	ns := newNamespace(t, "attach-restricted", map[string]string{
		"pod-security.kubernetes.io/enforce": "restricted",
		"pod-security.kubernetes.io/warn":    "restricted",
	})
	manifest := strings.ReplaceAll(webManifest, "NAME", "web")
	kubectl(t, []byte(manifest), "-n", ns, "apply", "-f", "-")
	waitReadyPods(t, ns, "app=web", 1)
	r := attach(t, "", "deployment/web", "-n", ns, "--profile", "general")
	if r.code != 4 {
		t.Errorf("general profile under restricted: exit %d, want 4 (refused)", r.code)
	}
	for _, want := range []string{"Pod Security refused the general profile", "violates PodSecurity", "the restricted profile is admitted", "--profile restricted"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("the refusal does not say %q", want)
		}
	}
	p := podsOf(t, ns, "app=web")[0]
	if len(p.Spec.EphemeralContainers) != 0 {
		t.Errorf("a refused attach left %d ephemeral containers (the dry runs must not add any)", len(p.Spec.EphemeralContainers))
	}
	mustAttach(t, "", "deployment/web", "-n", ns)
	p = podsOf(t, ns, "app=web")[0]
	if _, st := ephemeral(t, p, "debug"); st.State.Running == nil {
		t.Errorf("auto (restricted): debug is not running: %+v", st.State)
	}
	if id := strings.TrimSpace(execIn(t, ns, p.Name, "debug", "id", "-u")); id != "1000" {
		t.Errorf("restricted profile: the debug container runs as %q, want the app's user 1000", id)
	}
	if conf := execIn(t, ns, p.Name, "debug", "cat", "/etc/app/app.conf"); conf != "listen 8080\n" {
		t.Errorf("restricted profile: /etc/app/app.conf reads %q", conf)
	}
}

// TestAttachPermissions: a ServiceAccount that may read pods and
// Deployments but not patch pods/ephemeralcontainers gets a message that
// names that permission and the namespace (exit 4); without access to
// Secrets, --release names that.
func TestAttachPermissions(t *testing.T) {
	t.Parallel()
	ns := newNamespace(t, "attach-rbac", nil)
	manifest := strings.ReplaceAll(replicasManifest, "replicas: 3\n  selector", "replicas: 1\n  selector")
	kubectl(t, []byte(manifest), "-n", ns, "apply", "-f", "-")
	kubectl(t, []byte(`apiVersion: v1
kind: ServiceAccount
metadata: {name: viewer}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: viewer}
rules:
  - apiGroups: [""]
    resources: [pods]
    verbs: [get, list, watch]
  - apiGroups: [apps]
    resources: [deployments, replicasets]
    verbs: [get, list]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: viewer}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: viewer}
subjects: [{kind: ServiceAccount, name: viewer}]
`), "-n", ns, "apply", "-f", "-")
	waitReadyPods(t, ns, "app=three", 1)
	as := "system:serviceaccount:" + ns + ":viewer"
	r := attach(t, "", "deployment/three", "-n", ns, "--as", as)
	if r.code != 4 {
		t.Errorf("without the permission: exit %d, want 4", r.code)
	}
	if want := fmt.Sprintf(`missing permission: patch pods/ephemeralcontainers in namespace %q`, ns); !strings.Contains(r.stderr, want) {
		t.Errorf("the error does not say %q", want)
	}
	r = attach(t, "", "--release", "any", "-n", ns, "--as", as)
	if want := fmt.Sprintf(`missing permission: list secrets in namespace %q (Helm keeps its releases there)`, ns); r.code != 4 || !strings.Contains(r.stderr, want) {
		t.Errorf("--release without Secrets: exit %d, want 4 and %q", r.code, want)
	}
	if p := podsOf(t, ns, "app=three")[0]; len(p.Spec.EphemeralContainers) != 0 {
		t.Errorf("the pod got %d ephemeral containers", len(p.Spec.EphemeralContainers))
	}
}

// waitReadyPods waits until the pods of a label selector are n, all Ready.
func waitReadyPods(t *testing.T, ns, selector string, n int) {
	t.Helper()
	waitFor(t, 2*time.Minute, fmt.Sprintf("%d Ready pods %s", n, selector), func() (bool, string) {
		pods := podsOf(t, ns, selector)
		seen := []string{fmt.Sprintf("%d pods", len(pods))}
		ok := 0
		for _, p := range pods {
			if r, s := ready(p); r {
				ok++
			} else {
				seen = append(seen, s)
			}
		}
		return ok == n && len(pods) == n, strings.Join(seen, "; ")
	})
}
