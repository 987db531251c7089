package overlay

import (
	"errors"
	"fmt"
	"path"
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/utils/ptr"
)

// Group, Version, APIVersion and Kind identify the DebugOverlay configuration
// object, wherever it comes from: a document in the stream, a --config file or
// a KRM functionConfig.
const (
	Group      = "debug-overlay.dev"
	Version    = "v1alpha1"
	APIVersion = Group + "/" + Version
	Kind       = "DebugOverlay"
)

// InjectAnnotation opts a workload (on its own metadata or on its pod template)
// in ("true") or out ("false") of the overlay, like sidecar.istio.io/inject.
const InjectAnnotation = Group + "/inject"

// NativeMode says when the debug sidecar is a native sidecar (an init container
// with restartPolicy Always) instead of a regular container.
type NativeMode string

// The native sidecar modes. NativeAuto picks native sidecars where a classic
// one would keep the pod from completing: Jobs, CronJobs, Helm hooks and Pods
// whose restartPolicy is not Always.
const (
	NativeAuto   NativeMode = "auto"
	NativeAlways NativeMode = "always"
	NativeNever  NativeMode = "never"
)

// NativeModes lists the valid NativeMode values.
var NativeModes = []NativeMode{NativeAuto, NativeAlways, NativeNever}

// Medium says what backs the emptyDir that receives a copied volume.
type Medium string

// The copy media. MediumAuto uses memory when the volume holds Secret data
// (a Secret, or a projected volume with a Secret or service account token).
const (
	MediumAuto   Medium = "auto"
	MediumMemory Medium = "Memory"
	MediumDisk   Medium = "Disk"
)

// Media lists the valid Medium values.
var Media = []Medium{MediumAuto, MediumMemory, MediumDisk}

// DebugOverlay is the configuration object. Its zero value is a valid object
// that enables nothing.
type DebugOverlay struct {
	APIVersion string            `json:"apiVersion"`
	Kind       string            `json:"kind"`
	Metadata   metav1.ObjectMeta `json:"metadata,omitempty"`
	Spec       Config            `json:"spec"`
}

// Config says what the overlay does. Every field is optional: unset fields
// take the value of the layer below (see Merge) and finally of Default. The
// zero Config enables nothing.
type Config struct {
	// Enabled switches the overlay on. Nothing else has any effect without it.
	Enabled *bool `json:"enabled,omitempty"`
	// Targets selects the workloads to overlay; empty means every pod-bearing
	// workload in the stream except Helm hooks.
	Targets []Target `json:"targets,omitempty"`
	// IncludeHooks overlays Helm hook resources too (with native sidecars in
	// auto mode, so hook Jobs still complete).
	IncludeHooks *bool `json:"includeHooks,omitempty"`
	// Sidecar describes the debug container.
	Sidecar Sidecar `json:"sidecar,omitempty"`
	// Copy lists volumes to materialise as regular files in emptyDirs.
	Copy Copy `json:"copy,omitempty"`
	// Kinds adds pod-bearing kinds (CRDs such as Argo Rollouts) to the built-in table.
	Kinds []WorkloadKind `json:"kinds,omitempty"`

	// Expires is when the overlay ends: an RFC 3339 time, always absolute
	// (a duration "from now" would move at every render, so the pods would
	// restart at each upgrade and the overlay never end). OnExpiry says
	// what a render does after it. Stamped on each overlaid pod template.
	Expires string `json:"expires,omitempty"`
	// Reason says why the overlay exists: who asked, the ticket. Stamped on
	// each overlaid pod template.
	Reason string `json:"reason,omitempty"`
	// OnExpiry is what a render does after Expires: fail (the default),
	// strip (render without the overlay) or warn.
	OnExpiry ExpiryAction `json:"onExpiry,omitempty"`
	// AllowPrivileged lets the sysadmin profile, which runs privileged, be
	// used; default false.
	AllowPrivileged *bool `json:"allowPrivileged,omitempty"`
	// RequireDigest refuses sidecar and copy images that are not pinned by
	// digest (name@sha256:...); default false.
	RequireDigest *bool `json:"requireDigest,omitempty"`
	// Mode is inplace (the default: the workload itself is overlaid) or
	// twin (it is left alone, and a debug twin added after it).
	Mode Mode `json:"mode,omitempty"`
	// Twin configures twin mode.
	Twin Twin `json:"twin,omitempty"`
	// Tools injects a static busybox into the target containers (tools.go).
	Tools Tools `json:"tools,omitempty"`
	// PodSecurity is the Pod Security level the overlaid pods are to meet,
	// for profile auto: privileged, baseline or restricted. A Namespace
	// document of the stream (its pod-security.kubernetes.io/enforce
	// label) says it for the workloads in that namespace instead; with
	// neither, auto infers it from each pod.
	PodSecurity PodSecurityLevel `json:"podSecurity,omitempty"`
}

