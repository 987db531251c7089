package overlay

import (
	corev1 "k8s.io/api/core/v1"
	"k8s.io/utils/ptr"
)

// buildSidecar assembles the debug container from the configuration and its
// preset; the profile and the user come from the pod (see overlay.apply).
func buildSidecar(s Sidecar, preset Preset, mounts []corev1.VolumeMount, native bool) corev1.Container {
	c := corev1.Container{
		Name:            s.Name,
		Image:           firstNonEmpty(s.Image, preset.Image),
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
	return kind.isJobLike() || hook || restartPolicy == corev1.RestartPolicyNever || restartPolicy == corev1.RestartPolicyOnFailure
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}
