package generator

import "github.com/debug-overlay/debug-overlay/generator/overlay"

// The overlay's own types, under the names programs built on this package
// use with Renderer, Report and Stripper. What they mean is package
// overlay's: the configuration schema, presets and profiles live there.
type (
	// Config says what the overlay does; see overlay.Config.
	Config = overlay.Config
	// Workload reports what the overlay did to one workload.
	Workload = overlay.Workload
	// WorkloadKind says where a kind keeps its pod template.
	WorkloadKind = overlay.WorkloadKind
	// Target, Sidecar, Copy, CopyVolume and Tools are parts of Config.
	Target     = overlay.Target
	Sidecar    = overlay.Sidecar
	Copy       = overlay.Copy
	CopyVolume = overlay.CopyVolume
	Tools      = overlay.Tools
)
