// Package blockyaml is text work on block YAML, the YAML Helm renders,
// without a YAML parser: Doc indexes a document (where each mapping,
// list and scalar starts and ends, and each key), reads values and writes
// nodes as JSON; Edit and Apply splice text into the document; Emit writes
// JSON as block YAML; StyleOf decides how a string the overlay inserts is
// written, for both roads. Whatever the index is not sure of (anchors,
// tags, multi-line scalars, CRLF, a key twice), it refuses, and callers
// take yaml.v3 instead (package internal/yamltree).
package blockyaml
