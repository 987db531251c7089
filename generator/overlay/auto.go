package overlay

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/utils/ptr"
)

// ProfileAuto is not a profile of its own: it chooses, per pod, the most
// capable profile of the ladder restricted < baseline < general that the
// pod's Pod Security level admits (issue 25). netadmin and sysadmin are
// never chosen: they stay explicit.
const ProfileAuto ProfileName = "auto"

// ProfileChoices lists what sidecar.profile takes: the profiles and auto,
// sorted.
func ProfileChoices() []ProfileName {
	return slices.Sorted(slices.Values(append(ProfileNames(), ProfileAuto)))
}

// CheckProfileChoice returns an error listing the choices when name is
// neither a profile nor auto.
func CheckProfileChoice(name ProfileName) error {
	if name == ProfileAuto {
		return nil
	}
	if _, ok := profiles[name]; !ok {
		return fmt.Errorf("unknown profile %q (valid: %s)", name, JoinNames(ProfileChoices()))
	}
	return nil
}

// AutoLadder lists the profiles auto chooses from, the least capable
// first: those the profile table marks, which add nothing a look at a pod
// needs beyond SYS_PTRACE.
func AutoLadder() []ProfileName {
	return slices.DeleteFunc(ProfilesByRank(), func(n ProfileName) bool { return !profiles[n].(profile).auto })
}

// The namespace labels by which Pod Security enforces a level, and the
// version of it.
const (
	EnforceLabel        = "pod-security.kubernetes.io/enforce"
	EnforceVersionLabel = "pod-security.kubernetes.io/enforce-version"
)

// PodSecurityLevels lists the levels, from the least permissive.
var PodSecurityLevels = []PodSecurityLevel{LevelRestricted, LevelBaseline, LevelPrivileged}

// Admits reports whether a namespace enforcing l admits what needs level
// need.
func (l PodSecurityLevel) Admits(need PodSecurityLevel) bool {
	return slices.Index(PodSecurityLevels, need) <= slices.Index(PodSecurityLevels, l)
}

// PodSecurity is the Pod Security level a pod is to meet, and where that
// was read. Its zero value is an unknown level.
type PodSecurity struct {
	// Level is "" when unknown.
	Level PodSecurityLevel
	// Version is the version of the level's checks: "latest" or "v1.N".
	Version string
	// From says where the level was read, for people: "label
	// pod-security.kubernetes.io/enforce of Namespace shop".
	From string
	// Notes say how a label was read when Pod Security reads it otherwise
	// than it is written: an invalid level, an invalid version.
	Notes []string
}

// Known reports whether the level is known.
func (s PodSecurity) Known() bool { return s.Level != "" }

// String writes the level as Pod Security does in its messages,
// "restricted:latest", or "unknown".
func (s PodSecurity) String() string {
	if s.Level == "" {
		return "unknown"
	}
	return string(s.Level) + ":" + s.Version
}

// versionPattern is the form of a valid enforce-version (Pod Security's
// api.ParseVersion).
var versionPattern = regexp.MustCompile(`^v1\.([0-9]|[1-9][0-9]*)$`)

// NamespacePodSecurity reads the level a namespace's labels enforce, as
// Pod Security reads them: an invalid level is enforced as restricted,
// an invalid version as latest, a missing version is latest; a namespace
// without the enforce label has an unknown level (the cluster's default
// is not visible in it). namespace names it in From.
func NamespacePodSecurity(namespace string, labels map[string]string) PodSecurity {
	level, ok := labels[EnforceLabel]
	if !ok {
		return PodSecurity{}
	}
	s := PodSecurity{Level: PodSecurityLevel(level), Version: "latest", From: fmt.Sprintf("label %s of Namespace %s", EnforceLabel, namespace)}
	if !slices.Contains(PodSecurityLevels, s.Level) {
		s.Level = LevelRestricted
		s.Notes = append(s.Notes, fmt.Sprintf("label %s=%q of Namespace %s is not a level (valid: %s): Pod Security enforces restricted then",
			EnforceLabel, level, namespace, JoinNames(PodSecurityLevels)))
	}
	if v, ok := labels[EnforceVersionLabel]; ok {
		if v == "latest" || versionPattern.MatchString(v) {
			s.Version = v
		} else {
			s.Notes = append(s.Notes, fmt.Sprintf(`label %s=%q of Namespace %s is not "latest" or "v1.N": Pod Security enforces the latest version then`,
				EnforceVersionLabel, v, namespace))
		}
	}
	return s
}

// SetNamespaces tells the overlay the Pod Security level of namespaces,
// by name: profile auto uses the level of a pod's namespace when it is
// known here.
func (o *Overlay) SetNamespaces(levels map[string]PodSecurity) { o.namespaces = levels }

