package overlay

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"path"
	"reflect"
	"slices"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/utils/ptr"
)

// What the API server lets an ephemeral container have (kubernetes
// v1.37.2, pkg/apis/core/validation/validation.go):
//   - only the fields of allowedEphemeralContainerFields (line 96): no
//     ports, resources, probes or lifecycle; and, not listed there, no
//     resizePolicy, restartPolicy or restartPolicyRules (validateFieldAllowList,
//     line 3882, refuses every field that is not listed and not zero);
//   - no subPath and no subPathExpr in its volumeMounts (lines 3885-3894:
//     they are bind mounts that would outlive the container);
//   - the validation of every container (validateContainerCommon, line
//     3862): mounts of the pod's volumes at distinct paths, Bidirectional
//     propagation only when privileged (validateMountPropagation, line
//     1450), recursiveReadOnly only on read-only mounts without propagation
//     (line 1481);
//   - a name unique among all the pod's containers (line 3867) and a
//     targetContainerName naming a regular or init container (line 3875);
//   - existing ephemeral containers never change or go away
//     (ValidatePodEphemeralContainersUpdate, line 6455), and the pod's
//     volumes are immutable: nothing can be added to mount.
var ephemeralFields = map[string]bool{
	"Name": true, "Image": true, "Command": true, "Args": true, "WorkingDir": true,
	"EnvFrom": true, "Env": true, "VolumeMounts": true, "VolumeDevices": true,
	"TerminationMessagePath": true, "TerminationMessagePolicy": true, "ImagePullPolicy": true,
	"SecurityContext": true, "Stdin": true, "StdinOnce": true, "TTY": true,
}

// VolumeRoot is where an ephemeral container mounts, whole, a volume that
// the app mounts with subPath or subPathExpr, which ephemeral containers
// cannot have: VolumeRoot/<volume>.
const VolumeRoot = "/debug-overlay/volumes"

// AttachEnv is the environment variable that marks an ephemeral container
// as the overlay's: its value is a digest of the rest of the container
// (with the configured name), so a second attach with the same
// configuration finds it again.
const AttachEnv = "DEBUG_OVERLAY_ATTACH"

// Live is what a running pod gets: an ephemeral container.
type Live struct {
	// Container is the ephemeral container to add, with a name no
	// container of the pod has.
	Container corev1.EphemeralContainer
	// Shell is the shell people exec into.
	Shell string
	// Same lists the pod's ephemeral containers that this configuration
	// added before (same digest), in the pod's order: one that runs can be
	// used instead of adding another.
	Same []string
	// Notes say what could not be given as the declarative overlay gives
	// it, and what the container gets instead.
	Notes []string
	// Down is the status of the target container when it is not running
	// (crash-looping, waiting, terminated): the container then targets no
	// container's processes, since the kubelet would refuse to start it
	// (notrunning.go).
	Down *corev1.ContainerStatus
	// Choice is the container's profile and user, and why.
	Choice Choice
}

