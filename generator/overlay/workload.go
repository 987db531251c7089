package overlay

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"
)

// Workload reports what the overlay did to one workload.
type Workload struct {
	Kind      string
	Namespace string
	Name      string
	Source    string
	// Container is the debug container's name; Shell the shell to exec.
	Container string
	Shell     string
	Native    bool
	// Hook says the workload is a Helm hook (overlaid with includeHooks or
	// its inject annotation).
	Hook bool
	// Copies maps each copied volume to its emptyDir.
	Copies []Copied
	// Mounts lists the mountPaths the sidecar mirrors.
	Mounts []string
	// Twin, in twin mode, is the twin's plan: Kind and Name above are the
	// twin's then, and Twin.Of names the original.
	Twin *TwinPlan
}

// Copied is one volume the overlay copies into an emptyDir.
type Copied struct {
	Volume string
	Into   string
	Medium corev1.StorageMedium
	Rewire bool
}

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
