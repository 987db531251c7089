package overlay

import (
	"fmt"
	"path"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/utils/ptr"
)

// The tools (issue 26): an init container copies a static busybox into an
// emptyDir, which the target containers mount read only at ToolsPath, so a
// person gets a shell in the app container itself, in an image that has
// none, with the app's own root filesystem, environment, working directory
// and mounts (a sidecar sees only the mounts). A running pod's volumes are
// fixed: attach cannot inject them.

// Tools configures the injected tools.
type Tools struct {
	// Inject adds the tools to the target containers; default false.
	// Twin mode's hold injects them whatever this says.
	Inject *bool `json:"inject,omitempty"`
	// Image holds a statically linked busybox at /bin/busybox (and runs
	// it: the init container's script is busybox's sh); default
	// DefaultToolsImage.
	Image string `json:"image,omitempty"`
}

// DefaultToolsImage is the tools image by default: busybox built against
// uClibc, statically linked on amd64 and arm64 (busybox:1.36-glibc is
// dynamically linked, and would not run in an image without a C library).
const DefaultToolsImage = "busybox:1.36-uclibc"

// The names and paths of the tools.
const (
	// ToolsContainerName is the init container that copies busybox.
	ToolsContainerName = "debug-overlay-tools"
	// ToolsVolumeName is the emptyDir (medium Memory) that holds it.
	ToolsVolumeName = "debug-overlay-tools"
	// ToolsPath is where the target containers, and the init container,
	// mount it: busybox and a link per applet, and ToolsShell.
	ToolsPath = "/debug-overlay/bin"
	// ToolsShell opens busybox's sh with ToolsPath first in its PATH,
	// which stays out of the container's own environment.
	ToolsShell = ToolsPath + "/shell"
	// toolsBusybox is where the tools image keeps busybox.
	toolsBusybox = "/bin/busybox"
)

// toolsScript copies a static busybox into the tools directory. It is run
// as
//
//	/bin/busybox sh -c toolsScript debug-overlay-tools SRC DST
//
// with fixed paths as arguments. It refuses a busybox that is not an ELF
// executable or names an ELF interpreter (PT_INTERP): a dynamically linked
// busybox runs here, where its C library is, but not in an app image
// without one. It reads the program headers with od, in the file's class
// (32 or 64 bits) and byte order. The applets are relative symbolic links
// to busybox in the same directory, so they resolve wherever the directory
// is mounted; the init container mounts it where the app containers do,
// which the shell helper's #! line needs. Everything is replaced on a
// second run (init containers run again when the pod's sandbox is
// recreated).
const toolsScript = `set -eu
src=$1 dst=$2
fail() {
  echo "debug-overlay-tools: $src $*" >&2
  exit 1
}
[ -f "$src" ] || fail "is not there: the tools image (spec.tools.image) needs a static busybox at $src"
[ "$(od -An -v -tx1 -N 4 -- "$src" | tr -d ' \n')" = 7f454c46 ] || fail "is not an ELF executable"
le=1
num() {
  n=0 m=1
  for b in $(od -An -v -tu1 -j "$1" -N "$2" -- "$src"); do
    if [ "$le" = 1 ]; then n=$((n + b * m)) m=$((m * 256)); else n=$((n * 256 + b)); fi
  done
  echo "$n"
}
class=$(num 4 1)
case $(num 5 1) in
  1) le=1 ;;
  2) le=0 ;;
  *) fail "is not an ELF executable (unknown byte order)" ;;
esac
case $class in
  1) phoff=$(num 28 4) phentsize=$(num 42 2) phnum=$(num 44 2) ;;
  2) phoff=$(num 32 8) phentsize=$(num 54 2) phnum=$(num 56 2) ;;
  *) fail "is not an ELF executable (unknown class)" ;;
esac
i=0
while [ "$i" -lt "$phnum" ]; do
  at=$((phoff + i * phentsize))
  if [ "$(num "$at" 4)" = 3 ]; then
    if [ "$class" = 2 ]; then off=$(num $((at + 8)) 8) size=$(num $((at + 32)) 8); else off=$(num $((at + 4)) 4) size=$(num $((at + 16)) 4); fi
    interp=$(dd if="$src" bs=1 skip="$off" count="$size" 2>/dev/null | tr -d '\000')
    fail "is dynamically linked (ELF interpreter $interp): it would not run in an app image without a C library; use a statically linked busybox such as busybox:1.36-uclibc (spec.tools.image)"
  fi
  i=$((i + 1))
done
rm -f -- "$dst/busybox" "$dst/shell"
cp -- "$src" "$dst/busybox"
chmod 0555 "$dst/busybox"
n=0
for applet in $("$dst/busybox" --list); do
  case $applet in busybox | shell | */*) continue ;; esac
  ln -sf busybox "$dst/$applet"
  n=$((n + 1))
done
printf '%s\n' "#!$dst/sh" "PATH=$dst:\$PATH exec $dst/sh \"\$@\"" >"$dst/shell"
chmod 0555 "$dst/shell"
echo "debug-overlay-tools: static busybox and $n applets in $dst; a shell there: $dst/shell"
`

// toolsOn reports whether the pods get the tools: when asked, and in twin
// mode when containers are held, which idle on them.
func (c Config) toolsOn() bool {
	return ptr.Deref(c.Tools.Inject, false) || c.holding()
}

// toolsContainer is the init container that fills the tools volume.
func toolsContainer(image string, pull corev1.PullPolicy) corev1.Container {
	return corev1.Container{
		Name:            ToolsContainerName,
		Image:           image,
		ImagePullPolicy: pull,
		Command:         []string{toolsBusybox, "sh", "-c", toolsScript, ToolsContainerName},
		Args:            []string{toolsBusybox, ToolsPath},
		VolumeMounts:    []corev1.VolumeMount{{Name: ToolsVolumeName, MountPath: ToolsPath}},
		Resources:       helperResources(),
	}
}

