// Package argocd is debug-overlay as an Argo CD Config Management Plugin
// (CMP), the `argocd` commands of the companion binary kubectl-debug_overlay.
//
// Argo CD runs no Helm post-renderers. A CMP is a sidecar of its
// repo-server whose generate command prints an Application's manifests;
// Argo CD's argocd-cmp-server runs it by exec (no shell: $VAR in plugin.yaml
// stays literal) in the repository's copy of the application's directory.
// `argocd generate` renders the chart there with Helm 4's SDK, with the
// options Argo CD v3.5.1's own Helm source gives helm template, and then
// overlays the result with generator.Renderer, in-process.
//
// Contracts of generate: stdout holds only the manifests, and only once
// everything succeeded; with the overlay off they are what Argo CD's Helm
// source renders, byte for byte. A failure is one line on stderr (Argo CD
// shows it in its UI), naming the parameter or the template, and a
// non-zero exit. Warnings go to stderr, which the cmp-server logs.
//
// `argocd plugin` prints the plugin's configuration (plugin.yaml) from the
// same parameter table generate reads, Params.
package argocd
