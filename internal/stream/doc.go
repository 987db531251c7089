// Package stream cuts a manifest stream into raw documents at column-0
// `---` lines (their bytes, and the preamble of comments before the YAML,
// kept exactly), holds a stream's bytes in a Spool (memory up to a bound,
// then a temporary file; ranges of another Spool by reference, so documents
// copied through unchanged are not copied again), and reads a document's
// kind and apiVersion from its column-0 lines without parsing it.
//
// All of it runs at close to memory speed on documents that are not
// workloads, such as large CustomResourceDefinitions: the Reader reads in
// large blocks and looks only at line starts, ScanHeader skips indented
// lines with one search each, and a Spool grows by blocks, never copying.
package stream
