// Package kustomize holds the end-to-end tests of debug-overlay's kustomize
// and GitOps paths, with real components only: the built binary, the real
// kustomize (bin/kustomize, v5.8.2) and Helm 3 (bin/helm3), both built by
// `make tools`, and kustomize's own library (sigs.k8s.io/kustomize/api/krusty)
// in process.
//
// The geth example goes through every path and the overlaid objects are
// compared field by field: the Helm 3 post-renderer, the KRM function under
// `kustomize build --enable-alpha-plugins --enable-exec` and under krusty,
// the patches `debug-overlay generate` writes (as a kustomize Component, and
// as Flux post-renderer patches) built by kustomize.
//
// Nothing in the repository is written, except by -update, which rewrites
// overlays/examples/geth/generated/. The charts are copied to a temporary
// directory; Helm's home directories point into it. The Component's exec
// function runs the binary under test through DEBUG_OVERLAY_BIN. A missing
// tool fails the run, never skips it.
//
// Run with `go test ./test/kustomize/ -v -count=1`.
package kustomize
