package live

import (
	"context"
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/utils/ptr"

	"github.com/debug-overlay/debug-overlay/generator/overlay"
)

// logLines is how many of its last log lines attach shows of a container
// that does not run and said nothing in its termination message.
const logLines = 10

// noteDown tells, for a pod whose target container does not run (issue
// 26), that the debug container targets no container and why, how the
// target last ended (its exit code, reason and message, or its last log
// lines), and how to run its program by hand in a twin that holds it.
func (a *Attacher) noteDown(ctx context.Context, w Workload, pod *corev1.Pod, live *overlay.Live) {
	st := live.Down
	p := fmt.Sprintf("pod %s/%s", pod.Namespace, pod.Name)
	a.printf("%s: note: container %s is not running (%s): the debug container goes in without process targeting (the kubelet would refuse to start it: it targets running containers only); it has the pod's volumes and network, not %s's processes\n",
		p, st.Name, overlay.DownState(st), st.Name)
	t := overlay.LastTermination(st)
	if t == nil {
		a.printf("%s: %s has not terminated yet\n", p, st.Name)
	} else {
		a.printf("%s: %s last ended at %s: exit code %d%s\n", p, st.Name, t.FinishedAt.UTC().Format("2006-01-02T15:04:05Z"), t.ExitCode, reason(t.Reason))
		if msg := strings.TrimSpace(t.Message); msg != "" {
			a.printf("%s: its termination message:\n%s\n", p, indent(msg))
		} else {
			a.printf("%s: %s\n", p, a.lastLog(ctx, pod, st))
		}
	}
	a.printf("%s: to run %s's program by hand, hold it in a twin: %s\n", p, st.Name, overlay.HoldHint(w.Kind.Kind, w.Name, w.Namespace, a.Release, a.ValuesKey))
}

// lastLog returns the last lines the container logged before it ended, or
// why they cannot be read.
func (a *Attacher) lastLog(ctx context.Context, pod *corev1.Pod, st *corev1.ContainerStatus) string {
	opts := &corev1.PodLogOptions{Container: st.Name, TailLines: ptr.To(int64(logLines)), Previous: st.State.Terminated == nil}
	data, err := a.Cluster.Client.CoreV1().Pods(pod.Namespace).GetLogs(pod.Name, opts).DoRaw(ctx)
	if err != nil {
		return fmt.Sprintf("its log cannot be read: %v", apiError(err, "get", "pods/log", pod.Namespace))
	}
	if len(strings.TrimSpace(string(data))) == 0 {
		return "its log is empty"
	}
	return fmt.Sprintf("its last log lines:\n%s", indent(strings.TrimRight(string(data), "\n")))
}

func reason(r string) string {
	if r == "" {
		return ""
	}
	return " (" + r + ")"
}

// indent indents every line of s by four spaces.
func indent(s string) string {
	return "    " + strings.ReplaceAll(s, "\n", "\n    ")
}