// Choice is the profile one pod's debug container gets, whom it runs as,
// and why.
type Choice struct {
	// Profile is the profile applied: the configured one, or auto's choice.
	Profile ProfileName
	// Auto says auto chose it, for the level in Security.
	Auto bool
	// Security is the level auto chose for (zero for a named profile, but
	// when a known level does not admit it).
	Security PodSecurity
	// User says whom the debug container runs as and where that was read,
	// "" when it runs as its image's user.
	User string
}

// String says what was chosen, for people: "general", or "auto: baseline,
// for Pod Security baseline:latest (label ... of Namespace shop)".
func (c Choice) String() string {
	if !c.Auto {
		return string(c.Profile)
	}
	return fmt.Sprintf("auto: %s, for Pod Security %s (%s)", c.Profile, c.Security, c.Security.From)
}

// Cost says what the chosen profile cannot do that the general profile
// can, "" when nothing.
func (c Choice) Cost() string {
	if p, ok := profiles[c.Profile].(profile); ok {
		return p.cost
	}
	return ""
}

// choose picks the profile of one pod: the configured one, or for auto
// the most capable rung its level admits. The level is the namespace's,
// when known (a Namespace document of the stream, a namespace label read
// by attach), else spec.podSecurity, else inferred from the pod.
func (o *Overlay) choose(namespace string, pod *corev1.PodSpec) (Profile, Choice, []string) {
	sec, notes := o.security(namespace, pod)
	if o.cfg.Sidecar.Profile != ProfileAuto {
		ch := Choice{Profile: o.cfg.Sidecar.Profile}
		if sec.Known() && sec.From != fromInferred && !sec.Level.Admits(o.profile.Level()) {
			ch.Security = sec
			notes = append(notes, fmt.Sprintf("profile %s needs Pod Security %s, but the pod is to meet %s (%s): Pod Security will refuse it; profile %s chooses what the level admits",
				ch.Profile, o.profile.Level(), sec, sec.From, ProfileAuto))
		}
		return o.profile, ch, notes
	}
	ch := AutoChoice(sec)
	return profiles[ch.Profile], ch, notes
}

// AutoChoice is what profile auto chooses for a known level: the most
// capable rung of AutoLadder that the level admits.
func AutoChoice(sec PodSecurity) Choice {
	ladder := AutoLadder()
	name := ladder[0]
	for _, n := range ladder {
		if sec.Level.Admits(profiles[n].Level()) {
			name = n
		}
	}
	return Choice{Profile: name, Auto: true, Security: sec}
}

// fromInferred is the From of a level inferred from the pod.
const fromInferred = "inferred from the pod"

// security is the level a pod is to meet, as far as it is known: see
// choose. The pod's own is inferred only for auto.
func (o *Overlay) security(namespace string, pod *corev1.PodSpec) (PodSecurity, []string) {
	if sec, ok := o.namespaces[namespace]; ok && namespace != "" && sec.Known() {
		return sec, sec.Notes
	}
	if l := o.cfg.PodSecurity; l != "" {
		return PodSecurity{Level: l, Version: "latest", From: "spec.podSecurity"}, nil
	}
	if o.cfg.Sidecar.Profile != ProfileAuto {
		return PodSecurity{}, nil
	}
	if why := notWrittenForRestricted(pod); why != "" {
		return PodSecurity{Level: LevelPrivileged, Version: "latest", From: fromInferred + ", which is not written for restricted (" + why +
			"); set spec.podSecurity (--pod-security) where the namespace enforces baseline"}, nil
	}
	return PodSecurity{Level: LevelRestricted, Version: "latest", From: fromInferred + ", which is written for restricted"}, nil
}

// notWrittenForRestricted says why a pod is not written for Pod Security
// "restricted" (every container runs as non-root with every capability
// dropped, no privilege escalation and the RuntimeDefault or a Localhost
// seccomp profile), "" when it is.
func notWrittenForRestricted(pod *corev1.PodSpec) string {
	psc := ptr.Deref(pod.SecurityContext, corev1.PodSecurityContext{})
	for _, c := range slices.Concat(pod.InitContainers, pod.Containers) {
		csc := ptr.Deref(c.SecurityContext, corev1.SecurityContext{})
		seccomp := csc.SeccompProfile
		if seccomp == nil {
			seccomp = psc.SeccompProfile
		}
		switch {
		case !ptr.Deref(csc.RunAsNonRoot, ptr.Deref(psc.RunAsNonRoot, false)):
			return fmt.Sprintf("container %q may run as root: no runAsNonRoot", c.Name)
		case csc.Capabilities == nil || !slices.Contains(csc.Capabilities.Drop, "ALL"):
			return fmt.Sprintf("container %q does not drop ALL capabilities", c.Name)
		case !ptr.Equal(csc.AllowPrivilegeEscalation, ptr.To(false)):
			return fmt.Sprintf("container %q does not set allowPrivilegeEscalation: false", c.Name)
		case seccomp == nil || seccomp.Type != corev1.SeccompProfileTypeRuntimeDefault && seccomp.Type != corev1.SeccompProfileTypeLocalhost:
			return fmt.Sprintf("container %q has no RuntimeDefault or Localhost seccomp profile", c.Name)
		}
	}
	return ""
}

