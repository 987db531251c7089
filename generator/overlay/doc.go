// Package overlay says what a selected pod gets, without any YAML: the
// DebugOverlay configuration (schema, defaults, layering, validation),
// presets and profiles, target selection, the debug sidecar, mirrored
// mounts and their environment, the copy init container and its emptyDirs,
// resources, and the status record a pod template carries, from which an
// overlay is undone.
//
// Apply overlays one pod template through an Editor, which holds the
// template in whatever form the caller has it: yaml.v3 nodes, the bytes
// of a block YAML document, a typed pod from the API server (package
// internal/podedit has all three). Whichever the road, the overlay's
// meaning is decided here, once. PodFields and ContainerFields declare
// what Apply reads of a pod spec.
package overlay
