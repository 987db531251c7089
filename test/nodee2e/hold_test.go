//go:build linux

package nodee2e

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/debug-overlay/debug-overlay/generator/overlay"
	"github.com/debug-overlay/debug-overlay/test/cluster"
)

// The tools and holds of issue 26 on the real node, with the shell-less
// app image of hack/images (debug-overlay.test/app: one static program and
// its own files, no shell) in a chart of one Deployment that depends on the
// toggle chart:
//
//   - TestToolsShellWithoutShell: an image with no shell gets one through
//     the injected tools (kubectl exec -c app), which sees the app's own
//     files and environment, and PATH only in that shell;
//   - TestHoldCrashLoop: the app's command fails at start, the original
//     crash-loops; twin mode with hold gives a twin that runs, the original
//     untouched (same UID, restarts climbing), and the recorded command,
//     run in the held container, prints the original's error; toggled off,
//     the twin goes; attach on the crash-looping original adds a debug
//     container that runs (no targeting), says so, shows the last
//     termination and the twin-hold command, and leaves no broken one;
//   - TestHoldInitContainer: a failing init container held: the twin's pod
//     stays in Init, the program runs by hand in it, the release lets the
//     pod go on; toggled off, the twin goes.

// appImage is the shell-less image.
const appImage = "debug-overlay.test/app:v1"

// holdChart writes the chart of the app: one Deployment "app" whose
// container runs `/app serve --config $(CONFIG_FILE)` (values.config), with
// an init container `/app migrate --db $(DB_HOST)` when values.initDB is
// set, and the toggle chart as a dependency.
func holdChart(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "app")
	files := map[string]string{
		"Chart.yaml": fmt.Sprintf(`apiVersion: v2
name: app
version: 0.1.0
dependencies:
  - name: debug-overlay
    version: 0.1.0
    repository: file://%s
`, filepath.Join(srcDir, "charts", "debug-overlay")),
		"values.yaml": "config: /etc/app/app.conf\ninitDB: \"\"\n",
		"templates/deployment.yaml": `apiVersion: apps/v1
kind: Deployment
metadata:
  name: app
  namespace: {{ .Release.Namespace }}
  labels:
    app: app
spec:
  replicas: 1
  selector:
    matchLabels:
      app: app
  template:
    metadata:
      labels:
        app: app
    spec:
      terminationGracePeriodSeconds: 5
      {{- if .Values.initDB }}
      initContainers:
        - name: migrate
          image: ` + appImage + `
          command: [/app, migrate, --db, $(DB_HOST)]
          env:
            - name: DB_HOST
              value: {{ .Values.initDB | quote }}
      {{- end }}
      containers:
        - name: app
          image: ` + appImage + `
          command: [/app, serve, --config, $(CONFIG_FILE)]
          env:
            - name: CONFIG_FILE
              value: {{ .Values.config | quote }}
            - name: APP_GREETING
              value: hello-from-the-app
          readinessProbe:
            tcpSocket:
              port: 8080
`,
	}
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := run3("dependency", "build", dir); err != nil {
		t.Fatalf("%v", err)
	}
	return dir
}

// kubectlRun runs kubectl and returns stdout, stderr and the exit code,
// which may be anything.
func kubectlRun(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	out, errOut, err := n.RunKubectl(nil, args...)
	code := 0
	if ke := (*cluster.KubectlError)(nil); errors.As(err, &ke) {
		code = ke.ExitCode
	} else if err != nil {
		t.Fatalf("kubectl %s: %v", strings.Join(args, " "), err)
	}
	t.Logf("$ kubectl %s  (exit %d)\nstdout:\n%sstderr:\n%s", strings.Join(args, " "), code, out, errOut)
	return string(out), string(errOut), code
}

// execLine finds, in explain's output, the kubectl line after prefix, and
// returns its arguments without `kubectl` and `-it` (no terminal here).
func execLine(t *testing.T, explain, prefix string) []string {
	t.Helper()
	for _, l := range strings.Split(explain, "\n") {
		l = strings.TrimSpace(l)
		if rest, ok := strings.CutPrefix(l, prefix); ok {
			f := strings.Fields(rest)
			if len(f) < 2 || f[0] != "kubectl" {
				t.Fatalf("explain: %q is no kubectl line", l)
			}
			return slices.DeleteFunc(f[1:], func(s string) bool { return s == "-it" })
		}
	}
	t.Fatalf("explain says nothing that starts with %q:\n%s", prefix, explain)
	return nil
}

