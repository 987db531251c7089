// Package live is debug-overlay's live mode: the overlay's debug container
// added to running pods as an ephemeral container, without a restart.
//
// It finds the pods of the workloads a configuration selects (from
// rendered manifests, a Helm release read from the cluster, or workloads
// named on the command line), asks package overlay what each pod gets
// (overlay.Overlay.Ephemeral: the same decision the post-renderer makes),
// patches the pods' ephemeralcontainers subresource, and waits until the
// containers run. It talks to the API server through client-go; the
// post-renderer's binary never links it (only kubectl-debug_overlay does).
//
// Errors the API server gives are turned into what to do: a missing
// permission names the verb, resource and namespace; a Pod Security
// refusal names the profile that would be admitted, found by a server-side
// dry run.
package live
