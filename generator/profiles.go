package generator

import (
	"fmt"
	"slices"

	corev1 "k8s.io/api/core/v1"
)

// ProfileName names a security profile, with kubectl debug's meanings.
type ProfileName string

// The security profiles.
const (
	// ProfileGeneral adds SYS_PTRACE so debuggers and strace work.
	ProfileGeneral ProfileName = "general"
	// ProfileBaseline adds nothing and fits Pod Security "baseline".
	ProfileBaseline ProfileName = "baseline"
	// ProfileRestricted fits Pod Security "restricted".
	ProfileRestricted ProfileName = "restricted"
	// ProfileNetadmin adds NET_ADMIN and NET_RAW.
	ProfileNetadmin ProfileName = "netadmin"
	// ProfileSysadmin runs privileged.
	ProfileSysadmin ProfileName = "sysadmin"
)

// Profile sets a container's security context.
type Profile interface {
	Apply(c *corev1.Container, runAsUser int64)
}

type profileFunc func(c *corev1.Container, runAsUser int64)

func (f profileFunc) Apply(c *corev1.Container, runAsUser int64) { f(c, runAsUser) }

var profiles = map[ProfileName]Profile{
	ProfileGeneral: profileFunc(func(c *corev1.Container, _ int64) {
		addCapabilities(c, "SYS_PTRACE")
	}),
	ProfileBaseline: profileFunc(func(*corev1.Container, int64) {}),
	ProfileRestricted: profileFunc(func(c *corev1.Container, runAsUser int64) {
		runAsNonRoot(c, runAsUser)
		dropAllCapabilities(c)
		disallowPrivilegeEscalation(c)
		seccompRuntimeDefault(c)
	}),
	ProfileNetadmin: profileFunc(func(c *corev1.Container, _ int64) {
		addCapabilities(c, "NET_ADMIN", "NET_RAW")
	}),
	ProfileSysadmin: profileFunc(func(c *corev1.Container, _ int64) {
		securityContext(c).Privileged = ptr(true)
	}),
}

// ProfileNames lists the valid profile names, sorted.
func ProfileNames() []ProfileName {
	names := make([]ProfileName, 0, len(profiles))
	for n := range profiles {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// LookupProfile returns the named profile, or an error listing the valid names.
func LookupProfile(name ProfileName) (Profile, error) {
	p, ok := profiles[name]
	if !ok {
		return nil, fmt.Errorf("unknown profile %q (valid: %s)", name, joinNames(ProfileNames()))
	}
	return p, nil
}

func securityContext(c *corev1.Container) *corev1.SecurityContext {
	if c.SecurityContext == nil {
		c.SecurityContext = &corev1.SecurityContext{}
	}
	return c.SecurityContext
}

func addCapabilities(c *corev1.Container, caps ...corev1.Capability) {
	sc := securityContext(c)
	if sc.Capabilities == nil {
		sc.Capabilities = &corev1.Capabilities{}
	}
	sc.Capabilities.Add = append(sc.Capabilities.Add, caps...)
}

func dropAllCapabilities(c *corev1.Container) {
	sc := securityContext(c)
	if sc.Capabilities == nil {
		sc.Capabilities = &corev1.Capabilities{}
	}
	sc.Capabilities.Drop = []corev1.Capability{"ALL"}
}

// runAsNonRoot needs a numeric user: with only runAsNonRoot, the kubelet
// refuses images whose user is root, as alpine's and busybox's are.
func runAsNonRoot(c *corev1.Container, uid int64) {
	sc := securityContext(c)
	sc.RunAsNonRoot = ptr(true)
	sc.RunAsUser = ptr(uid)
}

func disallowPrivilegeEscalation(c *corev1.Container) {
	securityContext(c).AllowPrivilegeEscalation = ptr(false)
}

func seccompRuntimeDefault(c *corev1.Container) {
	securityContext(c).SeccompProfile = &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault}
}