// explainChart renders the chart with values and has debug-overlay explain
// it.
func explainChart(t *testing.T, chart, ns string, values ...string) string {
	t.Helper()
	manifest, err := run3(append([]string{"template", "app", chart, "-n", ns}, values...)...)
	if err != nil {
		t.Fatalf("%v", err)
	}
	out := render(t, manifest, "explain")
	t.Logf("debug-overlay explain:\n%s", out)
	return out
}

// containerStatus returns the status of a container (or init container).
func containerStatus(p corev1.Pod, name string) (corev1.ContainerStatus, bool) {
	for _, s := range append(slices.Clone(p.Status.InitContainerStatuses), p.Status.ContainerStatuses...) {
		if s.Name == name {
			return s, true
		}
	}
	return corev1.ContainerStatus{}, false
}

// onlyPod returns the one pod of a selector, waiting for there to be one.
func onlyPod(t *testing.T, ns, selector string) corev1.Pod {
	t.Helper()
	var p corev1.Pod
	waitFor(t, 2*time.Minute, "one pod "+selector, func() (bool, string) {
		pods := podsOf(t, ns, selector)
		pods = slices.DeleteFunc(pods, func(p corev1.Pod) bool { return p.DeletionTimestamp != nil })
		if len(pods) == 1 {
			p = pods[0]
			return true, ""
		}
		return false, fmt.Sprintf("%d pods: %s", len(pods), podSummaries(pods))
	})
	return p
}

// TestToolsShellWithoutShell: (a) of issue 26.
func TestToolsShellWithoutShell(t *testing.T) {
	t.Parallel()
	ns := newNamespace(t, "tools-shell", nil)
	chart := holdChart(t)
	values := []string{"--set", "debug-overlay.enabled=true", "--set", "debug-overlay.tools.inject=true"}
	start := time.Now()
	if _, err := run3(append([]string{"install", "app", chart, "-n", ns, "--post-renderer", overlayBin, "--wait", "--timeout", "3m"}, values...)...); err != nil {
		t.Fatalf("%v", err)
	}
	t.Logf("helm3 install --wait with the tools: %v", time.Since(start).Round(time.Millisecond))
	p := onlyPod(t, ns, "app=app")
	if st, ok := containerStatus(p, overlay.ToolsContainerName); !ok || st.State.Terminated == nil || st.State.Terminated.ExitCode != 0 {
		t.Fatalf("the tools init container: %+v", st.State)
	} else {
		tt := st.State.Terminated
		t.Logf("the tools init container ran %v", tt.FinishedAt.Sub(tt.StartedAt.Time))
	}

	// The image has no shell: kubectl exec of sh fails.
	if _, stderr, code := kubectlRun(t, "-n", ns, "exec", p.Name, "-c", "app", "--", "sh", "-c", "true"); code == 0 {
		t.Fatal("sh runs in the app image: the test image is meant to have no shell")
	} else if !strings.Contains(stderr, "executable file not found") && !strings.Contains(stderr, "no such file") {
		t.Errorf("exec of sh in the app image: exit %d, stderr does not say sh is missing", code)
	}

	explain := explainChart(t, chart, ns, values...)
	args := execLine(t, explain, "shell in app itself: ")
	if want := []string{"exec", "-n", ns, "deployment/app", "-c", "app", "--", overlay.ToolsShell}; !slices.Equal(args, want) {
		t.Errorf("explain's exec line: %q, want %q", args, want)
	}
	stdout, _, code := kubectlRun(t, append(args, "-c",
		`echo "PATH=$PATH"; echo "greeting=$APP_GREETING"; cat /etc/app/motd; ls /; echo "cwd=$(pwd)"; id -u`)...)
	if code != 0 {
		t.Fatalf("the shell through the tools: exit %d", code)
	}
	for _, want := range []string{
		"PATH=" + overlay.ToolsPath + ":/usr/local/sbin:", // the image's PATH after the tools
		"greeting=hello-from-the-app",                     // the app's environment
		"this file is the app image's own",                // the app's own files
		"app\ndebug-overlay\ndev\netc\n",                  // its root: /app, no /bin
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("the shell in the app container did not print %q", want)
		}
	}
	// PATH stays out of the container's own environment.
	env, _, code := kubectlRun(t, "-n", ns, "exec", p.Name, "-c", "app", "--", overlay.ToolsPath+"/env")
	if code != 0 || strings.Contains(env, "PATH="+overlay.ToolsPath) || !strings.Contains(env, "APP_GREETING=hello-from-the-app") {
		t.Errorf("the container's environment (exit %d) has the tools in PATH, or not the app's variables:\n%s", code, env)
	}
	if c := container(t, p.Spec, "app"); slices.ContainsFunc(c.Env, func(e corev1.EnvVar) bool { return e.Name == "PATH" }) {
		t.Errorf("the app container's spec sets PATH: %v", c.Env)
	}
	// Read only.
	if _, _, code := kubectlRun(t, "-n", ns, "exec", p.Name, "-c", "app", "--", overlay.ToolsPath+"/touch", overlay.ToolsPath+"/x"); code == 0 {
		t.Error("the tools are writable in the app container")
	}
}

