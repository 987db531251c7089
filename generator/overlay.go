package generator

import (
	"fmt"
	"slices"

	corev1 "k8s.io/api/core/v1"
)

// Workload reports what the overlay did to one workload.
type Workload struct {
	Kind      string
	Namespace string
	Name      string
	Source    string
	// Container is the debug container's name; Shell the shell to exec.
	Container string
	Shell     string
	Native    bool
	// Copies maps each copied volume to its emptyDir.
	Copies []Copied
	// Mounts lists the mountPaths the sidecar mirrors.
	Mounts []string
}

// Copied is one volume the overlay copies into an emptyDir.
type Copied struct {
	Volume string
	Into   string
	Medium corev1.StorageMedium
	Rewire bool
}

// podOverlay applies one Config to pod templates.
type podOverlay struct {
	cfg     Config
	preset  Preset
	profile Profile
}

func newPodOverlay(cfg Config) (*podOverlay, error) {
	preset, err := LookupPreset(cfg.Sidecar.Preset)
	if err != nil {
		return nil, err
	}
	profile, err := LookupProfile(cfg.Sidecar.Profile)
	if err != nil {
		return nil, err
	}
	return &podOverlay{cfg: cfg, preset: preset, profile: profile}, nil
}

// podTarget is one pod template to overlay and what is known about it.
type podTarget struct {
	edit     podEditor
	field    string // path of the template in the document, for messages
	kind     WorkloadKind
	meta     workloadMeta
	sel      selection
	copySeen map[string]bool // copy volumes found, filled in by apply
}

// path names a field of the pod template for messages: "spec" of a Pod,
// "spec.template.spec" of a Deployment.
func (t *podTarget) path(field string) string {
	if t.field == "" || t.field == "." {
		return field
	}
	return t.field + "." + field
}