// identity is whom the first target container runs as, as far as the pod
// spec says: its own runAsUser and runAsGroup, else the pod's (a
// container's value wins, as in Kubernetes).
type identity struct {
	uid, gid *int64
	// own says the container sets them itself; a debug container
	// inherits only the pod's.
	ownUID, ownGID bool
	// uidFrom and gidFrom say where they were read.
	uidFrom, gidFrom string
}

// targetIdentity reads the identity of the first target container.
func targetIdentity(pod *corev1.PodSpec, names []string) identity {
	var id identity
	psc := ptr.Deref(pod.SecurityContext, corev1.PodSecurityContext{})
	var csc corev1.SecurityContext
	name := ""
	if ts := targets(pod, names); len(ts) > 0 {
		csc, name = ptr.Deref(ts[0].SecurityContext, corev1.SecurityContext{}), ts[0].Name
	}
	switch {
	case csc.RunAsUser != nil:
		id.uid, id.ownUID, id.uidFrom = csc.RunAsUser, !ptr.Equal(csc.RunAsUser, psc.RunAsUser), fmt.Sprintf("runAsUser of container %q", name)
	case psc.RunAsUser != nil:
		id.uid, id.uidFrom = psc.RunAsUser, "runAsUser of the pod"
	}
	switch {
	case csc.RunAsGroup != nil:
		id.gid, id.ownGID, id.gidFrom = csc.RunAsGroup, !ptr.Equal(csc.RunAsGroup, psc.RunAsGroup), fmt.Sprintf("runAsGroup of container %q", name)
	case psc.RunAsGroup != nil:
		id.gid, id.gidFrom = psc.RunAsGroup, "runAsGroup of the pod"
	}
	return id
}

// runAsUser picks the user for containers that must not run as root: the
// first target container's, else the pod's, else the configured default.
func runAsUser(pod *corev1.PodSpec, names []string, fallback int64) int64 {
	if id := targetIdentity(pod, names); id.uid != nil && *id.uid > 0 {
		return *id.uid
	}
	return fallback
}

// applyProfile gives the debug container c the profile's security context
// and the target container's user and group, so that it can read what the
// target can: its runAsUser and runAsGroup where it sets its own (c
// inherits the pod's), root only where the profile and the pod allow it
// and the target runs as root; where the container must not run as root
// and no user is known, sidecar.runAsUser. The pod's fsGroup and
// supplementalGroups are the pod's: c has them too. It returns whom c
// runs as, for people.
func (o *Overlay) applyProfile(p Profile, pod *corev1.PodSpec, c *corev1.Container, names []string) string {
	fallback := *o.cfg.Sidecar.RunAsUser
	p.Apply(pod, c, false, runAsUser(pod, names, fallback))
	id := targetIdentity(pod, names)
	sc := securityContext(c)
	if sc.RunAsUser == nil && id.ownUID {
		sc.RunAsUser = id.uid
	}
	if id.ownGID {
		sc.RunAsGroup = id.gid
	}
	if *sc == (corev1.SecurityContext{}) {
		c.SecurityContext = nil
	}
	var who, from []string
	switch uid := sc.RunAsUser; {
	case uid != nil && id.uid != nil && *uid == *id.uid:
		who, from = append(who, fmt.Sprint(*uid)), append(from, id.uidFrom)
	case uid != nil:
		who, from = append(who, fmt.Sprint(*uid)), append(from, "sidecar.runAsUser: the profile runs it as non-root, and the target's user is root or not known")
	case id.uid != nil:
		who, from = append(who, fmt.Sprint(*id.uid)), append(from, id.uidFrom)
	default:
		return "the image's user (the pod spec names none)"
	}
	if id.gid != nil {
		who[0] += fmt.Sprintf(":%d", *id.gid)
		from = append(from, id.gidFrom)
	}
	s := fmt.Sprintf("%s (%s)", who[0], strings.Join(from, ", "))
	if psc := pod.SecurityContext; psc != nil && (psc.FSGroup != nil || len(psc.SupplementalGroups) > 0) {
		var groups []string
		if psc.FSGroup != nil {
			groups = append(groups, fmt.Sprintf("fsGroup %d", *psc.FSGroup))
		}
		for _, g := range psc.SupplementalGroups {
			groups = append(groups, fmt.Sprint(g))
		}
		s += ", in the pod's groups " + strings.Join(groups, ", ")
	}
	return s
}