// ExpiryAction says what a render does with an overlay past its Expires.
type ExpiryAction string

// The expiry actions. ExpiryFail fails the render with a message that says
// how to switch the overlay off or extend it, so that a forgotten overlay
// cannot ride along into the next upgrade; ExpiryStrip renders without the
// overlay, so the next upgrade reverts it; ExpiryWarn renders it and warns.
const (
	ExpiryFail  ExpiryAction = "fail"
	ExpiryStrip ExpiryAction = "strip"
	ExpiryWarn  ExpiryAction = "warn"
)

// ExpiryActions lists the valid ExpiryAction values.
var ExpiryActions = []ExpiryAction{ExpiryFail, ExpiryStrip, ExpiryWarn}

// The annotations of ours that an overlaid pod template carries besides
// StatusAnnotation: Config.Expires and Config.Reason, when set.
const (
	ExpiresAnnotation = Group + "/expires"
	ReasonAnnotation  = Group + "/reason"
)

// Target selects workloads. Empty fields match everything; Name may be a
// shell pattern (path.Match). A workload is a target when any Target matches.
type Target struct {
	Kind      string                `json:"kind,omitempty"`
	Name      string                `json:"name,omitempty"`
	Namespace string                `json:"namespace,omitempty"`
	Selector  *metav1.LabelSelector `json:"selector,omitempty"`
	// Containers names the containers whose mounts the sidecar mirrors;
	// empty means all regular containers.
	Containers []string `json:"containers,omitempty"`
}

// Sidecar describes the debug container.
type Sidecar struct {
	// Name of the container; default "debug".
	Name string `json:"name,omitempty"`
	// Preset picks image and shell: alpine, toolbox, busybox or custom.
	Preset PresetName `json:"preset,omitempty"`
	// Image overrides the preset's image (required for custom).
	Image   string   `json:"image,omitempty"`
	Command []string `json:"command,omitempty"`
	Args    []string `json:"args,omitempty"`
	// Shell is the shell the explain line execs into; default from the preset.
	Shell           string                       `json:"shell,omitempty"`
	Env             []corev1.EnvVar              `json:"env,omitempty"`
	ImagePullPolicy corev1.PullPolicy            `json:"imagePullPolicy,omitempty"`
	Resources       *corev1.ResourceRequirements `json:"resources,omitempty"`
	// Profile sets the security context, with kubectl debug's meanings;
	// auto chooses, per pod, the most capable of restricted, baseline and
	// general that the pod's Pod Security level admits.
	Profile ProfileName `json:"profile,omitempty"`
	// RunAsUser is the user of the restricted profile when the pod names
	// no non-root user; default 65532.
	RunAsUser *int64 `json:"runAsUser,omitempty"`
	// Native selects native sidecars: auto, always or never.
	Native NativeMode `json:"native,omitempty"`
	// ShareProcessNamespace lets the sidecar see the app's processes; default true.
	ShareProcessNamespace *bool `json:"shareProcessNamespace,omitempty"`
	// MirrorMounts gives the sidecar the target containers' volumeMounts; default true.
	MirrorMounts *bool `json:"mirrorMounts,omitempty"`
}

