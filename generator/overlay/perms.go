package overlay

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/utils/ptr"
)

// Perm is a permission mode from 0 to 0777, as Kubernetes' defaultMode. In
// YAML it is written in octal with a leading zero (0600), which YAML reads
// as the number 384; JSON has no octal numbers, so there it is 384. A string
// of octal digits ("0600", "600") is read as octal too: Helm's --set passes
// a value with a leading zero as a string.
type Perm int32

// maxPerm is the largest Perm: no setuid, setgid or sticky bit.
const maxPerm Perm = 0o777

// String writes the mode in octal with a leading zero, as 0600.
func (m Perm) String() string { return fmt.Sprintf("%04o", int32(m)) }

// UnmarshalJSON reads a number, or a string of octal digits.
func (m *Perm) UnmarshalJSON(data []byte) error {
	var s string
	if err := json.Unmarshal(data, &s); err == nil {
		v, err := ParsePerm(s)
		if err != nil {
			return err
		}
		*m = v
		return nil
	}
	var n int32
	if err := json.Unmarshal(data, &n); err != nil {
		return fmt.Errorf("mode %s: want a number or a string of octal digits, such as 0600", data)
	}
	*m = Perm(n)
	return nil
}

// ParsePerm reads a mode written in octal digits, with or without the
// leading zero ("0600", "600"), as chmod does.
func ParsePerm(s string) (Perm, error) {
	v, err := strconv.ParseUint(s, 8, 32)
	if err != nil || s == "" || s[0] == '+' {
		return 0, fmt.Errorf("mode %q: want octal digits, such as 0600", s)
	}
	if v > uint64(maxPerm) {
		return 0, fmt.Errorf("mode %q: more than 0777 (setuid, setgid and sticky bits are not set on copies)", s)
	}
	return Perm(v), nil
}

// validPerm reports what is wrong with a mode, "" when nothing.
func validPerm(m Perm) string {
	switch {
	case m < 0:
		return fmt.Sprintf("%d is not a mode: modes are 0 to 0777, written in octal with a leading zero, as 0600", m)
	case m > maxPerm:
		// 600 in YAML or JSON is decimal: octal 01130.
		return fmt.Sprintf("%d is octal %#o, more than 0777: write modes in octal, digits 0 to 7 with a leading zero, as 0600 (setuid, setgid and sticky bits are not set on copies)", m, m)
	}
	return ""
}

// Owner says who owns the copies of a volume: OwnerApp, a numeric user ID
// "UID", or "UID:GID". A number in YAML (owner: 1000) is that user.
type Owner string

// OwnerApp gives the copies to the user and group the app containers run
// as: their runAsUser (else the pod's) and runAsGroup (else the pod's, else
// the pod's fsGroup), read from the pod spec when the overlay is applied.
const OwnerApp Owner = "app"

// maxID is the largest user or group ID Kubernetes accepts in runAsUser,
// runAsGroup and fsGroup.
const maxID = math.MaxInt32

// UnmarshalJSON reads a string, or a whole number as a user ID.
func (o *Owner) UnmarshalJSON(data []byte) error {
	var s string
	if err := json.Unmarshal(data, &s); err == nil {
		*o = Owner(s)
		return nil
	}
	var n int64
	if err := json.Unmarshal(data, &n); err != nil {
		return fmt.Errorf("owner %s: want app, a user ID or UID:GID", data)
	}
	*o = Owner(strconv.FormatInt(n, 10))
	return nil
}

// ids returns the user and group of a numeric owner; group is nil for
// "UID". It fails for OwnerApp and for anything else.
func (o Owner) ids() (user int64, group *int64, err error) {
	u, g, hasGroup := strings.Cut(string(o), ":")
	if user, err = parseID(u, "user"); err != nil {
		return 0, nil, err
	}
	if !hasGroup {
		return user, nil, nil
	}
	gid, err := parseID(g, "group")
	if err != nil {
		return 0, nil, err
	}
	return user, &gid, nil
}