// TestHoldCrashLoop: (b) of issue 26, and attach on the crash-looping pod.
func TestHoldCrashLoop(t *testing.T) {
	t.Parallel()
	ns := newNamespace(t, "hold-crashloop", nil)
	chart := holdChart(t)
	const missing = "/etc/app/missing.conf"
	base := []string{"--set", "config=" + missing}
	upgrade := func(verb string, values ...string) {
		t.Helper()
		start := time.Now()
		args := append(append([]string{verb, "app", chart, "-n", ns, "--post-renderer", overlayBin}, base...), values...)
		if _, err := run3(args...); err != nil {
			t.Fatalf("%v", err)
		}
		t.Logf("helm3 %s %s: %v", verb, strings.Join(values, " "), time.Since(start).Round(time.Millisecond))
	}
	upgrade("install")
	crashing := func(p corev1.Pod) (bool, string) {
		st, _ := containerStatus(p, "app")
		return st.RestartCount >= 1 && st.State.Waiting != nil && st.State.Waiting.Reason == "CrashLoopBackOff", podSummary(p)
	}
	var orig corev1.Pod
	waitFor(t, 3*time.Minute, "the original in CrashLoopBackOff", func() (bool, string) {
		orig = onlyPod(t, ns, "app=app")
		return crashing(orig)
	})
	origLog, _, _ := kubectlRun(t, "-n", ns, "logs", orig.Name, "-c", "app", "--previous")
	wantErr := "app: reading the configuration: open " + missing + ": no such file or directory"
	if !strings.Contains(origLog, wantErr) {
		t.Fatalf("the original's log does not say %q", wantErr)
	}
	before, _ := containerStatus(orig, "app")

	hold := []string{"--set", "debug-overlay.enabled=true", "--set", "debug-overlay.mode=twin", "--set", "debug-overlay.twin.hold=true"}
	upgrade("upgrade", hold...)
	waitPodReady(t, ns, onlyPod(t, ns, overlay.TwinLabel+"=app-debug").Name, 3*time.Minute)
	twin := onlyPod(t, ns, overlay.TwinLabel+"=app-debug")
	t.Logf("twin: %s", podSummary(twin))
	if twin.Status.Phase != corev1.PodRunning {
		t.Errorf("the twin's pod is %s, want Running", twin.Status.Phase)
	}
	waitFor(t, 4*time.Minute, "the original to restart again", func() (bool, string) {
		p := getPod(t, ns, orig.Name)
		st, _ := containerStatus(p, "app")
		return st.RestartCount > before.RestartCount, podSummary(p)
	})
	now := getPod(t, ns, orig.Name)
	if now.UID != orig.UID {
		t.Errorf("the original pod was replaced: UID %s, then %s", orig.UID, now.UID)
	}
	after, _ := containerStatus(now, "app")
	t.Logf("the original: UID %s, restarts %d, then %d", now.UID, before.RestartCount, after.RestartCount)
	if c := container(t, now.Spec, "app"); !slices.Equal(c.Command, []string{"/app", "serve", "--config", "$(CONFIG_FILE)"}) || len(now.Spec.InitContainers) != 0 {
		t.Errorf("the original's pod changed: command %q, init containers %v", c.Command, names(now.Spec.InitContainers))
	}

	explain := explainChart(t, chart, ns, append(base, hold...)...)
	args := execLine(t, explain, "shell: ")
	if want := []string{"exec", "-n", ns, "deployment/app-debug", "-c", "app", "--", overlay.ToolsShell}; !slices.Equal(args, want) {
		t.Errorf("explain's exec line of the held container: %q, want %q", args, want)
	}
	if !strings.Contains(explain, `run it by hand there: eval "$`+overlay.HoldEnv+`", which is: '/app' 'serve' '--config' "${CONFIG_FILE}"`) {
		t.Errorf("explain does not give the held program as a shell line")
	}
	_, stderr, code := kubectlRun(t, append(args, "-c", `eval "$`+overlay.HoldEnv+`"`)...)
	if code != 1 || !strings.Contains(stderr, wantErr) {
		t.Errorf("the recorded command in the held container: exit %d, stderr does not say %q as the original's log does", code, wantErr)
	}
	// Run by hand with another configuration, it serves.
	out, _, code := kubectlRun(t, append(args, "-c", `CONFIG_FILE=/etc/app/app.conf; eval "timeout -s INT 2 $`+overlay.HoldEnv+`"; echo "exit $?"`)...)
	if code != 0 || !strings.Contains(out, "app: serving with /etc/app/app.conf") {
		t.Errorf("the program with another configuration: exit %d, output %q", code, out)
	}

	upgrade("upgrade", "--set", "debug-overlay.enabled=false")
	waitFor(t, 2*time.Minute, "the twin's pod to go", func() (bool, string) {
		pods := podsOf(t, ns, overlay.TwinLabel)
		return len(pods) == 0, podSummaries(pods)
	})
	if out, err := n.Kubectl(nil, "-n", ns, "get", "deployment", "app-debug"); err == nil {
		t.Errorf("toggled off, the twin Deployment is still there:\n%s", out)
	}
	if p := getPod(t, ns, orig.Name); p.UID != orig.UID {
		t.Errorf("the original pod was replaced by the toggle: UID %s, then %s", orig.UID, p.UID)
	}

	// attach on the crash-looping original: right after the kubelet has
	// put it back into its backoff.
	waitFor(t, 4*time.Minute, "the original waiting in CrashLoopBackOff", func() (bool, string) { return crashing(getPod(t, ns, orig.Name)) })
	r := mustAttach(t, "", "--release", "app", "-n", ns)
	for _, want := range []string{
		"container app is not running (waiting: CrashLoopBackOff",
		"the debug container goes in without process targeting",
		"app last ended at",
		"exit code 1 (Error)",
		wantErr,
		"to run app's program by hand, hold it in a twin: helm upgrade app <chart> -n " + ns + " --reuse-values --post-renderer debug-overlay --set debug-overlay.enabled=true,debug-overlay.mode=twin,debug-overlay.twin.hold=true",
		"targeting no container",
		"debug is running",
	} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("attach does not say %q", want)
		}
	}
	p := getPod(t, ns, orig.Name)
	if len(p.Spec.EphemeralContainers) != 1 {
		t.Fatalf("the pod has %d ephemeral containers, want 1", len(p.Spec.EphemeralContainers))
	}
	ec, st := ephemeral(t, p, "debug")
	if ec.TargetContainerName != "" || st.State.Running == nil {
		t.Errorf("ephemeral container debug: target %q, state %+v; want no target, running", ec.TargetContainerName, st.State)
	}
	if got := execIn(t, ns, p.Name, "debug", "cat", "/proc/1/cmdline"); got == "" {
		t.Error("the debug container runs nothing")
	}
	// A second attach reuses it, and adds no broken one either.
	waitFor(t, 4*time.Minute, "the original waiting in CrashLoopBackOff", func() (bool, string) { return crashing(getPod(t, ns, orig.Name)) })
	mustAttach(t, "", "--release", "app", "-n", ns)
	if p := getPod(t, ns, orig.Name); len(p.Spec.EphemeralContainers) > 2 {
		t.Errorf("after a second attach the pod has %d ephemeral containers", len(p.Spec.EphemeralContainers))
	} else {
		for _, s := range p.Status.EphemeralContainerStatuses {
			if s.State.Waiting != nil && s.State.Waiting.Reason != "" {
				t.Errorf("ephemeral container %s is waiting: %s %s", s.Name, s.State.Waiting.Reason, s.State.Waiting.Message)
			}
		}
	}
}