// Copy describes the copy init container and the volumes it copies.
type Copy struct {
	// Image runs the copy script; it needs a POSIX sh, cp and rm, and find,
	// chmod and chgrp when a volume asks for a fileMode, dirMode or owner.
	// Default busybox:1.36.
	Image string `json:"image,omitempty"`
	// Volumes to copy, by the name of the pod volume.
	Volumes []CopyVolume `json:"volumes,omitempty"`
}

// CopyVolume materialises one pod volume as regular files in an emptyDir.
type CopyVolume struct {
	// Name of the pod volume (Secret, ConfigMap, projected or downwardAPI).
	Name string `json:"name"`
	// Medium of the emptyDir: auto (memory for Secret data), Memory or Disk.
	Medium Medium `json:"medium,omitempty"`
	// SizeLimit of the emptyDir.
	SizeLimit *resource.Quantity `json:"sizeLimit,omitempty"`
	// Rewire mounts the emptyDir instead of the volume in the app containers; default true.
	Rewire *bool `json:"rewire,omitempty"`
	// Optional lets the copy succeed when the volume is empty; default: the volume's own optional.
	Optional *bool `json:"optional,omitempty"`
	// FileMode is the mode of every copied file; default: the mode kubelet
	// gave it in the volume.
	FileMode *Perm `json:"fileMode,omitempty"`
	// DirMode is the mode of every directory in the copy (items[].path with
	// a slash), not of the emptyDir itself; default: kubelet's.
	DirMode *Perm `json:"dirMode,omitempty"`
	// Owner owns the copies: OwnerApp, "UID" or "UID:GID". The copy init
	// container runs as that user. Default: the copy container's own user
	// (the image's, or the restricted profile's).
	Owner Owner `json:"owner,omitempty"`
}

// Default returns the configuration every layer is merged onto.
func Default() Config {
	return Config{
		Enabled:      ptr.To(false),
		IncludeHooks: ptr.To(false),
		Sidecar: Sidecar{
			Name:                  "debug",
			Preset:                PresetAlpine,
			ImagePullPolicy:       corev1.PullIfNotPresent,
			Resources:             defaultSidecarResources(),
			Profile:               ProfileGeneral,
			RunAsUser:             ptr.To(int64(65532)),
			Native:                NativeAuto,
			ShareProcessNamespace: ptr.To(true),
			MirrorMounts:          ptr.To(true),
		},
		Copy:            Copy{Image: "busybox:1.36"},
		OnExpiry:        ExpiryFail,
		Mode:            ModeInPlace,
		Twin:            Twin{Suffix: "-debug", Probes: ptr.To(false), Jobs: ptr.To(false), Claims: ClaimsFresh},
		AllowPrivileged: ptr.To(false),
		RequireDigest:   ptr.To(false),
		Tools:           Tools{Inject: ptr.To(false), Image: DefaultToolsImage},
	}
}

