package overlay

import (
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
)

// Overlaid reports what the overlay did to one workload.
type Overlaid struct {
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
	// Tools lists the containers that mount the tools at ToolsPath.
	Tools []string
	// Choice is the debug container's profile and user, and why.
	Choice Choice
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
	// FileMode and DirMode are the modes of the copied files and
	// directories; nil keeps kubelet's.
	FileMode, DirMode *Perm
	// Owner owns the copies, "UID:GID" or "UID" (the group is then the
	// container's: the pod's fsGroup, else its runAsGroup, else the
	// image's); empty when no copied volume of the pod names an owner, and
	// the copies are the copy container's own user's. OwnerFrom says, for
	// owner app, where the IDs were read.
	Owner, OwnerFrom string
}

// Perms describes the modes and owner the copies get, for people: "" when
// they keep kubelet's and the copy container's, else as "files 0600,
// directories 0700, owner 1000:2000 (app: runAsUser of the pod, fsGroup of
// the pod)".
func (c Copied) Perms() string {
	var parts []string
	if c.FileMode != nil {
		parts = append(parts, "files "+c.FileMode.String())
	}
	if c.DirMode != nil {
		parts = append(parts, "directories "+c.DirMode.String())
	}
	if c.Owner != "" {
		owner := "owner " + c.Owner
		if c.OwnerFrom != "" {
			owner += " (" + c.OwnerFrom + ")"
		}
		parts = append(parts, owner)
	}
	return strings.Join(parts, ", ")
}

// ExecCommand returns the kubectl line that opens a shell in a workload's
// debug container, or "" when kubectl cannot exec into the kind directly
// (CronJob, PodTemplate, custom kinds).
func (w Overlaid) ExecCommand() string {
	kind, ok := Builtin(w.Kind)
	if !ok || !kind.Exec {
		return ""
	}
	ns := ""
	if w.Namespace != "" {
		ns = " -n " + w.Namespace
	}
	return fmt.Sprintf("kubectl exec -it%s %s/%s -c %s -- %s", ns, strings.ToLower(kind.Kind), w.Name, w.Container, w.Shell)
}
