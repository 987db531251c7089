package live

import (
	"fmt"
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
)

// Ephemeral containers never go away: a pod keeps them until it is
// replaced. So attach gives a workload's debug container to one of its
// pods unless asked for more (issue 25), as kubectl debug acts on one pod.

// PodChoice says which pods of each workload get the debug container.
// Its zero value picks one: the newest Ready running pod.
type PodChoice struct {
	// All picks every pod (those that are not running are reported as
	// skipped).
	All bool
	// Names picks these pods, by name, among the workloads' pods.
	Names []string
	// Max is how many of the newest Ready running pods to pick; 0 is 1.
	Max int
}

// UnknownPodError is a pod asked for by name (PodChoice.Names) that no
// selected workload has.
type UnknownPodError struct {
	Names []string
	// Have lists the selected workloads' pods.
	Have []string
}

func (e *UnknownPodError) Error() string {
	have := strings.Join(e.Have, ", ")
	if have == "" {
		have = "none"
	}
	return fmt.Sprintf("--pod %s: not a pod of the selected workloads (their pods: %s)", strings.Join(e.Names, ", "), have)
}

// pick returns the pods of one workload to attach to, and says which and
// why, for people; pods is the workload's pods.
func (c PodChoice) pick(pods []corev1.Pod, now time.Time) ([]corev1.Pod, string) {
	switch {
	case len(pods) == 0:
		return nil, "no pods"
	case len(c.Names) > 0:
		picked := slices.DeleteFunc(slices.Clone(pods), func(p corev1.Pod) bool { return !slices.Contains(c.Names, p.Name) })
		return picked, fmt.Sprintf("%s: %s (--pod)", count(len(pods), "pod"), strings.Join(podNames(picked), ", "))
	case c.All:
		return pods, fmt.Sprintf("%s, all of them (--all-pods)", count(len(pods), "pod"))
	}
	ranked := slices.Clone(pods)
	slices.SortStableFunc(ranked, func(a, b corev1.Pod) int {
		if ra, rb := rank(a), rank(b); ra != rb {
			return rb - ra
		}
		return b.CreationTimestamp.Compare(a.CreationTimestamp.Time)
	})
	n := max(c.Max, 1)
	if live := slices.IndexFunc(ranked, func(p corev1.Pod) bool { return rank(p) == 0 }); live >= 0 {
		n = min(n, max(live, 1)) // not running: only when nothing runs
	}
	picked := ranked[:min(n, len(ranked))]
	var why string
	switch first := picked[0]; {
	case rank(first) == 2:
		why = "the newest Ready one"
	case rank(first) == 1:
		why = "the newest running one; none is Ready"
	default:
		why = "the newest; none is running"
	}
	if len(picked) > 1 {
		why = fmt.Sprintf("the %d newest running, Ready first", len(picked))
	}
	s := fmt.Sprintf("%s; %s, %s (created %s ago: the likeliest to run the current template), gets the debug container",
		count(len(pods), "pod"), strings.Join(podNames(picked), ", "), why, now.Sub(picked[0].CreationTimestamp.Time).Round(time.Second))
	if left := len(pods) - len(picked); left > 0 {
		s += fmt.Sprintf("; %s left alone (--all-pods, --pod NAME or --max-pods N for more: ephemeral containers stay until the pod is replaced)", count(left, "other"))
	}
	return picked, s
}

// rank orders pods for picking: Ready (2), running (1), neither (0).
func rank(p corev1.Pod) int {
	if p.DeletionTimestamp != nil || p.Status.Phase != corev1.PodRunning {
		return 0
	}
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady && c.Status == corev1.ConditionTrue {
			return 2
		}
	}
	return 1
}

func podNames(pods []corev1.Pod) []string {
	out := make([]string, len(pods))
	for i, p := range pods {
		out[i] = p.Name
	}
	return out
}

func count(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}
