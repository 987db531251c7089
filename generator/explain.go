package generator

import (
	"fmt"
	"io"
	"strings"
)

// execKinds are the kinds `kubectl exec` resolves to a pod by itself.
var execKinds = map[string]string{
	"Pod": "pod", "Deployment": "deployment", "StatefulSet": "statefulset", "DaemonSet": "daemonset",
	"ReplicaSet": "replicaset", "ReplicationController": "replicationcontroller", "Job": "job",
}

// ExecCommand returns the kubectl line that opens a shell in a workload's
// debug container, or "" when kubectl cannot exec into the kind directly
// (CronJob, PodTemplate, custom kinds).
func (w Workload) ExecCommand() string {
	resource, ok := execKinds[w.Kind]
	if !ok {
		return ""
	}
	ns := ""
	if w.Namespace != "" {
		ns = " -n " + w.Namespace
	}
	return fmt.Sprintf("kubectl exec -it%s %s/%s -c %s -- %s", ns, resource, w.Name, w.Container, w.Shell)
}

// Explain writes, for people, what each workload got and how to get in.
func (r *Report) Explain(w io.Writer) error {
	var b strings.Builder
	if !r.Config.IsEnabled() {
		b.WriteString("The overlay is disabled: the stream passes through unchanged.\n")
	}
	for _, wl := range r.Workloads {
		name := wl.Name
		if wl.Namespace != "" {
			name = wl.Namespace + "/" + name
		}
		fmt.Fprintf(&b, "%s %s", wl.Kind, name)
		if wl.Source != "" {
			fmt.Fprintf(&b, " (%s)", wl.Source)
		}
		b.WriteString("\n")
		mode := "sidecar container"
		if wl.Native {
			mode = "native sidecar (init container, restartPolicy: Always)"
		}
		fmt.Fprintf(&b, "  debug container %q: %s, profile %s\n", wl.Container, mode, r.Config.Sidecar.Profile)
		if len(wl.Mounts) > 0 {
			fmt.Fprintf(&b, "  mirrored mounts: %s\n", strings.Join(wl.Mounts, ", "))
		}
		for _, c := range wl.Copies {
			medium := "disk"
			if c.Medium != "" {
				medium = strings.ToLower(string(c.Medium))
			}
			rewire := "the app still mounts the original volume"
			if c.Rewire {
				rewire = "the app mounts the copy instead of the volume"
			}
			fmt.Fprintf(&b, "  volume %q copied as regular files into emptyDir %q (%s); %s\n", c.Volume, c.Into, medium, rewire)
		}
		if cmd := wl.ExecCommand(); cmd != "" {
			fmt.Fprintf(&b, "  shell: %s\n", cmd)
		} else {
			fmt.Fprintf(&b, "  shell: kubectl exec -it <pod> -c %s -- %s (find the pod of this %s first)\n", wl.Container, wl.Shell, wl.Kind)
		}
	}
	for _, f := range r.Findings {
		fmt.Fprintf(&b, "warning: %s\n", f)
	}
	_, err := io.WriteString(w, b.String())
	return err
}