// Merge returns c with every field that over sets replaced by over's value.
// Lists are replaced whole, not appended, so a layer can narrow the targets.
func (c Config) Merge(over Config) Config {
	setPtr(&c.Enabled, over.Enabled)
	setSlice(&c.Targets, over.Targets)
	setPtr(&c.IncludeHooks, over.IncludeHooks)
	setSlice(&c.Kinds, over.Kinds)
	setString(&c.Expires, over.Expires)
	setString(&c.Reason, over.Reason)
	setString(&c.OnExpiry, over.OnExpiry)
	setPtr(&c.AllowPrivileged, over.AllowPrivileged)
	setPtr(&c.RequireDigest, over.RequireDigest)
	setString(&c.Mode, over.Mode)
	setString(&c.Twin.Suffix, over.Twin.Suffix)
	setPtr(&c.Twin.Probes, over.Twin.Probes)
	setPtr(&c.Twin.Jobs, over.Twin.Jobs)
	setString(&c.Twin.Claims, over.Twin.Claims)
	setPtr(&c.Twin.Hold, over.Twin.Hold)
	setSlice(&c.Twin.HoldInit, over.Twin.HoldInit)
	setPtr(&c.Tools.Inject, over.Tools.Inject)
	setString(&c.Tools.Image, over.Tools.Image)
	setString(&c.PodSecurity, over.PodSecurity)

	s, o := &c.Sidecar, over.Sidecar
	setString(&s.Name, o.Name)
	setString(&s.Preset, o.Preset)
	setString(&s.Image, o.Image)
	setSlice(&s.Command, o.Command)
	setSlice(&s.Args, o.Args)
	setString(&s.Shell, o.Shell)
	setSlice(&s.Env, o.Env)
	setString(&s.ImagePullPolicy, o.ImagePullPolicy)
	setPtr(&s.Resources, o.Resources)
	setString(&s.Profile, o.Profile)
	setPtr(&s.RunAsUser, o.RunAsUser)
	setString(&s.Native, o.Native)
	setPtr(&s.ShareProcessNamespace, o.ShareProcessNamespace)
	setPtr(&s.MirrorMounts, o.MirrorMounts)

	setString(&c.Copy.Image, over.Copy.Image)
	setSlice(&c.Copy.Volumes, over.Copy.Volumes)
	return c
}

// IsEnabled reports whether the overlay is switched on.
func (c Config) IsEnabled() bool { return c.Enabled != nil && *c.Enabled }

// Validate reports every problem of a merged configuration at once, each
// naming its field.
func (c Config) Validate() error {
	var p problems
	for _, section := range []func(*problems){c.validateSidecar, c.validateCopy, c.validateTargets,
		c.validateMode, c.validateExpiry, c.validateGuardRails, c.validateKinds, c.validateTools, c.validateHold} {
		section(&p)
	}
	return errors.Join(p...)
}

// problems collects what Validate finds.
type problems []error

// add records a problem of field (below spec).
func (p *problems) add(field, format string, args ...any) {
	*p = append(*p, fmt.Errorf("spec.%s: %s", field, fmt.Sprintf(format, args...)))
}

func (c Config) validateSidecar(p *problems) {
	s := c.Sidecar
	if msgs := validation.IsDNS1123Label(s.Name); len(msgs) > 0 {
		p.add("sidecar.name", "%q is not a valid container name: %s", s.Name, strings.Join(msgs, "; "))
	}
	if _, err := LookupPreset(s.Preset); err != nil {
		p.add("sidecar.preset", "%v", err)
	} else if s.Preset == PresetCustom && s.Image == "" {
		p.add("sidecar.image", "the custom preset needs an image")
	}
	if err := CheckProfileChoice(s.Profile); err != nil {
		p.add("sidecar.profile", "%v", err)
	}
	if l := c.PodSecurity; l != "" && !slices.Contains(PodSecurityLevels, l) {
		p.add("podSecurity", "unknown Pod Security level %q (valid: %s)", l, JoinNames(PodSecurityLevels))
	}
	if !slices.Contains(NativeModes, s.Native) {
		p.add("sidecar.native", "unknown mode %q (valid: %s)", s.Native, JoinNames(NativeModes))
	}
	if pull := s.ImagePullPolicy; pull != corev1.PullAlways && pull != corev1.PullIfNotPresent && pull != corev1.PullNever {
		p.add("sidecar.imagePullPolicy", "unknown policy %q (valid: Always, IfNotPresent, Never)", pull)
	}
	if s.RunAsUser != nil && *s.RunAsUser <= 0 {
		p.add("sidecar.runAsUser", "must be a positive user ID, got %d", *s.RunAsUser)
	}
}