// apply overlays one pod template in place. A template that already carries
// the status annotation is stripped first, so running twice changes nothing.
func (o *podOverlay) apply(t *podTarget) (*Workload, []string, error) {
	pod, err := t.edit.podSpec(t)
	if err != nil {
		return nil, nil, err
	}
	cfg := o.cfg
	if err := checkNames(pod, cfg.Sidecar.Name, len(cfg.Copy.Volumes) > 0); err != nil {
		return nil, nil, fmt.Errorf("%s: %w", t.path("spec"), err)
	}
	for _, name := range t.sel.containers {
		if !slices.ContainsFunc(pod.Containers, func(c corev1.Container) bool { return c.Name == name }) {
			return nil, nil, fmt.Errorf("%s: target container %q does not exist (containers: %s)",
				t.path("spec.containers"), name, containerNames(pod.Containers))
		}
	}

	var notes []string
	st := &Status{}
	w := &Workload{Kind: t.meta.kind, Namespace: t.meta.namespace, Name: t.meta.name,
		Container: cfg.Sidecar.Name, Shell: firstNonEmpty(cfg.Sidecar.Shell, o.preset.Shell)}
	uid := runAsUser(pod, t.sel.containers, *cfg.Sidecar.RunAsUser)
	restricted := cfg.Sidecar.Profile == ProfileRestricted
	nonRoot := pod.SecurityContext != nil && deref(pod.SecurityContext.RunAsNonRoot)

	// Copies: emptyDirs, rewired mounts, and the init container that fills them.
	rename := map[string]string{}       // in the app containers: rewired copies
	mirrorRename := map[string]string{} // in the sidecar: every copy
	var jobs []copyJob
	for _, cv := range cfg.Copy.Volumes {
		i := slices.IndexFunc(pod.Volumes, func(v corev1.Volume) bool { return v.Name == cv.Name })
		if i < 0 {
			continue
		}
		t.copySeen[cv.Name] = true
		job, err := planCopy(cv, pod.Volumes[i])
		if err != nil {
			return nil, nil, fmt.Errorf("%s[%d]: %w", t.path("spec.volumes"), i, err)
		}
		if slices.ContainsFunc(pod.Volumes, func(v corev1.Volume) bool { return v.Name == job.copyName }) {
			return nil, nil, fmt.Errorf("%s: the copy of volume %q would be named %q, which the pod already uses",
				t.path("spec.volumes"), cv.Name, job.copyName)
		}
		jobs = append(jobs, job)
		rewire := cv.Rewire == nil || *cv.Rewire
		if rewire {
			rename[job.volume] = job.copyName
		}
		mirrorRename[job.volume] = job.copyName
		w.Copies = append(w.Copies, Copied{Volume: job.volume, Into: job.copyName, Medium: job.medium, Rewire: rewire})
		if err := t.edit.insert("volumes", -1, copyVolume(job, cv.SizeLimit), st); err != nil {
			return nil, nil, err
		}
		st.Volumes = append(st.Volumes, job.copyName)
	}
	st.Rewired = t.edit.rewire(rename)
	initAt := 0
	if len(jobs) > 0 {
		c := copyContainer(cfg.Copy.Image, cfg.Sidecar.ImagePullPolicy, jobs)
		if note := fitResources(pod, &c); note != "" {
			notes = append(notes, note)
		}
		if restricted {
			o.profile.Apply(&c, uid)
		} else if nonRoot {
			runAsNonRoot(&c, uid)
		}
		if err := t.edit.insert("initContainers", initAt, c, st); err != nil {
			return nil, nil, err
		}
		initAt++
		st.InitContainers = append(st.InitContainers, c.Name)
	}

	// The sidecar, with the target containers' mounts.
	var mounts []corev1.VolumeMount
	if *cfg.Sidecar.MirrorMounts {
		var mountNotes []string
		// Without rewire the app keeps the volume; the sidecar still gets
		// the copy at the same paths, or nobody but the copy container
		// would ever mount it.
		mounts, mountNotes = mirrorMounts(pod, t.sel.containers, mirrorRename, cfg.Sidecar.Profile == ProfileSysadmin)
		notes = append(notes, mountNotes...)
		for _, m := range mounts {
			w.Mounts = append(w.Mounts, m.MountPath)
		}
	}
	w.Native = useNative(cfg.Sidecar.Native, t.kind, t.meta.isHook(), pod.RestartPolicy)
	if !w.Native && runsToCompletion(t.kind, t.meta.isHook(), pod.RestartPolicy) {
		notes = append(notes, "native sidecars are off (native: never), and this pod is meant to complete: the idling sidecar will keep it running")
	}
	sidecar := buildSidecar(cfg.Sidecar, o.preset, mounts, w.Native)
	if *cfg.Sidecar.MirrorMounts {
		env, envNotes := expansionEnv(pod, t.sel.containers)
		notes = append(notes, envNotes...)
		for _, e := range env {
			if !slices.ContainsFunc(sidecar.Env, func(have corev1.EnvVar) bool { return have.Name == e.Name }) {
				sidecar.Env = append(sidecar.Env, e)
			}
		}
	}
	if note := fitResources(pod, &sidecar); note != "" {
		notes = append(notes, note)
	}
	o.profile.Apply(&sidecar, uid)
	if nonRoot && !restricted {
		runAsNonRoot(&sidecar, uid)
	}
	if w.Native {
		// Right after the copy and before the app's own init containers, so
		// a failing init container can be debugged too.
		if err := t.edit.insert("initContainers", initAt, sidecar, st); err != nil {
			return nil, nil, err
		}
		st.InitContainers = append(st.InitContainers, sidecar.Name)
	} else {
		if err := t.edit.insert("containers", -1, sidecar, st); err != nil {
			return nil, nil, err
		}
		st.Containers = append(st.Containers, sidecar.Name)
	}

	if *cfg.Sidecar.ShareProcessNamespace {
		switch {
		case pod.HostPID:
			notes = append(notes, "hostPID is set: the sidecar already sees every process, shareProcessNamespace is left alone")
		case pod.ShareProcessNamespace == nil:
			t.edit.shareProcessNamespace()
			st.ShareProcessNamespace = "unset"
		case !*pod.ShareProcessNamespace:
			t.edit.shareProcessNamespace()
			st.ShareProcessNamespace = "false"
			notes = append(notes, "shareProcessNamespace was false: set to true so the sidecar sees the app's processes")
		}
	}
	if err := t.edit.writeStatus(st); err != nil {
		return nil, nil, fmt.Errorf("%s: %w", t.path("metadata"), err)
	}
	return w, notes, nil
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

// runAsUser picks the user for containers that must not run as root: the
// pod's, else the first target container's, else the configured default.
func runAsUser(pod *corev1.PodSpec, targets []string, fallback int64) int64 {
	if sc := pod.SecurityContext; sc != nil && sc.RunAsUser != nil && *sc.RunAsUser > 0 {
		return *sc.RunAsUser
	}
	for _, c := range pod.Containers {
		if len(targets) > 0 && !slices.Contains(targets, c.Name) {
			continue
		}
		if sc := c.SecurityContext; sc != nil && sc.RunAsUser != nil && *sc.RunAsUser > 0 {
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

func containerNames(cs []corev1.Container) string {
	return joinNames(names(cs))
}
