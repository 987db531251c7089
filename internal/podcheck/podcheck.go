// Package podcheck holds what tests check of the pod specs the overlay
// writes, short of an API server: the validation rules the overlay could
// break, and Pod Security "restricted" for one container. Only tests
// import it; the API server tests (test/apiserver) check the real thing.
package podcheck

import (
	"fmt"
	"path"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation"
)

// SpecProblems checks unique container and volume names (DNS labels),
// mounts of existing volumes at distinct absolute paths, Bidirectional
// propagation only when privileged, hostPID without shareProcessNamespace,
// and restartPolicy only on init containers, as Always.
func SpecProblems(pod *corev1.PodSpec, claims []string) []string {
	var problems []string
	bad := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	volumes := map[string]bool{}
	for _, c := range claims {
		volumes[c] = true
	}
	for _, v := range pod.Volumes {
		if volumes[v.Name] {
			bad("volume %q is defined twice", v.Name)
		}
		volumes[v.Name] = true
		if msgs := validation.IsDNS1123Label(v.Name); len(msgs) > 0 {
			bad("volume name %q: %s", v.Name, strings.Join(msgs, "; "))
		}
	}
	names := map[string]bool{}
	all := append(slices.Clone(pod.InitContainers), pod.Containers...)
	for i, c := range all {
		init := i < len(pod.InitContainers)
		if names[c.Name] {
			bad("container name %q is used twice", c.Name)
		}
		names[c.Name] = true
		if msgs := validation.IsDNS1123Label(c.Name); len(msgs) > 0 {
			bad("container name %q: %s", c.Name, strings.Join(msgs, "; "))
		}
		if c.RestartPolicy != nil && (!init || *c.RestartPolicy != corev1.ContainerRestartPolicyAlways) {
			bad("container %q: restartPolicy %s is only valid on init containers, as Always", c.Name, *c.RestartPolicy)
		}
		paths := map[string]bool{}
		privileged := c.SecurityContext != nil && c.SecurityContext.Privileged != nil && *c.SecurityContext.Privileged
		for _, m := range c.VolumeMounts {
			if !volumes[m.Name] {
				bad("container %q mounts volume %q, which does not exist", c.Name, m.Name)
			}
			p := path.Clean(m.MountPath)
			if paths[p] {
				bad("container %q mounts two volumes at %s", c.Name, m.MountPath)
			}
			paths[p] = true
			if !path.IsAbs(m.MountPath) {
				bad("container %q: mountPath %q is not absolute", c.Name, m.MountPath)
			}
			if m.MountPropagation != nil && *m.MountPropagation == corev1.MountPropagationBidirectional && !privileged {
				bad("container %q: Bidirectional propagation at %s without privileged", c.Name, m.MountPath)
			}
		}
	}
	if pod.HostPID && pod.ShareProcessNamespace != nil && *pod.ShareProcessNamespace {
		bad("hostPID and shareProcessNamespace are both set")
	}
	return problems
}

// RestrictedProblems reports what keeps a container from the Pod Security
// "restricted" level, as far as the container decides it.
func RestrictedProblems(c corev1.Container) []string {
	var problems []string
	sc := c.SecurityContext
	if sc == nil {
		return []string{"no securityContext"}
	}
	if sc.RunAsNonRoot == nil || !*sc.RunAsNonRoot {
		problems = append(problems, "runAsNonRoot is not true")
	}
	if sc.RunAsUser == nil || *sc.RunAsUser == 0 {
		problems = append(problems, "no numeric non-root runAsUser")
	}
	if sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation {
		problems = append(problems, "allowPrivilegeEscalation is not false")
	}
	if sc.Capabilities == nil || !slices.Equal(sc.Capabilities.Drop, []corev1.Capability{"ALL"}) {
		problems = append(problems, "capabilities do not drop ALL")
	} else if len(sc.Capabilities.Add) > 0 {
		problems = append(problems, "capabilities are added")
	}
	if sc.SeccompProfile == nil || sc.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
		problems = append(problems, "seccompProfile is not RuntimeDefault")
	}
	if sc.Privileged != nil && *sc.Privileged {
		problems = append(problems, "privileged")
	}
	return problems
}