func (c Config) validateCopy(p *problems) {
	seen := map[string]bool{}
	for i, v := range c.Copy.Volumes {
		field := fmt.Sprintf("copy.volumes[%d]", i)
		switch {
		case v.Name == "":
			p.add(field+".name", "required")
		case seen[v.Name]:
			p.add(field+".name", "volume %q is listed twice", v.Name)
		}
		seen[v.Name] = true
		if v.Medium != "" && !slices.Contains(Media, v.Medium) {
			p.add(field+".medium", "unknown medium %q (valid: %s)", v.Medium, JoinNames(Media))
		}
		for _, m := range []struct {
			name string
			mode *Perm
		}{{"fileMode", v.FileMode}, {"dirMode", v.DirMode}} {
			if m.mode != nil {
				if msg := validPerm(*m.mode); msg != "" {
					p.add(field+"."+m.name, "%s", msg)
				}
			}
		}
		if v.Owner != "" {
			if err := v.Owner.validate(); err != nil {
				p.add(field+".owner", "%v", err)
			} else if uid, _, err := v.Owner.ids(); err == nil && uid == 0 && c.Sidecar.Profile == ProfileRestricted {
				p.add(field+".owner", "%q is root, and the restricted profile runs the copy init container as non-root; give a non-root user", string(v.Owner))
			}
		}
	}
	if len(c.Copy.Volumes) > 0 && c.Copy.Image == "" {
		p.add("copy.image", "required when volumes are copied")
	}
}

func (c Config) validateTargets(p *problems) {
	for i, t := range c.Targets {
		field := fmt.Sprintf("targets[%d]", i)
		if _, err := path.Match(t.Name, ""); err != nil {
			p.add(field+".name", "bad pattern %q: %v", t.Name, err)
		}
		if t.Selector != nil {
			if _, err := metav1.LabelSelectorAsSelector(t.Selector); err != nil {
				p.add(field+".selector", "%v", err)
			}
		}
	}
}

func (c Config) validateMode(p *problems) {
	if !slices.Contains(Modes, c.Mode) {
		p.add("mode", "unknown mode %q (valid: %s)", c.Mode, JoinNames(Modes))
	}
	if !slices.Contains(TwinClaimChoices, c.Twin.Claims) {
		p.add("twin.claims", "unknown choice %q (valid: %s)", c.Twin.Claims, JoinNames(TwinClaimChoices))
	}
	if msgs := validation.IsDNS1123Label("x" + c.Twin.Suffix); c.Twin.Suffix == "" || len(msgs) > 0 {
		p.add("twin.suffix", "%q does not make names valid: it needs lowercase letters, digits and '-'", c.Twin.Suffix)
	}
}

func (c Config) validateExpiry(p *problems) {
	if c.Expires != "" {
		if _, err := time.Parse(time.RFC3339, c.Expires); err != nil {
			p.add("expires", "%q is not an RFC 3339 time such as 2026-12-31T18:00:00Z (a duration from now would move at every render; "+
				"write the time itself, e.g. $(date -u -d +4hours +%%FT%%TZ))", c.Expires)
		}
	}
	if !slices.Contains(ExpiryActions, c.OnExpiry) {
		p.add("onExpiry", "unknown action %q (valid: %s)", c.OnExpiry, JoinNames(ExpiryActions))
	}
}

// validateGuardRails checks what spec.allowPrivileged and
// spec.requireDigest ask.
func (c Config) validateGuardRails(p *problems) {
	s := c.Sidecar
	if prof, err := LookupProfile(s.Profile); err == nil && prof.Privileged() && !ptr.Deref(c.AllowPrivileged, false) {
		p.add("sidecar.profile", "profile %s runs the debug container privileged: set spec.allowPrivileged: true to allow it", s.Profile)
	}
	if !ptr.Deref(c.RequireDigest, false) {
		return
	}
	image := s.Image
	if preset, err := LookupPreset(s.Preset); err == nil && image == "" {
		image = preset.Image
	}
	if !pinned(image) {
		p.add("sidecar.image", "%q is not pinned by digest (name@sha256:...), which spec.requireDigest asks", image)
	}
	if len(c.Copy.Volumes) > 0 && !pinned(c.Copy.Image) {
		p.add("copy.image", "%q is not pinned by digest (name@sha256:...), which spec.requireDigest asks", c.Copy.Image)
	}
}

