//go:build linux

package nodee2e

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"
)

// batchManifest is a Job and a CronJob (every minute) whose work container
// reads a ConfigMap volume and finishes after two seconds.
const batchManifest = `apiVersion: v1
kind: ConfigMap
metadata:
  name: work-config
data:
  greeting: hello from a ConfigMap
---
apiVersion: batch/v1
kind: Job
metadata:
  name: NAME
spec:
  backoffLimit: 0
  template:
    metadata:
      labels: {debug-overlay-e2e: batch}
    spec:
      restartPolicy: Never
      containers:
        - name: work
          image: busybox:1.36
          command: [sh, -c, 'cat /config/greeting; sleep 2; echo done']
          volumeMounts:
            - {name: config, mountPath: /config}
      volumes:
        - name: config
          configMap: {name: work-config}
---
apiVersion: batch/v1
kind: CronJob
metadata:
  name: NAME-cron
spec:
  schedule: "* * * * *"
  concurrencyPolicy: Forbid
  jobTemplate:
    spec:
      backoffLimit: 0
      template:
        metadata:
          labels: {debug-overlay-e2e: batch}
        spec:
          restartPolicy: Never
          containers:
            - name: work
              image: busybox:1.36
              command: [sh, -c, 'cat /config/greeting; sleep 2; echo done']
              volumeMounts:
                - {name: config, mountPath: /config}
          volumes:
            - name: config
              configMap: {name: work-config}
`

// TestNativeSidecarJobs runs a Job and a CronJob, overlaid in native mode
// (auto picks it for both) with the ConfigMap copied: the debug sidecar is
// an init container with restartPolicy Always, and both Jobs complete, the
// one the CronJob controller spawns too. For contrast, the same Job with a
// classic sidecar (--native never) never completes: the sidecar keeps its
// pod running after the work is done.
func TestNativeSidecarJobs(t *testing.T) {
	t.Parallel()
	ns := newNamespace(t, "batch", nil)
	manifest := strings.ReplaceAll(batchManifest, "NAME", "batch")
	rendered := render(t, manifest, "--enable", "--copy-volume", "config")
	job := decodeJob(t, rendered)
	init := names(job.Spec.Template.Spec.InitContainers)
	t.Logf("native: rendered Job: init containers %v, containers %v", init, names(job.Spec.Template.Spec.Containers))
	debug := container(t, job.Spec.Template.Spec, "debug")
	if debug.RestartPolicy == nil || *debug.RestartPolicy != corev1.ContainerRestartPolicyAlways {
		t.Fatalf("the rendered Job's debug container is not a native sidecar (an init container with restartPolicy Always): init %v", init)
	}
	kubectl(t, []byte(rendered), "-n", ns, "apply", "-f", "-")

	// Classic, for contrast: the same Job, named apart, without the CronJob.
	jobOnly, _, _ := strings.Cut(batchManifest, "---\napiVersion: batch/v1\nkind: CronJob")
	classic := render(t, strings.ReplaceAll(strings.ReplaceAll(jobOnly, "NAME", "classic"), "work-config", "classic-config"),
		"--enable", "--native", "never", "--copy-volume", "config")
	kubectl(t, []byte(classic), "-n", ns, "apply", "-f", "-")

	d := waitJobComplete(t, ns, "batch", 2*time.Minute)
	t.Logf("native: Job batch complete %v after apply; %s", d.Round(time.Millisecond), jobPodSummary(t, ns, "batch"))
	logs := kubectl(t, nil, "-n", ns, "logs", "job/batch", "-c", "work")
	t.Logf("native: the work container printed %q", strings.TrimSpace(logs))
	if !strings.Contains(logs, "hello from a ConfigMap") {
		t.Errorf("the work container did not read the ConfigMap through the copy: %q", logs)
	}

	// The CronJob controller spawns a Job at the next full minute.
	var spawned string
	d = waitFor(t, 100*time.Second, "a Job spawned by CronJob batch-cron", func() (bool, string) {
		var list batchv1.JobList
		out, err := n.Kubectl(nil, "-n", ns, "get", "jobs", "-o", "json")
		if err != nil {
			return false, err.Error()
		}
		if err := json.Unmarshal([]byte(out), &list); err != nil {
			return false, err.Error()
		}
		for _, j := range list.Items {
			for _, o := range j.OwnerReferences {
				if o.Kind == "CronJob" && o.Name == "batch-cron" {
					spawned = j.Name
					return true, j.Name
				}
			}
		}
		return false, "no Job owned by the CronJob yet"
	})
	t.Logf("cron: CronJob batch-cron spawned Job %s %v after apply", spawned, d.Round(time.Millisecond))
	d = waitJobComplete(t, ns, spawned, 2*time.Minute)
	t.Logf("cron: Job %s complete %v later; %s", spawned, d.Round(time.Millisecond), jobPodSummary(t, ns, spawned))

	// By now the classic Job's work is long done, and the Job is not.
	waitFor(t, time.Minute, "the classic Job's work container to finish", func() (bool, string) {
		for _, p := range podsOf(t, ns, "job-name=classic") {
			for _, s := range p.Status.ContainerStatuses {
				if s.Name == "work" && s.State.Terminated != nil {
					return true, podSummary(p)
				}
			}
		}
		return false, "work container still running"
	})
	time.Sleep(5 * time.Second)
	if jobComplete(t, ns, "classic") {
		t.Errorf("classic: the Job with a classic sidecar completed; want it stuck on the running sidecar")
	}
	t.Logf("classic (contrast): Job classic not complete 5s after its work finished; %s", jobPodSummary(t, ns, "classic"))
}

// decodeJob returns the Job of a rendered stream.
func decodeJob(t *testing.T, stream string) batchv1.Job {
	t.Helper()
	for _, doc := range strings.Split(stream, "\n---\n") {
		if strings.Contains(doc, "kind: Job\n") {
			var j batchv1.Job
			if err := yaml.Unmarshal([]byte(doc), &j); err != nil {
				t.Fatalf("decoding the rendered Job: %v\n%s", err, doc)
			}
			return j
		}
	}
	t.Fatalf("no Job in the rendered stream:\n%s", stream)
	return batchv1.Job{}
}

func jobComplete(t *testing.T, ns, name string) bool {
	t.Helper()
	var j batchv1.Job
	if err := json.Unmarshal([]byte(kubectl(t, nil, "-n", ns, "get", "job", name, "-o", "json")), &j); err != nil {
		t.Fatal(err)
	}
	for _, c := range j.Status.Conditions {
		if c.Type == batchv1.JobFailed && c.Status == corev1.ConditionTrue {
			t.Fatalf("Job %s failed: %s: %s", name, c.Reason, c.Message)
		}
		if c.Type == batchv1.JobComplete && c.Status == corev1.ConditionTrue {
			return true
		}
	}
	return false
}

func waitJobComplete(t *testing.T, ns, name string, timeout time.Duration) time.Duration {
	t.Helper()
	return waitFor(t, timeout, "Job "+ns+"/"+name+" Complete", func() (bool, string) {
		if jobComplete(t, ns, name) {
			return true, "complete"
		}
		return false, jobPodSummary(t, ns, name)
	})
}

func jobPodSummary(t *testing.T, ns, job string) string {
	t.Helper()
	var parts []string
	for _, p := range podsOf(t, ns, "job-name="+job) {
		parts = append(parts, podSummary(p))
	}
	if len(parts) == 0 {
		return "no pod yet"
	}
	return strings.Join(parts, "; ")
}
