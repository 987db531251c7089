// Command kubectl-debug_overlay is debug-overlay's live mode, and the
// kubectl plugin `kubectl debug-overlay`: attach adds the overlay's debug
// container to running pods as an ephemeral container.
package main

import (
	"os"

	"github.com/debug-overlay/debug-overlay/cmd/attach"
)

func main() {
	os.Exit(attach.Execute(attach.NewRootCommand()))
}
