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
	// AddMount puts m at the end of the volumeMounts of the container or
	// init container named container, creating the list when it has none,
	// and says so.
	AddMount(container string, m corev1.VolumeMount) (created bool, err error)
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
	cfg    Config
	preset Preset
	// profile is the configured profile, nil for auto, which chooses one
	// per pod (choose).
	profile    Profile
	namespaces map[string]PodSecurity // by name: see SetNamespaces
}

// New returns the overlay of a validated configuration.
func New(cfg Config) (*Overlay, error) {
	preset, err := LookupPreset(cfg.Sidecar.Preset)
	if err != nil {
		return nil, err
	}
	if cfg.Sidecar.Profile == ProfileAuto {
		return &Overlay{cfg: cfg, preset: preset}, nil
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
//
// The steps, in order: plan the copies, add the tools (tools.go), add the
// copies with their init container, add the debug container, share the
// process namespace, stamp the status. Each is a method of podApply.
func (o *Overlay) Apply(t *Pod) (*Overlaid, []string, error) {
	pod, err := t.Edit.PodSpec()
	if err != nil {
		if t.Field == "" || t.Field == "." {
			return nil, nil, err
		}
		return nil, nil, fmt.Errorf("%s.%w", t.Field, err) // the editor names fields of the template
	}
	if err := o.checkPod(t, pod); err != nil {
		return nil, nil, err
	}
	a := &podApply{o: o, t: t, pod: pod, st: &Status{}, w: &Overlaid{Kind: t.Meta.Kind, Namespace: t.Meta.Namespace, Name: t.Meta.Name,
		Container: o.cfg.Sidecar.Name, Shell: o.shell(), Hook: t.Meta.IsHook()}}
	var notes []string
	a.profile, a.w.Choice, notes = o.choose(t.Meta.Namespace, pod)
	a.notes = append(a.notes, notes...)
	plan, err := a.planCopies()
	if err != nil {
		return &Overlaid{Copies: plan.found}, nil, err
	}
	for _, step := range []func(*copyPlan) error{a.addTools, a.addCopies, a.addSidecar, a.shareProcessNamespace, a.stamp} {
		if err := step(plan); err != nil {
			return nil, nil, err
		}
	}
	return a.w, a.notes, nil
}

// checkPod refuses a pod the overlay cannot add to: one that has a
// container named like ours, or lacks a target container.
func (o *Overlay) checkPod(t *Pod, pod *corev1.PodSpec) error {
	if err := checkNames(pod, o.cfg.Sidecar.Name, len(o.cfg.Copy.Volumes) > 0); err != nil {
		return fmt.Errorf("%s: %w", t.path("spec"), err)
	}
	for _, name := range t.Sel.Containers {
		if !slices.ContainsFunc(pod.Containers, func(c corev1.Container) bool { return c.Name == name }) {
			return fmt.Errorf("%s: target container %q does not exist (containers: %s)",
				t.path("spec.containers"), name, JoinNames(names(pod.Containers)))
		}
	}
	return nil
}

// podApply is one Apply under way: the pod as it was, what has been added
// to it, the status that records it and the notes to tell.
type podApply struct {
	o       *Overlay
	profile Profile // the pod's: see Overlay.choose
	t       *Pod
	pod     *corev1.PodSpec
	st      *Status
	w       *Overlaid
	notes   []string
}

// add puts v into the pod spec's list at key, first or last, and records a
// list it created.
func (a *podApply) add(prepend bool, key string, v any) error {
	edit := a.t.Edit.Append
	if prepend {
		edit = a.t.Edit.Prepend
	}
	created, err := edit(key, v)
	a.st.MarkCreated("spec."+key, created)
	return err
}

func (a *podApply) note(s string) {
	if s != "" {
		a.notes = append(a.notes, s)
	}
}

// copyPlan is what the copies of one pod are: the volumes the pod has of
// those the configuration copies, and the user the copies belong to (nil:
// the copy container's own). found names the copied volumes the pod has,
// for a refusal.
type copyPlan struct {
	jobs  []copyJob
	owner *copyUser
	found []Copied
}

// planCopies decides the copies, and refuses what cannot be copied.
func (a *podApply) planCopies() (*copyPlan, error) {
	plan := &copyPlan{}
	for ci, cv := range a.o.cfg.Copy.Volumes {
		i := slices.IndexFunc(a.pod.Volumes, func(v corev1.Volume) bool { return v.Name == cv.Name })
		if i < 0 {
			continue
		}
		plan.found = append(plan.found, Copied{Volume: cv.Name})
		job, err := planCopy(fmt.Sprintf("copy.volumes[%d]", ci), cv, a.pod.Volumes[i])
		if err != nil {
			return plan, fmt.Errorf("%s[%d]: %w", a.t.path("spec.volumes"), i, err)
		}
		if slices.ContainsFunc(a.pod.Volumes, func(v corev1.Volume) bool { return v.Name == job.copyName }) {
			return plan, fmt.Errorf("%s: the copy of volume %q would be named %q, which the pod already uses",
				a.t.path("spec.volumes"), cv.Name, job.copyName)
		}
		plan.jobs = append(plan.jobs, job)
	}
	owner, err := a.o.planOwner(a.profile, a.pod, a.t.Sel.Containers, plan.jobs)
	if err != nil {
		return plan, fmt.Errorf("%s: %w", a.t.path("spec"), err)
	}
	plan.owner = owner
	return plan, nil
}

// addCopies adds the emptyDirs of the copies, points the app's mounts at
// those that are rewired, and adds the init container that fills them,
// first of all init containers.
func (a *podApply) addCopies(plan *copyPlan) error {
	if len(plan.jobs) == 0 {
		a.st.Rewired = a.t.Edit.Rewire(nil)
		return nil
	}
	rename := map[string]string{}
	for _, job := range plan.jobs {
		if job.rewire() {
			rename[job.volume] = job.copyName
		}
		copied := Copied{Volume: job.volume, Into: job.copyName, Medium: job.medium, Rewire: job.rewire(),
			FileMode: job.fileMode, DirMode: job.dirMode}
		if plan.owner != nil {
			copied.Owner, copied.OwnerFrom = plan.owner.String(), plan.owner.from
		}
		a.w.Copies = append(a.w.Copies, copied)
		if err := a.add(false, "volumes", copyVolume(job)); err != nil {
			return err
		}
		a.st.Volumes = append(a.st.Volumes, job.copyName)
	}
	a.st.Rewired = a.t.Edit.Rewire(rename)
	c := copyContainer(a.o.cfg.Copy.Image, a.o.cfg.Sidecar.ImagePullPolicy, plan.jobs, plan.owner)
	a.note(fitResources(a.pod, &c))
	user := runAsUser(a.pod, a.t.Sel.Containers, *a.o.cfg.Sidecar.RunAsUser)
	if plan.owner != nil {
		user = plan.owner.uid
	}
	a.profile.Apply(a.pod, &c, true, user)
	if err := a.add(true, "initContainers", c); err != nil {
		return err
	}
	a.st.InitContainers = append(a.st.InitContainers, c.Name)
	return nil
}

// addSidecar adds the debug container with the target containers' mounts:
// a native sidecar (right after the copy and before the app's own init
// containers, so a failing init container can be debugged too) where a
// classic one would keep the pod from completing. Without rewire the app
// keeps the volume; the sidecar still gets the copy at the same paths, or
// nobody but the copy container would ever mount it.
func (a *podApply) addSidecar(plan *copyPlan) error {
	w, cfg := a.w, a.o.cfg
	copies := map[string]string{}
	for _, job := range plan.jobs {
		copies[job.volume] = job.copyName
	}
	w.Native = useNative(cfg.Sidecar.Native, a.t.Kind, w.Hook, a.pod.RestartPolicy) || a.holdsInit() && cfg.Sidecar.Native == NativeAuto
	sidecar, user, notes := a.o.debugContainer(a.profile, a.pod, a.t.Sel.Containers, copies, w.Native)
	w.Choice.User = user
	a.notes = append(a.notes, notes...)
	if !w.Native && runsToCompletion(a.t.Kind, w.Hook, a.pod.RestartPolicy) {
		a.note("native sidecars are off (native: never), and this pod is meant to complete: the idling sidecar will keep it running")
	}
	for _, m := range sidecar.VolumeMounts {
		w.Mounts = append(w.Mounts, m.MountPath)
	}
	a.note(fitResources(a.pod, &sidecar))
	if *cfg.Sidecar.MirrorMounts {
		a.note(sidecarReadNote(plan.owner, plan.jobs, a.pod, &sidecar))
	}
	if w.Native {
		a.st.InitContainers = append(a.st.InitContainers, sidecar.Name)
		return a.add(true, "initContainers", sidecar)
	}
	a.st.Containers = append(a.st.Containers, sidecar.Name)
	return a.add(false, "containers", sidecar)
}

// shareProcessNamespace lets the sidecar see the app's processes, unless
// the pod sees the node's already.
func (a *podApply) shareProcessNamespace(*copyPlan) error {
	if !*a.o.cfg.Sidecar.ShareProcessNamespace {
		return nil
	}
	switch share := a.pod.ShareProcessNamespace; {
	case a.pod.HostPID:
		a.note("hostPID is set: the sidecar already sees every process, shareProcessNamespace is left alone")
	case share == nil:
		a.t.Edit.ShareProcessNamespace()
		a.st.ShareProcessNamespace = ShareProcessNamespaceUnset
	case !*share:
		a.t.Edit.ShareProcessNamespace()
		a.st.ShareProcessNamespace = ShareProcessNamespaceFalse
		a.note("shareProcessNamespace was false: set to true so the sidecar sees the app's processes")
	}
	return nil
}

// stamp writes the status, with the annotations that say when the overlay
// ends and why it exists.
func (a *podApply) stamp(*copyPlan) error {
	for _, s := range a.o.cfg.stamps() {
		a.st.Stamps = append(a.st.Stamps, s)
		a.st.Annotations = append(a.st.Annotations, s.Key)
	}
	if err := a.t.Edit.WriteStatus(a.st); err != nil {
		return fmt.Errorf("%s: %w", a.t.path("metadata"), err)
	}
	return nil
}

// planOwner picks the user the copy init container runs as (nil for its
// own) and refuses what that user cannot do: run as root where the copy
// container must not, or read a volume's files.
func (o *Overlay) planOwner(p Profile, pod *corev1.PodSpec, targetNames []string, jobs []copyJob) (*copyUser, error) {
	owner, err := planCopyUser(jobs, pod, targetNames)
	if err != nil || owner == nil {
		return nil, err
	}
	if owner.uid == 0 {
		// Where the profile or the pod asks for non-root, the profile
		// gives the copy container runAsNonRoot.
		c := corev1.Container{}
		p.Apply(pod, &c, true, 0)
		if c.SecurityContext != nil && ptr.Deref(c.SecurityContext.RunAsNonRoot, false) {
			why := "the pod's securityContext.runAsNonRoot"
			switch {
			case o.cfg.Sidecar.Profile == ProfileAuto && p.Level() == LevelRestricted:
				why = "the restricted profile, which profile auto chose for Pod Security restricted,"
			case p.Level() == LevelRestricted:
				why = "the restricted profile"
			}
			return nil, fmt.Errorf("%s: the copies would belong to root (%s), but %s runs the copy init container as non-root; give a non-root owner",
				owner.field, owner.describe(), why)
		}
	}
	for _, job := range jobs {
		if err := checkReadable(owner, job.source, pod); err != nil {
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
