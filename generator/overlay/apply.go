package overlay

import (
	"fmt"
	"slices"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/utils/ptr"
)

// Editor reads one pod template and makes the overlay's edits to it, in
// whatever form the template is held: yaml.v3 nodes, the bytes of a block
// YAML document, a typed pod. Apply calls PodSpec first, once, and then
// the edits.
type Editor interface {
	// PodSpec returns the pod spec as it is without any overlay: one made
	// by an earlier run is undone first. It needs at least the fields that
	// PodFields and ContainerFields name.
	PodSpec() (*corev1.PodSpec, error)
	// Prepend puts v into the list at key of the pod spec before the items
	// the pod had, after what was prepended before; Append puts it at the
	// end. Both create the list when there is none, and say so.
	Prepend(key string, v any) (created bool, err error)
	Append(key string, v any) (created bool, err error)
	// Rewire points every mount of a renamed volume, in every container
	// and init container, at its copy.
	Rewire(rename map[string]string) []Rewire
	// ShareProcessNamespace sets the pod spec's field to true.
	ShareProcessNamespace()
	// WriteStatus records st on the pod template, after the annotations
	// in st.Stamps, marking in it the metadata fields it creates.
	WriteStatus(st *Status) error
}

// The fields of the pod spec, and of its containers and init containers,
// that Apply reads. An editor may hand Apply a pod spec with only these
// (the splice editor decodes only these: a long container costs a scan,
// not a parse); TestApplyReadsOnlyDeclaredFields holds Apply to it.
var (
	PodFields       = []string{"containers", "initContainers", "volumes", "securityContext", "restartPolicy", "hostPID", "shareProcessNamespace", "resources", "os"}
	ContainerFields = []string{"name", "volumeMounts", "env", "resources", "securityContext"}
)

// Overlay applies one Config to pod templates.
type Overlay struct {
	cfg     Config
	preset  Preset
	profile Profile
}

// New returns the overlay of a validated configuration.
func New(cfg Config) (*Overlay, error) {
	preset, err := LookupPreset(cfg.Sidecar.Preset)
	if err != nil {
		return nil, err
	}
	profile, err := LookupProfile(cfg.Sidecar.Profile)
	if err != nil {
		return nil, err
	}
	return &Overlay{cfg: cfg, preset: preset, profile: profile}, nil
}

// Pod is one pod template to overlay and what is known about it.
type Pod struct {
	Edit Editor
	// Field is the path of the template in its object, for messages:
	// "spec.template" of a Deployment, "." or "" for a Pod.
	Field string
	Kind  WorkloadKind
	Meta  Meta
	Sel   Selection
}

// path names a field of the pod template for messages: "spec" of a Pod,
// "spec.template.spec" of a Deployment.
func (t *Pod) path(field string) string {
	if t.Field == "" || t.Field == "." {
		return field
	}
	return t.Field + "." + field
}

