package cmd

import (
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/spf13/pflag"
	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/debug-overlay/debug-overlay/generator"
	"github.com/debug-overlay/debug-overlay/generator/overlay"
)

// OverlayFlags are the flags that configure the overlay, shared by the
// commands that render.
type OverlayFlags struct {
	ConfigFile   string
	Enable       bool
	Preset       string
	Image        string
	Name         string
	Profile      string
	Native       string
	Targets      []string
	CopyVolumes  []string
	IncludeHooks bool
	Expires      string
	Reason       string
	OnExpiry     string
	Privileged   bool
	Digest       bool
	Mode         string
	Tools        bool
	ToolsImage   string
	Hold         bool
	HoldInit     []string
	PodSecurity  string

	flags *pflag.FlagSet
}

// NewOverlayFlags returns OverlayFlags with nothing set: unset flags leave
// the configuration of the layers below alone.
func NewOverlayFlags() *OverlayFlags { return &OverlayFlags{} }

// AddFlags registers the flags on fs.
func (o *OverlayFlags) AddFlags(fs *pflag.FlagSet) { o.addFlags(fs, false) }

// AddLiveFlags registers the flags that mean something for running pods
// (attach): not --enable (attaching is the request), --native or
// --copy-volume (a running pod gets neither sidecars nor volumes), nor
// --expires, --reason, --on-expiry and --mode, which are about pod
// templates (stamps, renders, twins), nor the tools and holds, which need
// volumes.
func (o *OverlayFlags) AddLiveFlags(fs *pflag.FlagSet) { o.addFlags(fs, true) }

func (o *OverlayFlags) addFlags(fs *pflag.FlagSet, live bool) {
	o.flags = fs
	fs.StringVar(&o.ConfigFile, "config", "", "Read a "+overlay.Kind+" configuration from this file (layered above the stream's own, below these flags)")
	if !live {
		fs.BoolVar(&o.Enable, "enable", false, "Switch the overlay on; alone, it overlays every pod-bearing workload with the defaults")
	}
	fs.StringVar(&o.Preset, "preset", "", fmt.Sprintf("Sidecar preset: %s (default %s)", overlay.JoinNames(overlay.PresetNames()), overlay.PresetAlpine))
	fs.StringVar(&o.Image, "image", "", "Sidecar image, overriding the preset's")
	fs.StringVar(&o.Name, "name", "", `Sidecar container name (default "debug")`)
	defaultProfile := overlay.ProfileGeneral
	if live {
		defaultProfile = overlay.ProfileAuto
	}
	fs.StringVar(&o.Profile, "profile", "", fmt.Sprintf("Security profile: %s (default %s); auto: the most capable of restricted, baseline and general that the pod's Pod Security level admits", overlay.JoinNames(overlay.ProfileChoices()), defaultProfile))
	fs.StringVar(&o.PodSecurity, "pod-security", "", fmt.Sprintf("The Pod Security level the pods are to meet, for profile auto: %s (default: the namespace's enforce label, else inferred from each pod)", overlay.JoinNames(overlay.PodSecurityLevels)))
	if !live {
		fs.StringVar(&o.Native, "native", "", fmt.Sprintf("Native sidecar mode: %s (default %s)", overlay.JoinNames(overlay.NativeModes), overlay.NativeAuto))
	}
	fs.StringArrayVar(&o.Targets, "target", nil, "Overlay only this workload, as KIND/NAME or NAME (NAME may be a pattern such as api-*); repeatable")
	if !live {
		fs.StringArrayVar(&o.CopyVolumes, "copy-volume", nil, "Copy this pod volume into an emptyDir as regular files and mount the copy in its place: NAME, or NAME:KEY=VALUE,... with keys "+
			copyVolumeKeyNames()+" (modes in octal: fileMode=0600; owner: app, UID or UID:GID); repeatable")
	}
	fs.BoolVar(&o.IncludeHooks, "include-hooks", false, "Overlay Helm hook resources too (with native sidecars, so hook Jobs complete)")
	if !live {
		fs.StringVar(&o.Expires, "expires", "", "When the overlay ends: an RFC 3339 time such as 2026-12-31T18:00:00Z, stamped on each overlaid pod template")
		fs.StringVar(&o.Reason, "reason", "", "Why the overlay exists (who asked, the ticket), stamped on each overlaid pod template")
		fs.StringVar(&o.OnExpiry, "on-expiry", "", fmt.Sprintf("What a render does after --expires: %s (default %s)", overlay.JoinNames(overlay.ExpiryActions), overlay.ExpiryFail))
	}
	fs.BoolVar(&o.Privileged, "allow-privileged", false, "Allow the privileged sysadmin profile")
	fs.BoolVar(&o.Digest, "require-digest", false, "Refuse sidecar and copy images that are not pinned by digest")
	if !live {
		fs.StringVar(&o.Mode, "mode", "", fmt.Sprintf("How to debug a selected workload: %s (default %s): twin leaves it as it is and adds a traffic-free debug copy", overlay.JoinNames(overlay.Modes), overlay.ModeInPlace))
		o.addToolFlags(fs)
	}
}

