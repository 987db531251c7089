//go:build linux

package nodee2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
)

// kubectl runs kubectl as admin and returns its stdout; a failure fails the
// test.
func kubectl(t *testing.T, stdin []byte, args ...string) string {
	t.Helper()
	out, err := n.Kubectl(stdin, args...)
	if err != nil {
		t.Fatalf("%v", err)
	}
	return out
}

// newNamespace creates a namespace with labels and, when the test fails,
// logs what happened in it: pods, events, container logs.
func newNamespace(t *testing.T, name string, labels map[string]string) string {
	t.Helper()
	if err := n.CreateNamespace(name, labels); err != nil {
		t.Fatalf("%v", err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("namespace %s after the failure:\n%s", name, diagnostics(name))
		}
	})
	return name
}

// diagnostics describes what a namespace holds, for a failed test.
func diagnostics(ns string) string {
	var b strings.Builder
	for _, args := range [][]string{
		{"get", "all", "-o", "wide"},
		{"get", "events", "--sort-by=.lastTimestamp"},
		{"describe", "pods"},
		{"logs", "--all-containers", "--prefix", "--tail=30", "-l", "debug-overlay-e2e"},
	} {
		out, err := n.Kubectl(nil, append([]string{"-n", ns}, args...)...)
		fmt.Fprintf(&b, "$ kubectl -n %s %s\n%s", ns, strings.Join(args, " "), out)
		if err != nil {
			fmt.Fprintf(&b, "(%v)\n", err)
		}
	}
	return b.String()
}

// waitFor polls cond every quarter second until it returns true or timeout
// passes; cond's text says what it saw last, for the failure.
func waitFor(t *testing.T, timeout time.Duration, what string, cond func() (bool, string)) time.Duration {
	t.Helper()
	start := time.Now()
	last := ""
	for {
		ok, seen := cond()
		if ok {
			return time.Since(start)
		}
		last = seen
		if time.Since(start) > timeout {
			t.Fatalf("%s: not after %v; last seen: %s", what, timeout, last)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// getPod returns a pod as the API server has it.
func getPod(t *testing.T, ns, name string) corev1.Pod {
	t.Helper()
	var p corev1.Pod
	if err := json.Unmarshal([]byte(kubectl(t, nil, "-n", ns, "get", "pod", name, "-o", "json")), &p); err != nil {
		t.Fatalf("pod %s/%s: %v", ns, name, err)
	}
	return p
}

// podsOf returns the pods matching a label selector.
func podsOf(t *testing.T, ns, selector string) []corev1.Pod {
	t.Helper()
	var list corev1.PodList
	if err := json.Unmarshal([]byte(kubectl(t, nil, "-n", ns, "get", "pods", "-l", selector, "-o", "json")), &list); err != nil {
		t.Fatalf("pods %s in %s: %v", selector, ns, err)
	}
	return list.Items
}

// ready reports whether a pod is Ready, and says what it is otherwise.
func ready(p corev1.Pod) (bool, string) {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady && c.Status == corev1.ConditionTrue {
			return true, "Ready"
		}
	}
	return false, podSummary(p)
}

// podSummary is a pod's phase and each container's state, in one line.
func podSummary(p corev1.Pod) string {
	var parts []string
	parts = append(parts, string(p.Status.Phase))
	all := append(append([]corev1.ContainerStatus{}, p.Status.InitContainerStatuses...), p.Status.ContainerStatuses...)
	for _, s := range all {
		st := "?"
		switch {
		case s.State.Running != nil:
			st = "running"
		case s.State.Waiting != nil:
			st = "waiting " + s.State.Waiting.Reason + " " + s.State.Waiting.Message
		case s.State.Terminated != nil:
			st = fmt.Sprintf("terminated %s exit %d", s.State.Terminated.Reason, s.State.Terminated.ExitCode)
		}
		parts = append(parts, fmt.Sprintf("%s=%s (ready %v, restarts %d)", s.Name, st, s.Ready, s.RestartCount))
	}
	return p.Namespace + "/" + p.Name + " " + strings.Join(parts, ", ")
}

// waitPodReady waits for a pod to be Ready.
func waitPodReady(t *testing.T, ns, name string, timeout time.Duration) time.Duration {
	t.Helper()
	return waitFor(t, timeout, "pod "+ns+"/"+name+" Ready", func() (bool, string) {
		out, err := n.Kubectl(nil, "-n", ns, "get", "pod", name, "-o", "json")
		if err != nil {
			return false, err.Error()
		}
		var p corev1.Pod
		if err := json.Unmarshal([]byte(out), &p); err != nil {
			return false, err.Error()
		}
		return ready(p)
	})
}

// execIn runs a command in a container with kubectl exec and returns its
// stdout; a failure fails the test.
func execIn(t *testing.T, ns, pod, container string, cmd ...string) string {
	t.Helper()
	out, err := n.Kubectl(nil, append([]string{"-n", ns, "exec", pod, "-c", container, "--"}, cmd...)...)
	if err != nil {
		t.Fatalf("exec in %s/%s -c %s: %v", ns, pod, container, err)
	}
	return out
}

// render runs the debug-overlay binary under test on manifest with flags.
func render(t *testing.T, manifest string, flags ...string) string {
	t.Helper()
	cmd := exec.Command(overlayBin, flags...)
	cmd.Stdin = strings.NewReader(manifest)
	var errb bytes.Buffer
	cmd.Stderr = &errb
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("debug-overlay %s: %v\n%s", strings.Join(flags, " "), err, errb.String())
	}
	if errb.Len() > 0 {
		t.Logf("debug-overlay %s said on stderr:\n%s", strings.Join(flags, " "), strings.TrimSpace(errb.String()))
	}
	return string(out)
}

// names lists the names of containers.
func names(cs []corev1.Container) []string {
	out := []string{}
	for _, c := range cs {
		out = append(out, c.Name)
	}
	return out
}

// container returns the named container of a pod spec, init containers
// included.
func container(t *testing.T, spec corev1.PodSpec, name string) corev1.Container {
	t.Helper()
	for _, c := range append(append([]corev1.Container{}, spec.InitContainers...), spec.Containers...) {
		if c.Name == name {
			return c
		}
	}
	t.Fatalf("no container %q in the pod: init %v, containers %v", name, names(spec.InitContainers), names(spec.Containers))
	return corev1.Container{}
}
