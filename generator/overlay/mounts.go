package overlay

import (
	"fmt"
	"path"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/utils/ptr"
)

// ConflictRoot is where the sidecar mounts a volume that a later container
// mounts at a path an earlier container already uses for something else:
// ConflictRoot/<container>/<mountPath>.
const ConflictRoot = "/debug-overlay/containers"

// mirrorMounts collects the volumeMounts of the named regular containers (all
// when names is empty), in container order, with volumes renamed to their
// copies. The first container to use a mountPath keeps it; a later container
// mounting something else there is mirrored under ConflictRoot instead, and
// so are its mounts nested below that path, so the sidecar sees that
// container's tree whole. Bidirectional propagation needs a privileged
// container, so an unprivileged sidecar gets HostToContainer.
func mirrorMounts(pod *corev1.PodSpec, names []string, rename map[string]string, privileged bool) ([]corev1.VolumeMount, []string) {
	var mounts []corev1.VolumeMount
	var notes []string
	byPath := map[string]corev1.VolumeMount{}
	for _, c := range targets(pod, names) {
		cms := make([]corev1.VolumeMount, len(c.VolumeMounts))
		moved := map[string]string{} // this container's conflicting paths, and where they go
		for i, m := range c.VolumeMounts {
			if to, ok := rename[m.Name]; ok {
				m.Name = to
			}
			cms[i] = m
			key := path.Clean(m.MountPath)
			if prev, ok := byPath[key]; ok && !sameMount(prev, m) {
				to := path.Join(ConflictRoot, c.Name, key)
				moved[key] = to
				notes = append(notes, fmt.Sprintf("container %q mounts volume %q at %s, where an earlier container mounts %q: the sidecar sees it at %s",
					c.Name, m.Name, m.MountPath, prev.Name, to))
			}
		}
		for _, m := range cms {
			key := path.Clean(m.MountPath)
			if to, ok := movedPath(moved, key); ok {
				m.MountPath = to
				key = to
			} else if _, ok := byPath[key]; ok {
				continue // the same mount as an earlier container's
			}
			if !privileged && m.MountPropagation != nil && *m.MountPropagation == corev1.MountPropagationBidirectional {
				m.MountPropagation = ptr.To(corev1.MountPropagationHostToContainer)
				notes = append(notes, fmt.Sprintf("container %q mounts %s with Bidirectional propagation, which needs a privileged container: the sidecar uses HostToContainer", c.Name, m.MountPath))
			}
			byPath[key] = m
			mounts = append(mounts, m)
		}
	}
	return mounts, notes
}

func sameMount(a, b corev1.VolumeMount) bool {
	return a.Name == b.Name && a.SubPath == b.SubPath && a.SubPathExpr == b.SubPathExpr
}

// movedPath returns where p goes when it is, or lies below, a moved path.
func movedPath(moved map[string]string, p string) (string, bool) {
	for dir := p; ; dir = path.Dir(dir) {
		if to, ok := moved[dir]; ok {
			return path.Join(to, strings.TrimPrefix(p, dir)), true
		}
		if dir == "/" || dir == "." {
			return "", false
		}
	}
}