// Config turns the configuration file and the flags that were set into one
// configuration layer, the file's below the flags'. It stops at the first
// problem.
func (o *OverlayFlags) Config() (overlay.Config, error) {
	cfg, problems := o.layer(false)
	if len(problems) > 0 {
		return cfg, problems[0]
	}
	return cfg, nil
}

// CheckConfig is Config for check: it reads on past a problem and returns
// every one, with what could be read.
func (o *OverlayFlags) CheckConfig() (overlay.Config, []error) {
	return o.layer(true)
}

// layer is the only place where --config and the flags become a Config;
// all says whether to read on past a problem. A flag that does not parse
// leaves every flag out.
func (o *OverlayFlags) layer(all bool) (overlay.Config, []error) {
	var cfg overlay.Config
	var problems []error
	if o.ConfigFile != "" {
		data, err := os.ReadFile(o.ConfigFile)
		switch {
		case err != nil:
			problems = append(problems, fmt.Errorf("reading --config: %w", err))
		case all:
			obj, errs := generator.CheckDebugOverlay(data, o.ConfigFile)
			problems = append(problems, errs...)
			if obj != nil {
				cfg = obj.Spec
			}
		default:
			obj, err := generator.ParseDebugOverlay(data, o.ConfigFile)
			if err != nil {
				return cfg, []error{err}
			}
			cfg = obj.Spec
		}
		if len(problems) > 0 && !all {
			return cfg, problems
		}
	}
	flagCfg, err := o.flagLayer()
	if err != nil {
		return cfg, append(problems, err)
	}
	return cfg.Merge(flagCfg), problems
}

// flagLayer is the configuration of the flags that were set. A value that
// does not parse is a usage error.
func (o *OverlayFlags) flagLayer() (overlay.Config, error) {
	var cfg overlay.Config
	changed := o.flags.Changed
	if changed("enable") {
		cfg.Enabled = &o.Enable
	}
	if changed("include-hooks") {
		cfg.IncludeHooks = &o.IncludeHooks
	}
	if changed("allow-privileged") {
		cfg.AllowPrivileged = &o.Privileged
	}
	if changed("require-digest") {
		cfg.RequireDigest = &o.Digest
	}
	o.toolConfig(&cfg)
	cfg.Expires = o.Expires
	cfg.Reason = o.Reason
	cfg.OnExpiry = overlay.ExpiryAction(o.OnExpiry)
	cfg.Mode = overlay.Mode(o.Mode)
	cfg.Sidecar.Preset = overlay.PresetName(o.Preset)
	cfg.Sidecar.Image = o.Image
	cfg.Sidecar.Name = o.Name
	cfg.Sidecar.Profile = overlay.ProfileName(o.Profile)
	cfg.Sidecar.Native = overlay.NativeMode(o.Native)
	cfg.PodSecurity = overlay.PodSecurityLevel(o.PodSecurity)
	for _, t := range o.Targets {
		target, err := parseTarget(t)
		if err != nil {
			return cfg, usage(err)
		}
		cfg.Targets = append(cfg.Targets, target)
	}
	for _, v := range o.CopyVolumes {
		cv, err := parseCopyVolume(v)
		if err != nil {
			return cfg, usage(err)
		}
		cfg.Copy.Volumes = append(cfg.Copy.Volumes, cv)
	}
	return cfg, nil
}

// parseTarget reads KIND/NAME or NAME.
func parseTarget(s string) (overlay.Target, error) {
	kind, name, found := strings.Cut(s, "/")
	if !found {
		kind, name = "", s
	}
	if name == "" || strings.Contains(name, "/") {
		return overlay.Target{}, fmt.Errorf("--target %q: want KIND/NAME or NAME", s)
	}
	return overlay.Target{Kind: kind, Name: name}, nil
}

// copyVolumeKey sets one field of a CopyVolume from a --copy-volume
// KEY=VALUE pair; key is the field's name in the DebugOverlay schema.
type copyVolumeKey struct {
	key string
	set func(cv *overlay.CopyVolume, value string) error
}

