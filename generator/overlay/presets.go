package overlay

import (
	"fmt"
	"maps"
	"slices"
)

// PresetName names a sidecar preset.
type PresetName string

// The sidecar presets. PresetCustom takes image, command and shell from the
// configuration.
const (
	PresetAlpine  PresetName = "alpine"
	PresetToolbox PresetName = "toolbox"
	PresetBusybox PresetName = "busybox"
	PresetCustom  PresetName = "custom"
)

// Preset is what a preset contributes to the sidecar: an image and the shell
// people exec into, which also runs the idle loop.
type Preset struct {
	Image string
	Shell string
}

var presets = map[PresetName]Preset{
	PresetAlpine:  {Image: "alpine:3.20", Shell: "ash"},
	PresetToolbox: {Image: "nicolaka/netshoot:v0.13", Shell: "bash"},
	PresetBusybox: {Image: "busybox:1.36", Shell: "sh"},
	PresetCustom:  {Shell: "sh"},
}

// PresetNames lists the valid preset names, sorted.
func PresetNames() []PresetName {
	return slices.Sorted(maps.Keys(presets))
}

// LookupPreset returns the named preset, or an error listing the valid names.
func LookupPreset(name PresetName) (Preset, error) {
	p, ok := presets[name]
	if !ok {
		return Preset{}, fmt.Errorf("unknown preset %q (valid: %s)", name, JoinNames(PresetNames()))
	}
	return p, nil
}

// idleScript keeps the sidecar alive for kubectl exec. A bare sleep loop as
// PID 1 ignores SIGTERM (the kernel drops signals PID 1 has no handler for),
// so every pod deletion would wait the whole grace period: the trap and the
// backgrounded sleep let the shell act on TERM at once.
const idleScript = `trap 'exit 0' TERM INT; while true; do sleep 3600 & wait $!; done`

// IdleCommand returns the command that runs the idle loop in shell.
func IdleCommand(shell string) []string {
	return []string{shell, "-c", idleScript}
}
