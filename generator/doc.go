// Package generator is debug-overlay's library front: the drivers that run
// the overlay of package overlay over manifests. Renderer (the Helm
// post-renderer, also Helm's postrender.PostRenderer), Check, Stripper,
// the KRM Function, GeneratePatches (static patches for Argo CD and Flux)
// and Report.Explain all run one pipeline: a reader splits and spools the
// stream (internal/stream), a filter overlays one document at a time,
// on the fast road (internal/blockyaml, internal/podedit's Splice) or the
// tree road (internal/yamltree, podedit's Tree), and a writer keeps the
// output until the whole stream passed. The filter is chosen once per run
// for the mode (inPlace, twins); the KRM function gives the same filter
// its items. Every entry point takes its configuration from Resolve
// (defaults < layers, validated) and judges it against a Clock.
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