// copyVolumeKeys are the keys --copy-volume takes, in the schema's order.
var copyVolumeKeys = []copyVolumeKey{
	{"fileMode", func(cv *overlay.CopyVolume, v string) error { return setPerm(&cv.FileMode, v) }},
	{"dirMode", func(cv *overlay.CopyVolume, v string) error { return setPerm(&cv.DirMode, v) }},
	{"owner", func(cv *overlay.CopyVolume, v string) error {
		cv.Owner = overlay.Owner(v)
		return nil
	}},
	{"medium", func(cv *overlay.CopyVolume, v string) error {
		cv.Medium = overlay.Medium(v)
		return nil
	}},
	{"sizeLimit", func(cv *overlay.CopyVolume, v string) error {
		q, err := resource.ParseQuantity(v)
		cv.SizeLimit = &q
		return err
	}},
	{"rewire", func(cv *overlay.CopyVolume, v string) error { return setBool(&cv.Rewire, v) }},
	{"optional", func(cv *overlay.CopyVolume, v string) error { return setBool(&cv.Optional, v) }},
}

func setPerm(dst **overlay.Perm, v string) error {
	m, err := overlay.ParsePerm(v)
	*dst = &m
	return err
}

func setBool(dst **bool, v string) error {
	b, err := strconv.ParseBool(v)
	*dst = &b
	return err
}

// copyVolumeKeyNames lists the keys --copy-volume takes.
func copyVolumeKeyNames() string {
	names := make([]string, len(copyVolumeKeys))
	for i, k := range copyVolumeKeys {
		names[i] = k.key
	}
	return strings.Join(names, ", ")
}

// parseCopyVolume reads NAME or NAME:KEY=VALUE,...; the values are checked
// with the rest of the configuration, except those that must first be
// parsed (modes, sizes, booleans).
func parseCopyVolume(s string) (overlay.CopyVolume, error) {
	name, opts, hasOpts := strings.Cut(s, ":")
	cv := overlay.CopyVolume{Name: name}
	if name == "" || hasOpts && opts == "" {
		return cv, fmt.Errorf("--copy-volume %q: want NAME or NAME:KEY=VALUE,...", s)
	}
	if !hasOpts {
		return cv, nil
	}
	seen := map[string]bool{}
	for _, opt := range strings.Split(opts, ",") {
		key, value, ok := strings.Cut(opt, "=")
		i := slices.IndexFunc(copyVolumeKeys, func(k copyVolumeKey) bool { return k.key == key })
		switch {
		case !ok || value == "":
			return cv, fmt.Errorf("--copy-volume %q: %q: want KEY=VALUE", s, opt)
		case i < 0:
			return cv, fmt.Errorf("--copy-volume %q: unknown key %q (valid: %s)", s, key, copyVolumeKeyNames())
		case seen[key]:
			return cv, fmt.Errorf("--copy-volume %q: %s is given twice", s, key)
		}
		seen[key] = true
		if err := copyVolumeKeys[i].set(&cv, value); err != nil {
			return cv, fmt.Errorf("--copy-volume %q: %s: %w", s, key, err)
		}
	}
	return cv, nil
}

// addToolFlags registers the flags of the tools and of twin mode's holds
// (issue 26).
func (o *OverlayFlags) addToolFlags(fs *pflag.FlagSet) {
	fs.BoolVar(&o.Tools, "tools", false, "Inject a static busybox at "+overlay.ToolsPath+" of the target containers, for a shell in the app container itself")
	fs.StringVar(&o.ToolsImage, "tools-image", "", fmt.Sprintf("Image of the static busybox the tools copy, at /bin/busybox (default %s)", overlay.DefaultToolsImage))
	fs.BoolVar(&o.Hold, "hold", false, "In twin mode, hold the twin's target containers: they idle instead of running their program, which is recorded to run by hand")
	fs.StringArrayVar(&o.HoldInit, "hold-init", nil, "In twin mode, hold this init container of the twin's pod, which stays in its Init phase until released; repeatable")
}

// toolConfig sets the tool and hold flags that were given on flagCfg.
func (o *OverlayFlags) toolConfig(flagCfg *overlay.Config) {
	changed := o.flags.Changed
	if changed("tools") {
		flagCfg.Tools.Inject = &o.Tools
	}
	flagCfg.Tools.Image = o.ToolsImage
	if changed("hold") {
		flagCfg.Twin.Hold = &o.Hold
	}
	flagCfg.Twin.HoldInit = o.HoldInit
}