// TestHoldInitContainer: (c) of issue 26.
func TestHoldInitContainer(t *testing.T) {
	t.Parallel()
	ns := newNamespace(t, "hold-init", nil)
	chart := holdChart(t)
	base := []string{"--set", "initDB=db.invalid"}
	upgrade := func(verb string, values ...string) {
		t.Helper()
		args := append(append([]string{verb, "app", chart, "-n", ns, "--post-renderer", overlayBin}, base...), values...)
		if _, err := run3(args...); err != nil {
			t.Fatalf("%v", err)
		}
	}
	upgrade("install")
	var orig corev1.Pod
	waitFor(t, 3*time.Minute, "the original's init container failing", func() (bool, string) {
		orig = onlyPod(t, ns, "app=app")
		st, _ := containerStatus(orig, "migrate")
		return st.RestartCount >= 1, podSummary(orig)
	})

	hold := []string{"--set", "debug-overlay.enabled=true", "--set", "debug-overlay.mode=twin", "--set", "debug-overlay.twin.holdInit[0]=migrate"}
	upgrade("upgrade", hold...)
	var twin corev1.Pod
	waitFor(t, 3*time.Minute, "the twin's held init container running", func() (bool, string) {
		twin = onlyPod(t, ns, overlay.TwinLabel+"=app-debug")
		st, _ := containerStatus(twin, "migrate")
		return st.State.Running != nil, podSummary(twin)
	})
	// It stays so.
	time.Sleep(5 * time.Second)
	twin = getPod(t, ns, twin.Name)
	if twin.Status.Phase != corev1.PodPending {
		t.Errorf("the twin's pod is %s, want Pending (in its Init phase)", twin.Status.Phase)
	}
	if st, _ := containerStatus(twin, "app"); st.State.Running != nil {
		t.Errorf("the twin's app container runs while migrate is held")
	}
	if got, want := names(twin.Spec.InitContainers), []string{overlay.ToolsContainerName, "debug", "migrate"}; !slices.Equal(got, want) {
		t.Errorf("the twin's init containers %v, want %v (the tools and the native debug sidecar before the held one)", got, want)
	}
	if st, _ := containerStatus(twin, "debug"); st.State.Running == nil {
		t.Errorf("the native debug sidecar does not run while the pod is in Init: %+v", st.State)
	}
	t.Logf("twin: %s", podSummary(twin))

	explain := explainChart(t, chart, ns, append(base, hold...)...)
	if !strings.Contains(explain, "held init container migrate") || !strings.Contains(explain, "the pod stays in its Init phase until it is released") {
		t.Errorf("explain does not say migrate is held until released")
	}
	args := execLine(t, explain, "shell: ")
	_, stderr, code := kubectlRun(t, append(args, "-c", `eval "$`+overlay.HoldEnv+`"`)...)
	if code != 3 || !strings.Contains(stderr, `app migrate: cannot reach the database at "db.invalid"`) {
		t.Errorf("migrate by hand in the held init container: exit %d, want 3 and the error", code)
	}
	release := execLine(t, explain, "release it, so the pod goes on: ")
	if want := []string{"exec", "-n", ns, "deployment/app-debug", "-c", "migrate", "--", overlay.ToolsPath + "/touch", overlay.ReleaseFile("migrate")}; !slices.Equal(release, want) {
		t.Errorf("explain's release line: %q, want %q", release, want)
	}
	kubectlRun(t, release...)
	waitPodReady(t, ns, twin.Name, 2*time.Minute)
	twin = getPod(t, ns, twin.Name)
	if st, _ := containerStatus(twin, "migrate"); st.State.Terminated == nil || st.State.Terminated.ExitCode != 0 {
		t.Errorf("migrate after the release: %+v, want terminated with exit code 0", st.State)
	}
	t.Logf("released: %s", podSummary(twin))
	if p := getPod(t, ns, orig.Name); p.UID != orig.UID || p.Status.Phase != corev1.PodPending {
		t.Errorf("the original: UID %s (was %s), phase %s; want it as it was, in Init", p.UID, orig.UID, p.Status.Phase)
	}

	upgrade("upgrade", "--set", "debug-overlay.enabled=false")
	waitFor(t, 2*time.Minute, "the twin's pod to go", func() (bool, string) {
		pods := podsOf(t, ns, overlay.TwinLabel)
		return len(pods) == 0, podSummaries(pods)
	})
	if out, err := n.Kubectl(nil, "-n", ns, "get", "deployment", "app-debug"); err == nil {
		t.Errorf("toggled off, the twin Deployment is still there:\n%s", out)
	}
}
