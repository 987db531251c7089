// Command kubectl-debug_overlay is debug-overlay's companion binary: live
// mode and the kubectl plugin `kubectl debug-overlay` (attach adds the
// overlay's debug container to running pods as an ephemeral container), and
// the Argo CD Config Management Plugin (argocd generate).
package main

import (
	"os"

	"github.com/debug-overlay/debug-overlay/cmd/argocd"
	"github.com/debug-overlay/debug-overlay/cmd/attach"
)

func main() {
	root := attach.NewRootCommand()
	root.AddCommand(argocd.NewCommand())
	os.Exit(attach.Execute(root))
}
