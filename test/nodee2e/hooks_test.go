//go:build linux

package nodee2e

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
)

// hookChart is a chart with a pre-install hook Job (kept after it
// succeeds, so the test can look at it) and a Deployment.
var hookChart = map[string]string{
	"Chart.yaml": "apiVersion: v2\nname: hooks\nversion: 0.1.0\n",
	"templates/migrate.yaml": `apiVersion: batch/v1
kind: Job
metadata:
  name: {{ .Release.Name }}-migrate
  annotations:
    helm.sh/hook: pre-install
    helm.sh/hook-delete-policy: before-hook-creation
spec:
  backoffLimit: 0
  template:
    spec:
      restartPolicy: Never
      containers:
        - name: migrate
          image: busybox:1.36
          command: [sh, -c, "sleep 2; echo migrated"]
`,
	"templates/app.yaml": `apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ .Release.Name }}-app
spec:
  replicas: 1
  selector:
    matchLabels: {app: {{ .Release.Name }}-app}
  template:
    metadata:
      labels: {app: {{ .Release.Name }}-app}
    spec:
      containers:
        - name: app
          image: busybox:1.36
          command: [sh, -c, 'trap "exit 0" TERM; while true; do sleep 3600 & wait $!; done']
`,
}

// TestHelm4Hooks installs a chart with a pre-install hook Job through Helm
// 4, which sends hooks to post-renderers, with --include-hooks: the hook
// gets a native sidecar, completes, and the install goes on. For contrast,
// with --native never the hook's classic sidecar keeps it running and the
// install times out.
func TestHelm4Hooks(t *testing.T) {
	t.Parallel()
	chart := filepath.Join(t.TempDir(), "hooks")
	for name, content := range hookChart {
		file := filepath.Join(chart, name)
		if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(file, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	ensurePlugin(t)
	for _, c := range []struct {
		name, native string
		complete     bool
	}{
		{"native", "auto", true},
		{"classic", "never", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			ns := newNamespace(t, "hooks-"+c.name, nil)
			timeout := "2m"
			if !c.complete {
				timeout = "20s"
			}
			start := time.Now()
			_, err := helm(4, "install", "rel", chart, "-n", ns, "--post-renderer", "debug-overlay",
				"--post-renderer-args=--enable", "--post-renderer-args=--include-hooks",
				"--post-renderer-args=--native="+c.native, "--wait", "--timeout", timeout)
			took := time.Since(start)
			job := decodeJob(t, kubectl(t, nil, "-n", ns, "get", "job", "rel-migrate", "-o", "yaml"))
			init := names(job.Spec.Template.Spec.InitContainers)
			summary := jobPodSummary(t, ns, "rel-migrate")
			if c.complete {
				if err != nil {
					t.Fatalf("helm4 install with the hook overlaid (native %s): %v", c.native, err)
				}
				if !slices.Contains(init, "debug") {
					t.Errorf("the hook Job has init containers %v: no native debug sidecar", init)
				}
				if !jobComplete(t, ns, "rel-migrate") {
					t.Errorf("the hook Job is not complete after helm install returned")
				}
				t.Logf("native: helm4 install with an overlaid pre-install hook took %v; hook pod: %s", took.Round(time.Millisecond), summary)
				return
			}
			if err == nil {
				t.Fatalf("helm4 install with a classic sidecar in the hook succeeded; want it stuck on the hook")
			}
			if slices.Contains(init, "debug") {
				t.Errorf("--native never: the hook Job's debug container is an init container")
			}
			msg := err.Error()
			if i := strings.LastIndex(msg, "\n"); i >= 0 {
				msg = msg[i+1:]
			}
			t.Logf("classic (contrast): helm4 install gave up after %v: %s; hook pod: %s", took.Round(time.Millisecond), msg, summary)
			for _, p := range podsOf(t, ns, "job-name=rel-migrate") {
				if p.Status.Phase != corev1.PodRunning {
					t.Errorf("the hook pod is %s, want Running on its classic sidecar", p.Status.Phase)
				}
				for _, s := range p.Status.ContainerStatuses {
					if s.Name == "migrate" && s.State.Terminated == nil {
						t.Errorf("the hook's work container has not finished: the contrast shows nothing: %s", podSummary(p))
					}
					if s.Name == "debug" && s.State.Running == nil {
						t.Errorf("the classic sidecar is not what keeps the hook running: %s", podSummary(p))
					}
				}
			}
		})
	}
}
