// Package generator holds all of debug-overlay's logic as a library: it reads a
// stream of Kubernetes manifests, finds the pod-bearing workloads, and layers a
// reversible debug overlay onto their pod templates (a debug sidecar with the
// application's mounts mirrored, and an init container that copies Secret,
// ConfigMap, projected and downwardAPI volumes into emptyDirs as regular files).
//
// The package never touches os.Stdin, os.Stdout or flags: callers hand it a
// Config and an io.Reader, and get bytes (or an error, and findings) back.
//
// Stream contract (Render):
//   - every input document comes out, in the same order, except DebugOverlay
//     configuration documents, which are consumed;
//   - documents the overlay does not change are copied through byte for byte;
//   - changed documents keep the bytes before their first YAML line (the `---`
//     separator and Helm's `# Source:` comment), their comments and key order;
//   - on any error nothing is written: Helm would install whatever it reads.
package generator
