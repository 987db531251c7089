// Command debug-overlay layers a reversible debug overlay onto Kubernetes
// manifests: a Helm post-renderer, a kustomize function and a patch generator.
package main

import (
	"os"

	"github.com/debug-overlay/debug-overlay/cmd"
)

func main() {
	cmd.TuneGC()
	if err := cmd.Execute(cmd.NewRootCommand()); err != nil {
		os.Exit(cmd.ExitCode(err))
	}
}