// Apply overlays one pod template through its editor and returns what it
// did, and notes worth telling. When it refuses to copy a volume the pod
// has, it returns, with the error, a Workload whose Copies name (by Volume
// alone) the copied volumes it found, so that they are not also reported
// as missing.
func (o *Overlay) Apply(t *Pod) (*Workload, []string, error) {
	pod, err := t.Edit.PodSpec()
	if err != nil {
		if t.Field == "" || t.Field == "." {
			return nil, nil, err
		}
		return nil, nil, fmt.Errorf("%s.%w", t.Field, err) // the editor names fields of the template
	}
	cfg := o.cfg
	if err := checkNames(pod, cfg.Sidecar.Name, len(cfg.Copy.Volumes) > 0); err != nil {
		return nil, nil, fmt.Errorf("%s: %w", t.path("spec"), err)
	}
	for _, name := range t.Sel.Containers {
		if !slices.ContainsFunc(pod.Containers, func(c corev1.Container) bool { return c.Name == name }) {
			return nil, nil, fmt.Errorf("%s: target container %q does not exist (containers: %s)",
				t.path("spec.containers"), name, joinNames(names(pod.Containers)))
		}
	}

	var notes []string
	st := &Status{}
	w := &Workload{Kind: t.Meta.Kind, Namespace: t.Meta.Namespace, Name: t.Meta.Name,
		Container: cfg.Sidecar.Name, Shell: o.shell()}
	user := runAsUser(pod, t.Sel.Containers, *cfg.Sidecar.RunAsUser)
	add := func(prepend bool, key string, v any) error {
		edit := t.Edit.Append
		if prepend {
			edit = t.Edit.Prepend
		}
		created, err := edit(key, v)
		st.MarkCreated("spec."+key, created)
		return err
	}

	// Copies: emptyDirs, rewired mounts, and the init container that fills them.
	rename := map[string]string{}       // in the app containers: rewired copies
	mirrorRename := map[string]string{} // in the sidecar: every copy
	var jobs []copyJob
	vols := map[string]corev1.Volume{}
	var found []Copied
	refuse := func(err error) (*Workload, []string, error) { return &Workload{Copies: found}, nil, err }
	for ci, cv := range cfg.Copy.Volumes {
		i := slices.IndexFunc(pod.Volumes, func(v corev1.Volume) bool { return v.Name == cv.Name })
		if i < 0 {
			continue
		}
		found = append(found, Copied{Volume: cv.Name})
		job, err := planCopy(ci, cv, pod.Volumes[i])
		if err != nil {
			return refuse(fmt.Errorf("%s[%d]: %w", t.path("spec.volumes"), i, err))
		}
		if slices.ContainsFunc(pod.Volumes, func(v corev1.Volume) bool { return v.Name == job.copyName }) {
			return refuse(fmt.Errorf("%s: the copy of volume %q would be named %q, which the pod already uses",
				t.path("spec.volumes"), cv.Name, job.copyName))
		}
		jobs = append(jobs, job)
		vols[job.volume] = pod.Volumes[i]
	}
	owner, err := o.planOwner(pod, t.Sel.Containers, jobs, vols)
	if err != nil {
		return refuse(fmt.Errorf("%s: %w", t.path("spec"), err))
	}
	for _, job := range jobs {
		cv := cfg.Copy.Volumes[job.index]
		rewire := cv.Rewire == nil || *cv.Rewire
		if rewire {
			rename[job.volume] = job.copyName
		}
		mirrorRename[job.volume] = job.copyName
		copied := Copied{Volume: job.volume, Into: job.copyName, Medium: job.medium, Rewire: rewire,
			FileMode: job.fileMode, DirMode: job.dirMode}
		if owner != nil {
			copied.Owner, copied.OwnerFrom = owner.String(), owner.from
		}
		w.Copies = append(w.Copies, copied)
		if err := add(false, "volumes", copyVolume(job, cv.SizeLimit)); err != nil {
			return nil, nil, err
		}
		st.Volumes = append(st.Volumes, job.copyName)
	}
	st.Rewired = t.Edit.Rewire(rename)
	if len(jobs) > 0 {
		c := copyContainer(cfg.Copy.Image, cfg.Sidecar.ImagePullPolicy, jobs, owner)
		if note := fitResources(pod, &c); note != "" {
			notes = append(notes, note)
		}
		helperUser := user
		if owner != nil {
			helperUser = owner.uid
		}
		o.profile.Apply(pod, &c, true, helperUser)
		if err := add(true, "initContainers", c); err != nil {
			return nil, nil, err
		}
		st.InitContainers = append(st.InitContainers, c.Name)
	}

	// The sidecar, with the target containers' mounts. Without rewire the
	// app keeps the volume; the sidecar still gets the copy at the same
	// paths, or nobody but the copy container would ever mount it.
	w.Hook = t.Meta.IsHook()
	w.Native = useNative(cfg.Sidecar.Native, t.Kind, w.Hook, pod.RestartPolicy)
	sidecar, sidecarNotes := o.debugContainer(pod, t.Sel.Containers, mirrorRename, w.Native)
	notes = append(notes, sidecarNotes...)
	if !w.Native && runsToCompletion(t.Kind, t.Meta.IsHook(), pod.RestartPolicy) {
		notes = append(notes, "native sidecars are off (native: never), and this pod is meant to complete: the idling sidecar will keep it running")
	}
	for _, m := range sidecar.VolumeMounts {
		w.Mounts = append(w.Mounts, m.MountPath)
	}
	if note := fitResources(pod, &sidecar); note != "" {
		notes = append(notes, note)
	}
	if note := sidecarReadNote(owner, jobs, pod, &sidecar); note != "" && *cfg.Sidecar.MirrorMounts {
		notes = append(notes, note)
	}
	if w.Native {
		// Right after the copy and before the app's own init containers, so
		// a failing init container can be debugged too.
		if err := add(true, "initContainers", sidecar); err != nil {
			return nil, nil, err
		}
		st.InitContainers = append(st.InitContainers, sidecar.Name)
	} else {
		if err := add(false, "containers", sidecar); err != nil {
			return nil, nil, err
		}
		st.Containers = append(st.Containers, sidecar.Name)
	}

	if *cfg.Sidecar.ShareProcessNamespace {
		switch {
		case pod.HostPID:
			notes = append(notes, "hostPID is set: the sidecar already sees every process, shareProcessNamespace is left alone")
		case pod.ShareProcessNamespace == nil:
			t.Edit.ShareProcessNamespace()
			st.ShareProcessNamespace = ShareProcessNamespaceUnset
		case !*pod.ShareProcessNamespace:
			t.Edit.ShareProcessNamespace()
			st.ShareProcessNamespace = ShareProcessNamespaceFalse
			notes = append(notes, "shareProcessNamespace was false: set to true so the sidecar sees the app's processes")
		}
	}
	for _, a := range o.cfg.stamps() {
		st.Stamps = append(st.Stamps, a)
		st.Annotations = append(st.Annotations, a.Key)
	}
	if err := t.Edit.WriteStatus(st); err != nil {
		return nil, nil, fmt.Errorf("%s: %w", t.path("metadata"), err)
	}
	return w, notes, nil
}

