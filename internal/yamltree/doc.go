// Package yamltree holds the yaml.v3 side: parsing a document into a
// comment-preserving tree, reading and editing its nodes in place (the last
// of a key written twice counts, as in Kubernetes), decoding nodes into
// typed values, and encoding a changed document again in its own list
// style and line endings. Nodes the overlay builds get the string styles
// package blockyaml picks, so both roads write one text.
package yamltree
