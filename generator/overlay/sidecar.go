package overlay

import (
	"cmp"
	"slices"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/utils/ptr"
)

// debugContainer is the debug container a pod gets, whether the overlay
// adds it to a pod template (Apply) or to a running pod as an ephemeral
// container (Ephemeral): the preset and the configuration, the mounts of
// the target containers (all when names is empty), with the volumes of
// rename mounted as their copies, the environment their subPathExpr
// mounts expand with, and profile p's security context for the target's
// user (applyProfile). It returns whom it runs as, and notes worth telling.
func (o *Overlay) debugContainer(p Profile, pod *corev1.PodSpec, names []string, rename map[string]string, native bool) (corev1.Container, string, []string) {
	cfg := o.cfg.Sidecar
	var mounts []corev1.VolumeMount
	var notes []string
	if *cfg.MirrorMounts {
		mounts, notes = mirrorMounts(pod, names, rename, p.Privileged())
	}
	c := buildSidecar(cfg, o.preset, mounts, native)
	if *cfg.MirrorMounts {
		env, envNotes := expansionEnv(pod, names)
		notes = append(notes, envNotes...)
		for _, e := range env {
			if !slices.ContainsFunc(c.Env, func(have corev1.EnvVar) bool { return have.Name == e.Name }) {
				c.Env = append(c.Env, e)
			}
		}
	}
	user := o.applyProfile(p, pod, &c, names)
	return c, user, notes
}

// shell is the shell people exec into in the debug container.
func (o *Overlay) shell() string { return cmp.Or(o.cfg.Sidecar.Shell, o.preset.Shell) }

// buildSidecar assembles the debug container from the configuration and its
// preset; the profile and the user come from the pod (see debugContainer).
func buildSidecar(s Sidecar, preset Preset, mounts []corev1.VolumeMount, native bool) corev1.Container {
	c := corev1.Container{
		Name:            s.Name,
		Image:           cmp.Or(s.Image, preset.Image),
		Command:         s.Command,
		Args:            s.Args,
		Env:             s.Env,
		ImagePullPolicy: s.ImagePullPolicy,
		VolumeMounts:    mounts,
	}
	if len(c.Command) == 0 {
		// sh, not the preset's shell: every preset image has one, and the
		// idle loop needs nothing more.
		c.Command = IdleCommand("sh")
	}
	if s.Resources != nil {
		c.Resources = *s.Resources
	}
	if native {
		c.RestartPolicy = ptr.To(corev1.ContainerRestartPolicyAlways)
	}
	return c
}

// useNative decides whether the sidecar is a native sidecar.
func useNative(mode NativeMode, kind WorkloadKind, hook bool, restartPolicy corev1.RestartPolicy) bool {
	switch mode {
	case NativeAlways:
		return true
	case NativeNever:
		return false
	}
	return runsToCompletion(kind, hook, restartPolicy)
}

// runsToCompletion reports whether a pod is meant to finish, which a classic
// sidecar that idles forever would keep it from doing.
func runsToCompletion(kind WorkloadKind, hook bool, restartPolicy corev1.RestartPolicy) bool {
	return kind.Completes || hook || restartPolicy == corev1.RestartPolicyNever || restartPolicy == corev1.RestartPolicyOnFailure
}