// Ephemeral returns the debug container for a running pod, as an
// ephemeral container: what Apply's sidecar would be (debugContainer), less
// what ephemeral containers cannot have, with targetContainerName set to
// the first target container so that its processes are visible. sel is the
// pod's workload's selection.
func (o *Overlay) Ephemeral(pod *corev1.Pod, sel Selection) (*Live, error) {
	spec := &pod.Spec
	if spec.OS != nil && spec.OS.Name == corev1.Windows {
		return nil, fmt.Errorf("a Windows pod: the debug container needs Linux")
	}
	for _, name := range sel.Containers {
		if !slices.ContainsFunc(spec.Containers, func(c corev1.Container) bool { return c.Name == name }) {
			return nil, fmt.Errorf("target container %q does not exist (containers: %s)", name, JoinNames(names(spec.Containers)))
		}
	}
	targets := targets(spec, sel.Containers)
	if len(targets) == 0 {
		return nil, fmt.Errorf("the pod has no containers")
	}
	live := &Live{Shell: o.shell()}

	// Copies: a pod overlaid declaratively has them; mount those, as its
	// sidecar does. Others cannot be made now.
	rename := map[string]string{}
	for _, cv := range o.cfg.Copy.Volumes {
		cp := copyVolumeName(cv.Name)
		switch {
		case slices.ContainsFunc(spec.Volumes, func(v corev1.Volume) bool { return v.Name == cp }):
			rename[cv.Name] = cp
		case slices.ContainsFunc(spec.Volumes, func(v corev1.Volume) bool { return v.Name == cv.Name }):
			live.Notes = append(live.Notes, fmt.Sprintf("volume %q is not copied: a running pod's volumes cannot change, so the copy (an emptyDir filled by an init container) needs the declarative overlay "+
				"(helm upgrade --set debug-overlay.enabled=true, or debug-overlay --enable --copy-volume %s), which restarts the pod; the debug container sees the volume as kubelet presents it", cv.Name, cv.Name))
		}
	}

	prof, choice, notes := o.choose(pod.Namespace, spec)
	live.Notes = append(live.Notes, notes...)
	c, user, notes := o.debugContainer(prof, spec, sel.Containers, rename, false)
	live.Notes = append(live.Notes, notes...)
	choice.User = user
	live.Choice = choice
	var subNotes []string
	c.VolumeMounts, subNotes = wholeVolumes(c.VolumeMounts, targets)
	live.Notes = append(live.Notes, subNotes...)
	ec := corev1.EphemeralContainer{
		EphemeralContainerCommon: corev1.EphemeralContainerCommon(c),
		TargetContainerName:      targets[0].Name,
	}
	if live.Down = notRunning(pod, targets[0].Name); live.Down != nil {
		ec.TargetContainerName = ""
	}
	if ptr.Deref(o.cfg.Tools.Inject, false) {
		live.Notes = append(live.Notes, "tools.inject is left out: a running pod's volumes cannot change, so the tools (an emptyDir filled by an init container) need the declarative overlay or twin mode, which restart or copy the pod")
	}
	for _, field := range clearDisallowed(&ec.EphemeralContainerCommon) {
		if field == "resources" && sameResources(o.cfg.Sidecar.Resources, defaultSidecarResources()) {
			continue // the defaults are for pod templates; not worth a line
		}
		live.Notes = append(live.Notes, fmt.Sprintf("sidecar.%s is left out: ephemeral containers cannot have it", field))
	}

	digest, err := ephemeralDigest(ec)
	if err != nil {
		return nil, err
	}
	ec.Env = append(ec.Env, corev1.EnvVar{Name: AttachEnv, Value: digest})
	for _, have := range spec.EphemeralContainers {
		if slices.Contains(have.Env, corev1.EnvVar{Name: AttachEnv, Value: digest}) {
			live.Same = append(live.Same, have.Name)
		}
	}
	ec.Name = uniqueName(spec, ec.Name)
	live.Container = ec
	return live, nil
}

