package overlay

import (
	"fmt"
	"maps"
	"slices"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/utils/ptr"
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

// Profile sets the security context of the containers the overlay adds to
// a pod, as kubectl debug's profiles do.
type Profile interface {
	// Apply sets it on c, which the overlay adds to pod: the debug
	// container, or, with helper true, a container that only serves it
	// (the copy init container), which gets no more than Pod Security
	// asks. A pod that runs as non-root gets containers that do, as user.
	Apply(pod *corev1.PodSpec, c *corev1.Container, helper bool, user int64)
	// Privileged reports whether the debug container runs privileged.
	Privileged() bool
	// Rank orders the profiles by what they allow the debug container,
	// from least (restricted, 0) to most (sysadmin).
	Rank() int
	// Level is the least Pod Security level that admits the debug
	// container.
	Level() PodSecurityLevel
}

// PodSecurityLevel is a level of the Pod Security Standards.
type PodSecurityLevel string

// The Pod Security levels, from most to least permissive.
const (
	LevelPrivileged PodSecurityLevel = "privileged"
	LevelBaseline   PodSecurityLevel = "baseline"
	LevelRestricted PodSecurityLevel = "restricted"
)

// profile is a Profile: what the debug container gets, whether its helpers
// get it too, and where it stands among the others.
type profile struct {
	debug      func(c *corev1.Container, user int64)
	helpers    bool // Pod Security checks every container, helpers too
	privileged bool
	rank       int
	level      PodSecurityLevel
	// auto says profile auto may choose it; cost says what it cannot do
	// that the general profile can.
	auto bool
	cost string
}

func (p profile) Apply(pod *corev1.PodSpec, c *corev1.Container, helper bool, user int64) {
	if !helper || p.helpers {
		p.debug(c, user)
	}
	if sc := pod.SecurityContext; sc != nil && ptr.Deref(sc.RunAsNonRoot, false) {
		runAsNonRoot(c, user)
	}
}

func (p profile) Privileged() bool        { return p.privileged }
func (p profile) Rank() int               { return p.rank }
func (p profile) Level() PodSecurityLevel { return p.level }

// profiles are the profiles by rank. Pod Security "baseline" admits no
// added capability beyond a short list, which has neither SYS_PTRACE nor
// NET_ADMIN and NET_RAW.
var profiles = map[ProfileName]Profile{
	ProfileRestricted: profile{rank: 0, level: LevelRestricted, helpers: true, auto: true, cost: "no SYS_PTRACE (no strace, no gdb attach), " +
		"and it runs as a non-root user with every capability dropped: it reads only what that user may", debug: func(c *corev1.Container, user int64) {
		runAsNonRoot(c, user)
		dropAllCapabilities(c)
		disallowPrivilegeEscalation(c)
		seccompRuntimeDefault(c)
	}},
	ProfileBaseline: profile{rank: 1, level: LevelBaseline, auto: true, cost: "no SYS_PTRACE (no strace, no gdb attach)", debug: func(*corev1.Container, int64) {}},
	ProfileGeneral: profile{rank: 2, level: LevelPrivileged, auto: true, debug: func(c *corev1.Container, _ int64) {
		addCapabilities(c, "SYS_PTRACE")
	}},
	ProfileNetadmin: profile{rank: 3, level: LevelPrivileged, debug: func(c *corev1.Container, _ int64) {
		addCapabilities(c, "NET_ADMIN", "NET_RAW")
	}},
	ProfileSysadmin: profile{rank: 4, level: LevelPrivileged, privileged: true, debug: func(c *corev1.Container, _ int64) {
		securityContext(c).Privileged = ptr.To(true)
	}},
}

// ProfileNames lists the valid profile names, sorted.
func ProfileNames() []ProfileName {
	return slices.Sorted(maps.Keys(profiles))
}

// ProfilesByRank lists the profile names from the least capable to the
// most.
func ProfilesByRank() []ProfileName {
	names := ProfileNames()
	slices.SortFunc(names, func(a, b ProfileName) int { return profiles[a].Rank() - profiles[b].Rank() })
	return names
}

// LookupProfile returns the named profile, or an error listing the valid names.
func LookupProfile(name ProfileName) (Profile, error) {
	p, ok := profiles[name]
	if !ok {
		return nil, fmt.Errorf("unknown profile %q (valid: %s)", name, JoinNames(ProfileNames()))
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
	sc.RunAsNonRoot = ptr.To(true)
	sc.RunAsUser = ptr.To(uid)
}

func disallowPrivilegeEscalation(c *corev1.Container) {
	securityContext(c).AllowPrivilegeEscalation = ptr.To(false)
}

func seccompRuntimeDefault(c *corev1.Container) {
	securityContext(c).SeccompProfile = &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault}
}
