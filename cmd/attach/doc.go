// Package attach holds the commands of kubectl-debug_overlay, the
// companion binary that talks to a cluster: `attach` adds the overlay's
// debug container to running pods as an ephemeral container (package
// live). It is a binary of its own so that the post-renderer, which Helm
// starts for every render, never links client-go (see README, "Live
// mode").
//
// stdout holds what a script uses: the kubectl exec line of each pod that
// got the container, the patches (-o yaml), or the shell's own output
// (--exec); progress lines, notes and errors go to stderr. The exit
// status says how it went (the Exit constants); a usage error (exit 2)
// says where to find the usage instead of printing it, as kubectl's do.
//
// Each command has the kubectl shape, one file each: XOptions,
// NewXOptions with the defaults, AddFlags on a flag set, then Complete,
// Validate and Run, called in that order by NewXCommand.
package attach
