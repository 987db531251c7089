package overlay

import (
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
)

// A pod in CrashLoopBackOff is in phase Running, so attach picks it; an
// ephemeral container that targets its app container is refused by the
// kubelet (CreateContainerError: invalid target container ... not running)
// and stays in the pod for good, broken (issue 26). Ephemeral therefore
// targets only a container that runs.

// notRunning returns the status of the pod's container name when the pod
// says it is not running; nil when it runs or the pod says nothing of it.
func notRunning(pod *corev1.Pod, name string) *corev1.ContainerStatus {
	for i := range pod.Status.ContainerStatuses {
		if st := &pod.Status.ContainerStatuses[i]; st.Name == name {
			if st.State.Running != nil || st.State.Waiting == nil && st.State.Terminated == nil {
				return nil
			}
			return st
		}
	}
	return nil
}

// DownState says, for people, what a container that does not run is doing:
// "waiting: CrashLoopBackOff, 7 restarts".
func DownState(st *corev1.ContainerStatus) string {
	var s string
	switch {
	case st.State.Waiting != nil:
		s = "waiting"
		if r := st.State.Waiting.Reason; r != "" {
			s += ": " + r
		}
	case st.State.Terminated != nil:
		s = fmt.Sprintf("terminated: exit code %d", st.State.Terminated.ExitCode)
		if r := st.State.Terminated.Reason; r != "" {
			s += " (" + r + ")"
		}
	}
	if st.RestartCount > 0 {
		s += fmt.Sprintf(", %d restarts", st.RestartCount)
	}
	return s
}

// LastTermination is the container's last termination, for people: exit
// code, reason, when, and its message; nil when there is none.
func LastTermination(st *corev1.ContainerStatus) *corev1.ContainerStateTerminated {
	if t := st.State.Terminated; t != nil {
		return t
	}
	return st.LastTerminationState.Terminated
}

// HoldHint says how to run a workload's program by hand when its
// container does not run: a twin that holds it. values is where a Helm
// release's toggle chart takes its values ("" when the workload does not
// come from a release), release its name.
func HoldHint(kind, name, namespace, release, values string) string {
	target := strings.ToLower(kind) + "/" + name
	if release != "" && values != "" {
		ns := ""
		if namespace != "" {
			ns = " -n " + namespace
		}
		return fmt.Sprintf("helm upgrade %[1]s <chart>%[2]s --reuse-values --post-renderer debug-overlay --set %[3]s.enabled=true,%[3]s.mode=twin,%[3]s.twin.hold=true,%[3]s.targets[0].kind=%[4]s,%[3]s.targets[0].name=%[5]s",
			release, ns, values, kind, name)
	}
	return fmt.Sprintf("debug-overlay --enable --mode twin --hold --target %s (as the post-renderer, or the kustomize function, of what deployed it)", target)
}