// parseID reads a numeric user or group ID.
func parseID(s, what string) (int64, error) {
	v, err := strconv.ParseInt(s, 10, 64)
	switch {
	case errors.Is(err, strconv.ErrRange):
		return 0, fmt.Errorf("%s ID %s is out of range: %s IDs are 0 to %d", what, s, what, maxID)
	case err != nil || s[0] == '+':
		return 0, fmt.Errorf("%s %q is not a number: names cannot be used, since the image's /etc/passwd and /etc/group are not known when the overlay is applied", what, s)
	case v < 0 || v > maxID:
		return 0, fmt.Errorf("%s ID %d is out of range: %s IDs are 0 to %d", what, v, what, maxID)
	}
	return v, nil
}

// validate reports what is wrong with an owner, nil when nothing.
func (o Owner) validate() error {
	if o == OwnerApp {
		return nil
	}
	if _, _, err := o.ids(); err != nil {
		return fmt.Errorf("%q: want app, UID or UID:GID: %w", string(o), err)
	}
	return nil
}

// copyUser is the user the copy init container runs as when a copied
// volume names an owner: the copies it makes are that user's without a
// chown, and the user may chmod them without any capability.
type copyUser struct {
	uid int64
	// gid is the group the copies get, nil for the container's own: the
	// pod's fsGroup when it has one (kubelet makes the emptyDir setgid to
	// it), else its runAsGroup, else the image's group of the user.
	gid *int64
	// field names the owner that was asked, for messages:
	// "copy.volumes[1].owner".
	field string
	// from says, for owner app, where the IDs were read.
	from string
}

// String writes the owner as the copies get it: "1000:2000", or "1000" and
// where the group comes from.
func (u copyUser) String() string {
	if u.gid != nil {
		return fmt.Sprintf("%d:%d", u.uid, *u.gid)
	}
	return strconv.FormatInt(u.uid, 10)
}

// describe says who u is, for a message: "user 0", and for owner app where
// that was read.
func (u copyUser) describe() string {
	s := "user " + u.String()
	if u.from != "" {
		s += ", " + u.from
	}
	return s
}

// resolveOwner reads the owner of copied volume cv in pod: numeric IDs as
// they are, OwnerApp from the securityContext of the app containers that
// mount the volume (those among the target containers; all target
// containers when none of them does).
func resolveOwner(cv CopyVolume, field string, pod *corev1.PodSpec, targetNames []string) (copyUser, error) {
	u := copyUser{field: field}
	psc := ptr.Deref(pod.SecurityContext, corev1.PodSecurityContext{})
	if cv.Owner != OwnerApp {
		uid, gid, err := cv.Owner.ids()
		u.uid, u.gid = uid, gid
		if gid == nil {
			// The group is the container's: see copyUser.gid.
			switch {
			case psc.FSGroup != nil:
				u.from = fmt.Sprintf("group %d: fsGroup of the pod", *psc.FSGroup)
			case psc.RunAsGroup != nil:
				u.from = fmt.Sprintf("group %d: runAsGroup of the pod", *psc.RunAsGroup)
			default:
				u.from = "group: the image's for that user"
			}
		}
		return u, err
	}
	apps := targets(pod, targetNames)
	var mounting []*corev1.Container
	for _, c := range apps {
		if slices.ContainsFunc(c.VolumeMounts, func(m corev1.VolumeMount) bool { return m.Name == cv.Name }) {
			mounting = append(mounting, c)
		}
	}
	if len(mounting) > 0 {
		apps = mounting
	}
	var first *appUser
	for _, c := range apps {
		a := appUserOf(c, psc)
		if a.uid == nil {
			return u, fmt.Errorf("app, but container %q has no runAsUser, nor has the pod: it runs as its image's user, which is not known when the overlay is applied; set runAsUser, or give the owner as UID or UID:GID", c.Name)
		}
		if first == nil {
			first = &a
			continue
		}
		if *a.uid != *first.uid || !ptr.Equal(a.gid, first.gid) {
			return u, fmt.Errorf("app, but the app containers run as different users, %q as %s and %q as %s; give the owner as UID or UID:GID, or name one container in targets[].containers",
				first.name, *first, c.Name, a)
		}
	}
	if first == nil {
		return u, errors.New("app, but the pod has no app container")
	}
	u.uid, u.gid = *first.uid, first.gid
	u.from = "app: " + first.from
	return u, nil
}

// appUser is who one app container runs as, as far as its pod spec says.
type appUser struct {
	name     string
	uid, gid *int64
	from     string
}