// planOwner picks the user the copy init container runs as (nil for its
// own) and refuses what that user cannot do: run as root where the copy
// container must not, or read a volume's files.
func (o *Overlay) planOwner(pod *corev1.PodSpec, targetNames []string, jobs []copyJob, vols map[string]corev1.Volume) (*copyUser, error) {
	owner, err := planCopyUser(jobs, o.cfg.Copy.Volumes, pod, targetNames)
	if err != nil || owner == nil {
		return nil, err
	}
	if owner.uid == 0 {
		// Where the profile or the pod asks for non-root, the profile
		// gives the copy container runAsNonRoot.
		c := corev1.Container{}
		o.profile.Apply(pod, &c, true, 0)
		if c.SecurityContext != nil && ptr.Deref(c.SecurityContext.RunAsNonRoot, false) {
			why := "the pod's securityContext.runAsNonRoot"
			if o.cfg.Sidecar.Profile == ProfileRestricted {
				why = "the restricted profile"
			}
			return nil, fmt.Errorf("%s: the copies would belong to root (%s), but %s runs the copy init container as non-root; give a non-root owner",
				owner.field, owner.describe(), why)
		}
	}
	for _, job := range jobs {
		if err := checkReadable(owner, vols[job.volume], pod); err != nil {
			return nil, err
		}
	}
	return owner, nil
}

// checkNames refuses a pod that already has a container named like ours.
func checkNames(pod *corev1.PodSpec, sidecar string, copying bool) error {
	for _, list := range []struct {
		field string
		names []string
	}{
		{"containers", names(pod.Containers)},
		{"initContainers", names(pod.InitContainers)},
	} {
		if slices.Contains(list.names, sidecar) {
			return fmt.Errorf("%s: a container named %q already exists; give the sidecar another name (sidecar.name, --name)", list.field, sidecar)
		}
		if copying && slices.Contains(list.names, CopyContainerName) {
			return fmt.Errorf("%s: a container named %q already exists, and the copy init container needs that name", list.field, CopyContainerName)
		}
	}
	if sidecar == CopyContainerName && copying {
		return fmt.Errorf("the sidecar cannot be named %q: the copy init container uses that name", CopyContainerName)
	}
	return nil
}

// targets returns the regular containers whose mounts the sidecar mirrors,
// in pod order: those named, or all when names is empty.
func targets(pod *corev1.PodSpec, names []string) []*corev1.Container {
	var out []*corev1.Container
	for i := range pod.Containers {
		if len(names) == 0 || slices.Contains(names, pod.Containers[i].Name) {
			out = append(out, &pod.Containers[i])
		}
	}
	return out
}

// runAsUser picks the user for containers that must not run as root: the
// pod's, else the first target container's, else the configured default.
func runAsUser(pod *corev1.PodSpec, names []string, fallback int64) int64 {
	if sc := pod.SecurityContext; sc != nil && ptr.Deref(sc.RunAsUser, 0) > 0 {
		return *sc.RunAsUser
	}
	for _, c := range targets(pod, names) {
		if sc := c.SecurityContext; sc != nil && ptr.Deref(sc.RunAsUser, 0) > 0 {
			return *sc.RunAsUser
		}
	}
	return fallback
}

func names(cs []corev1.Container) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.Name
	}
	return out
}

// stamps are the annotations an overlaid pod template carries besides its
// status: when the overlay ends and why it exists.
func (c Config) stamps() []Stamp {
	var out []Stamp
	if c.Expires != "" {
		out = append(out, Stamp{ExpiresAnnotation, c.Expires})
	}
	if c.Reason != "" {
		out = append(out, Stamp{ReasonAnnotation, c.Reason})
	}
	return out
}
