// Package argocd is debug-overlay as an Argo CD Config Management Plugin
// (CMP): the commands of the plugin's own binary, debug-overlay-argocd
// (cmd/debug-overlay-argocd), which the release image carries. A binary of
// its own because Helm 4's SDK, which generate renders with, would make
// the companion kubectl-debug_overlay nearly twice as big and slow to
// start (TestCompanionStaysLean in cmd).
//
// Argo CD runs no Helm post-renderers. A CMP is a sidecar of its
// repo-server whose generate command prints an Application's manifests;
// Argo CD's argocd-cmp-server runs it by exec (no shell: $VAR in plugin.yaml
// stays literal) in the repository's copy of the application's directory.
// `debug-overlay-argocd generate` renders the chart there with Helm 4's
// SDK, with the options Argo CD v3.5.1's own Helm source gives helm
// template, and then overlays the result with generator.Renderer,
// in-process.
//
// Contracts of generate: stdout holds only the manifests, and only once
// everything succeeded; with the overlay off they are what Argo CD's Helm
// source renders, byte for byte. A failure is one line on stderr (Argo CD
// shows it in its UI), naming the parameter or the template, and a
// non-zero exit. Warnings go to stderr, which the cmp-server logs.
//
// `debug-overlay-argocd plugin` prints the plugin's configuration
// (plugin.yaml) from the same parameter table generate reads, Params;
// `debug-overlay-argocd version` is the version command of every binary.
package argocd