// appUserOf reads c's user and group, falling back to the pod's.
func appUserOf(c *corev1.Container, psc corev1.PodSecurityContext) appUser {
	a := appUser{name: c.Name}
	csc := ptr.Deref(c.SecurityContext, corev1.SecurityContext{})
	var from []string
	switch {
	case csc.RunAsUser != nil:
		a.uid = csc.RunAsUser
		from = append(from, fmt.Sprintf("runAsUser of container %q", c.Name))
	case psc.RunAsUser != nil:
		a.uid = psc.RunAsUser
		from = append(from, "runAsUser of the pod")
	}
	switch {
	case csc.RunAsGroup != nil:
		a.gid = csc.RunAsGroup
		from = append(from, fmt.Sprintf("runAsGroup of container %q", c.Name))
	case psc.RunAsGroup != nil:
		a.gid = psc.RunAsGroup
		from = append(from, "runAsGroup of the pod")
	case psc.FSGroup != nil:
		a.gid = psc.FSGroup
		from = append(from, "fsGroup of the pod")
	}
	a.from = strings.Join(from, ", ")
	return a
}

// String writes a's user and group for a message, as UID or UID:GID.
func (a appUser) String() string {
	if a.gid == nil {
		return strconv.FormatInt(*a.uid, 10)
	}
	return fmt.Sprintf("%d:%d", *a.uid, *a.gid)
}

// planCopyUser picks the user the copy init container runs as: the owner
// the pod's copied volumes ask for, nil when none asks. One container
// copies every volume of the pod, so the owners they ask for must agree,
// and the copies of volumes that ask for none belong to that user too.
func planCopyUser(jobs []copyJob, pod *corev1.PodSpec, targetNames []string) (*copyUser, error) {
	var user *copyUser
	var userVolume string
	for _, job := range jobs {
		if job.cv.Owner == "" {
			continue
		}
		u, err := resolveOwner(job.cv, job.field+".owner", pod, targetNames)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", u.field, err)
		}
		if user == nil {
			user, userVolume = &u, job.volume
			continue
		}
		if u.uid != user.uid || !ptr.Equal(u.gid, user.gid) {
			return nil, fmt.Errorf("%s: volume %q would belong to %s and volume %q to %s, but one init container copies both, as one user; give them the same owner",
				u.field, userVolume, user, job.volume, u)
		}
	}
	return user, nil
}

// checkReadable refuses a copy that user u cannot make: kubelet writes the
// files of Secret, ConfigMap and downwardAPI volumes as root, with the
// volume's modes, and only with an fsGroup does it give that group read
// access (and every container that group). A mode without read access for
// others then keeps a non-root copy out. Projected service account tokens
// and pod certificates are not judged: kubelet gives them to the pod's
// user when all its containers share one.
func checkReadable(u *copyUser, vol corev1.Volume, pod *corev1.PodSpec) error {
	psc := ptr.Deref(pod.SecurityContext, corev1.PodSecurityContext{})
	if u.uid == 0 || psc.FSGroup != nil {
		return nil
	}
	// Group read access counts when the copy may run in group root, the
	// files' group: with no group named anywhere, the image's for the user
	// may be root.
	gid := u.gid
	if gid == nil {
		gid = psc.RunAsGroup
	}
	rootGroup := gid == nil || *gid == 0 || slices.Contains(psc.SupplementalGroups, 0)
	for _, d := range declaredModes(vol) {
		if d.mode&0o004 != 0 || rootGroup && d.mode&0o040 != 0 {
			continue
		}
		return fmt.Errorf("%s: the copy runs as user %d, which cannot read volume %q: kubelet writes its files as root with mode %s (%s), and the pod has no fsGroup; "+
			"give the pod an fsGroup (kubelet then lets that group read them) or make them readable by others (fileMode sets the copies' mode whatever the volume's is)",
			u.field, u.uid, vol.Name, Perm(d.mode), d.field)
	}
	return nil
}

// declaredMode is the mode a volume's pod spec gives some of its files, and
// the field that says so.
type declaredMode struct {
	mode  int32
	field string
}