func (c Config) validateKinds(p *problems) {
	for i, k := range c.Kinds {
		if k.Kind == "" {
			p.add(fmt.Sprintf("kinds[%d].kind", i), "required")
		}
	}
}

// pinned reports whether an image names its digest.
func pinned(image string) bool {
	_, digest, ok := strings.Cut(image, "@sha256:")
	return ok && len(digest) == 64 && strings.Trim(digest, "0123456789abcdef") == ""
}

// ExpiresAt returns Expires as a time; ok false when there is none.
func (c Config) ExpiresAt() (t time.Time, ok bool) {
	t, err := time.Parse(time.RFC3339, c.Expires)
	return t, c.Expires != "" && err == nil
}

func defaultSidecarResources() *corev1.ResourceRequirements {
	return &corev1.ResourceRequirements{
		Requests: corev1.ResourceList{
			corev1.ResourceCPU:    resource.MustParse("10m"),
			corev1.ResourceMemory: resource.MustParse("16Mi"),
		},
		Limits: corev1.ResourceList{
			corev1.ResourceCPU:    resource.MustParse("500m"),
			corev1.ResourceMemory: resource.MustParse("256Mi"),
		},
	}
}

func setPtr[T any](dst **T, v *T) {
	if v != nil {
		*dst = v
	}
}

func setString[T ~string](dst *T, v T) {
	if v != "" {
		*dst = v
	}
}

func setSlice[T any](dst *[]T, v []T) {
	if v != nil {
		*dst = v
	}
}

// JoinNames lists names for messages and help texts: "a, b, c".
func JoinNames[T ~string](names []T) string {
	s := make([]string, len(names))
	for i, n := range names {
		s[i] = string(n)
	}
	return strings.Join(s, ", ")
}

// Expiry says what an overlay past its Expires does at time now: an error
// for ExpiryFail, skip for ExpiryStrip (render without the overlay), and
// for ExpiryStrip and ExpiryWarn a warning. An overlay without Expires, or
// not past it, gives nothing.
func (c Config) Expiry(now time.Time) (skip bool, warning string, err error) {
	t, ok := c.ExpiresAt()
	if !ok || now.Before(t) {
		return false, "", nil
	}
	expired := fmt.Sprintf("the debug overlay expired at %s (%s ago)", c.Expires, now.Sub(t).Round(time.Second))
	if c.Reason != "" {
		expired += fmt.Sprintf(" (reason: %s)", c.Reason)
	}
	switch c.OnExpiry {
	case ExpiryStrip:
		return true, expired + "; onExpiry strip: rendered without it", nil
	case ExpiryWarn:
		return false, expired + "; onExpiry warn: rendered with it all the same; switch it off or extend spec.expires", nil
	}
	return false, "", errors.New(expired + ": switch it off (spec.enabled: false, the toggle chart's enabled=false, or no --enable) " +
		"or extend it (spec.expires, --expires); spec.onExpiry: strip would render without it instead of failing")
}

// ExpiresIn says how long the overlay has left at time now, for people:
// "in 3h0m0s", "expired 5m0s ago"; "" without Expires.
func (c Config) ExpiresIn(now time.Time) string {
	t, ok := c.ExpiresAt()
	switch {
	case !ok:
		return ""
	case now.Before(t):
		return "in " + t.Sub(now).Round(time.Second).String()
	}
	return "expired " + now.Sub(t).Round(time.Second).String() + " ago"
}