// wholeVolumes replaces the subPath and subPathExpr mounts of a mirrored
// list, which ephemeral containers cannot have, by one mount of the whole
// volume under VolumeRoot, and says where the app's path is in it.
func wholeVolumes(mounts []corev1.VolumeMount, targets []*corev1.Container) ([]corev1.VolumeMount, []string) {
	var out []corev1.VolumeMount
	var notes []string
	whole := map[string]int{} // volume -> its index in out
	for _, m := range mounts {
		if m.SubPath == "" && m.SubPathExpr == "" {
			out = append(out, m)
			continue
		}
		at := path.Join(VolumeRoot, m.Name)
		i, ok := whole[m.Name]
		if !ok {
			i = len(out)
			whole[m.Name] = i
			out = append(out, corev1.VolumeMount{Name: m.Name, MountPath: at, ReadOnly: true})
		}
		if !m.ReadOnly {
			out[i].ReadOnly = false // writable when any of the app's mounts of it is
		}
		who := mountOwner(targets, m)
		if m.SubPath != "" {
			notes = append(notes, fmt.Sprintf("%s mounts subPath %q of volume %q at %s; ephemeral containers cannot use subPath: the debug container has the whole volume at %s, the app's %s is %s",
				who, m.SubPath, m.Name, m.MountPath, at, m.MountPath, path.Join(at, m.SubPath)))
		} else {
			notes = append(notes, fmt.Sprintf("%s mounts subPathExpr %q of volume %q at %s; ephemeral containers cannot use subPathExpr: the debug container has the whole volume at %s, the app's %s is the directory there that the expression names",
				who, m.SubPathExpr, m.Name, m.MountPath, at, m.MountPath))
		}
	}
	// A path the app uses may be taken by a mount of ours (or the other
	// way round) only if the app mounts below VolumeRoot, which it does not
	// do in practice; keep the first.
	seen := map[string]bool{}
	out = slices.DeleteFunc(out, func(m corev1.VolumeMount) bool {
		p := path.Clean(m.MountPath)
		if seen[p] {
			notes = append(notes, fmt.Sprintf("volume %q is not mounted at %s: another mount of the debug container is there", m.Name, m.MountPath))
			return true
		}
		seen[p] = true
		return false
	})
	return out, notes
}

// mountOwner names, for a note, the first target container with mount m.
func mountOwner(targets []*corev1.Container, m corev1.VolumeMount) string {
	for _, c := range targets {
		for _, have := range c.VolumeMounts {
			if have.Name == m.Name && have.SubPath == m.SubPath && have.SubPathExpr == m.SubPathExpr {
				return fmt.Sprintf("container %q", c.Name)
			}
		}
	}
	return "the app"
}

// clearDisallowed zeroes every field of c that ephemeral containers cannot
// have, and returns the names of those that were set, as the API names
// them. The allow-list is the API server's, so a field added to the API
// later is left out until someone checks it.
func clearDisallowed(c *corev1.EphemeralContainerCommon) []string {
	var cleared []string
	v := reflect.ValueOf(c).Elem()
	for i := range v.NumField() {
		f := v.Type().Field(i)
		if ephemeralFields[f.Name] || v.Field(i).IsZero() {
			continue
		}
		v.Field(i).SetZero()
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		cleared = append(cleared, name)
	}
	return cleared
}

// ephemeralDigest is a short digest of an ephemeral container, named as
// configured (not yet made unique): another --name is another container.
func ephemeralDigest(ec corev1.EphemeralContainer) (string, error) {
	data, err := json.Marshal(ec)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])[:16], nil
}

// uniqueName returns name, or name-2, name-3, ... : the first that no
// container of the pod (regular, init or ephemeral) has.
func uniqueName(spec *corev1.PodSpec, name string) string {
	taken := map[string]bool{}
	for _, c := range append(names(spec.InitContainers), names(spec.Containers)...) {
		taken[c] = true
	}
	for _, c := range spec.EphemeralContainers {
		taken[c.Name] = true
	}
	if !taken[name] {
		return name
	}
	for i := 2; ; i++ {
		suffix := "-" + strconv.Itoa(i)
		n := name
		if len(n)+len(suffix) > 63 {
			n = n[:63-len(suffix)]
		}
		if !taken[n+suffix] {
			return n + suffix
		}
	}
}

// sameResources compares requests and limits by value.
func sameResources(a, b *corev1.ResourceRequirements) bool {
	same := func(x, y corev1.ResourceList) bool {
		if len(x) != len(y) {
			return false
		}
		for k, q := range x {
			if r, ok := y[k]; !ok || q.Cmp(r) != 0 {
				return false
			}
		}
		return true
	}
	if a == nil || b == nil {
		return a == b
	}
	return same(a.Requests, b.Requests) && same(a.Limits, b.Limits) && len(a.Claims) == 0 && len(b.Claims) == 0
}