// declaredModes lists the modes vol's files get, as kubelet's volume
// plugins pick them: an item's mode, else the volume's defaultMode, else
// 0644, the API's default.
func declaredModes(vol corev1.Volume) []declaredMode {
	var out []declaredMode
	add := func(source string, defaultMode *int32, defaultField string, items []corev1.KeyToPath) {
		def := declaredMode{mode: 0o644, field: "the default mode"}
		if defaultMode != nil {
			def = declaredMode{mode: *defaultMode, field: defaultField}
		}
		if len(items) == 0 {
			out = append(out, def)
		}
		for i, it := range items {
			if it.Mode != nil {
				out = append(out, declaredMode{mode: *it.Mode, field: fmt.Sprintf("%s.items[%d].mode", source, i)})
			} else {
				out = append(out, def)
			}
		}
	}
	addDownward := func(source string, defaultMode *int32, defaultField string, items []corev1.DownwardAPIVolumeFile) {
		keys := make([]corev1.KeyToPath, len(items))
		for i, it := range items {
			keys[i] = corev1.KeyToPath{Path: it.Path, Mode: it.Mode}
		}
		if len(keys) > 0 {
			add(source, defaultMode, defaultField, keys)
		}
	}
	switch src := vol.VolumeSource; {
	case src.Secret != nil:
		add("secret", src.Secret.DefaultMode, "secret.defaultMode", src.Secret.Items)
	case src.ConfigMap != nil:
		add("configMap", src.ConfigMap.DefaultMode, "configMap.defaultMode", src.ConfigMap.Items)
	case src.DownwardAPI != nil:
		addDownward("downwardAPI", src.DownwardAPI.DefaultMode, "downwardAPI.defaultMode", src.DownwardAPI.Items)
	case src.Projected != nil:
		for i, p := range src.Projected.Sources {
			source := fmt.Sprintf("projected.sources[%d]", i)
			switch {
			case p.Secret != nil:
				add(source+".secret", src.Projected.DefaultMode, "projected.defaultMode", p.Secret.Items)
			case p.ConfigMap != nil:
				add(source+".configMap", src.Projected.DefaultMode, "projected.defaultMode", p.ConfigMap.Items)
			case p.DownwardAPI != nil:
				addDownward(source+".downwardAPI", src.Projected.DefaultMode, "projected.defaultMode", p.DownwardAPI.Items)
			}
		}
	}
	return out
}

// sidecarReadNote warns when the debug sidecar, which mirrors the app's
// mounts, cannot read copies whose fileMode keeps others out: it runs as
// its own user (the pod's, or the restricted profile's), which need not be
// the owner. It says nothing when the sidecar's user is not known from the
// pod spec, or is root with its capabilities.
func sidecarReadNote(owner *copyUser, jobs []copyJob, pod *corev1.PodSpec, sidecar *corev1.Container) string {
	psc := ptr.Deref(pod.SecurityContext, corev1.PodSecurityContext{})
	csc := ptr.Deref(sidecar.SecurityContext, corev1.SecurityContext{})
	uid := csc.RunAsUser
	if uid == nil {
		uid = psc.RunAsUser
	}
	if owner == nil || uid == nil || *uid == owner.uid || *uid == 0 && csc.Capabilities == nil {
		return ""
	}
	// The copies' group: the owner's, else the fsGroup of the setgid
	// emptyDir; the sidecar is in the fsGroup and its supplementalGroups.
	group := owner.gid
	if group == nil {
		group = psc.FSGroup
	}
	gid := csc.RunAsGroup
	if gid == nil {
		gid = psc.RunAsGroup
	}
	inGroup := group != nil && (ptr.Equal(gid, group) || ptr.Equal(psc.FSGroup, group) || slices.Contains(psc.SupplementalGroups, *group))
	var unreadable []string
	for _, job := range jobs {
		if job.fileMode == nil {
			continue
		}
		m := *job.fileMode
		if m&0o004 == 0 && !(inGroup && m&0o040 != 0) {
			unreadable = append(unreadable, fmt.Sprintf("%q (files %s)", job.volume, m))
		}
	}
	if len(unreadable) == 0 {
		return ""
	}
	return fmt.Sprintf("the debug sidecar runs as user %d and cannot read the copies of %s, which belong to %s",
		*uid, strings.Join(unreadable, ", "), owner)
}