// toolsVolume is the emptyDir of the tools: in memory, a megabyte or two.
func toolsVolume() corev1.Volume {
	return corev1.Volume{Name: ToolsVolumeName, VolumeSource: corev1.VolumeSource{
		EmptyDir: &corev1.EmptyDirVolumeSource{Medium: corev1.StorageMediumMemory}}}
}

// toolsMount is how a container of the app mounts the tools: read only.
func toolsMount() corev1.VolumeMount {
	return corev1.VolumeMount{Name: ToolsVolumeName, MountPath: ToolsPath, ReadOnly: true}
}

// ToolsExecLine is the kubectl line that opens a shell in a container of
// the app through the tools; where is "KIND/NAME" or a pod's name, with
// "-n NAMESPACE " before it when there is one.
func ToolsExecLine(where, container string) string {
	return fmt.Sprintf("kubectl exec -it %s -c %s -- %s", where, container, ToolsShell)
}

// toolsTargets are the containers that mount the tools: the target
// containers, and the init containers that twin mode holds.
func (a *podApply) toolsTargets() []string {
	var out []string
	for _, c := range targets(a.pod, a.t.Sel.Containers) {
		out = append(out, c.Name)
	}
	for _, c := range a.pod.InitContainers {
		if a.o.cfg.holdsInit(c.Name) {
			out = append(out, c.Name)
		}
	}
	return out
}

// checkTools refuses a pod whose names or paths the tools would take.
func (a *podApply) checkTools() error {
	if !a.o.cfg.toolsOn() {
		return nil
	}
	for _, list := range []struct {
		field string
		names []string
	}{{"containers", names(a.pod.Containers)}, {"initContainers", names(a.pod.InitContainers)}} {
		if slices.Contains(list.names, ToolsContainerName) {
			return fmt.Errorf("%s: a container named %q already exists, and the tools init container needs that name", a.t.path("spec."+list.field), ToolsContainerName)
		}
	}
	if slices.ContainsFunc(a.pod.Volumes, func(v corev1.Volume) bool { return v.Name == ToolsVolumeName }) {
		return fmt.Errorf("%s: a volume named %q already exists, and the tools need that name", a.t.path("spec.volumes"), ToolsVolumeName)
	}
	for _, list := range [][]corev1.Container{a.pod.Containers, a.pod.InitContainers} {
		for _, c := range list {
			if !slices.Contains(a.toolsTargets(), c.Name) {
				continue
			}
			for _, m := range c.VolumeMounts {
				if p := path.Clean(m.MountPath); p == ToolsPath || strings.HasPrefix(p, ToolsPath+"/") || strings.HasPrefix(ToolsPath, p+"/") && p != "/" {
					return fmt.Errorf("%s: container %q mounts volume %q at %s, where the tools go (%s)", a.t.path("spec"), c.Name, m.Name, m.MountPath, ToolsPath)
				}
			}
		}
	}
	return nil
}

// addTools adds the tools volume, its init container (first of all init
// containers, so a held init container has them) and the mounts.
func (a *podApply) addTools(*copyPlan) error {
	if !a.o.cfg.toolsOn() {
		return nil
	}
	if err := a.checkTools(); err != nil {
		return err
	}
	if err := a.add(false, "volumes", toolsVolume()); err != nil {
		return err
	}
	a.st.Volumes = append(a.st.Volumes, ToolsVolumeName)
	c := toolsContainer(a.o.cfg.Tools.Image, a.o.cfg.Sidecar.ImagePullPolicy)
	a.note(fitResources(a.pod, &c))
	a.o.profile.Apply(a.pod, &c, true, runAsUser(a.pod, a.t.Sel.Containers, *a.o.cfg.Sidecar.RunAsUser))
	if err := a.add(true, "initContainers", c); err != nil {
		return err
	}
	a.st.InitContainers = append(a.st.InitContainers, c.Name)
	for _, name := range a.toolsTargets() {
		m := toolsMount()
		created, err := a.t.Edit.AddMount(name, m)
		if err != nil {
			return fmt.Errorf("%s: container %q: %w", a.t.path("spec"), name, err)
		}
		a.st.Mounts = append(a.st.Mounts, Mount{Container: name, Volume: m.Name, MountPath: m.MountPath, Created: created})
		a.w.Tools = append(a.w.Tools, name)
	}
	return nil
}

// validateTools checks spec.tools.
func (c Config) validateTools(p *problems) {
	if !c.toolsOn() {
		return
	}
	if c.Tools.Image == "" {
		p.add("tools.image", "required when the tools are injected")
	} else if ptr.Deref(c.RequireDigest, false) && !pinned(c.Tools.Image) {
		p.add("tools.image", "%q is not pinned by digest (name@sha256:...), which spec.requireDigest asks", c.Tools.Image)
	}
}

// ExecTarget is where kubectl exec finds a pod of the workload:
// "-n NAMESPACE KIND/NAME", or "<pod>" when kubectl cannot exec into the kind
// directly (CronJob, PodTemplate, custom kinds); ok says which.
func (w Overlaid) ExecTarget() (where string, ok bool) {
	kind, ok := Builtin(w.Kind)
	if !ok || !kind.Exec {
		return "<pod>", false
	}
	if w.Namespace != "" {
		where = "-n " + w.Namespace + " "
	}
	return where + strings.ToLower(kind.Kind) + "/" + w.Name, true
}
