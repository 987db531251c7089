// Package stream cuts a manifest stream into raw documents at column-0
// `---` lines (their bytes, and the preamble of comments before the YAML,
// kept exactly), holds a stream's bytes in a Spool (memory up to a bound,
// then a temporary file), and reads a document's kind and apiVersion from
// its column-0 lines without parsing it.
package stream
