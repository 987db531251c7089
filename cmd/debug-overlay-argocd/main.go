// Command debug-overlay-argocd is debug-overlay as an Argo CD Config
// Management Plugin: Argo CD's cmp-server runs `debug-overlay-argocd
// generate` in the plugin's sidecar, from the release image. A binary of
// its own: Helm 4's SDK, which generate renders charts with, stays out of
// the companion kubectl-debug_overlay.
package main

import (
	"os"

	"github.com/debug-overlay/debug-overlay/cmd/argocd"
)

func main() {
	os.Exit(argocd.Execute(argocd.NewRootCommand()))
}
