// Package podedit holds the pod editors that overlay.Apply works through:
// Tree edits yaml.v3 nodes (any YAML), Splice inserts text into the bytes
// of an indexed block YAML document (the fast road: what it does not touch
// keeps every byte), Typed edits a typed pod spec. Each undoes an overlay
// of an earlier run first; StripTree and Unsplice undo one for Strip.
package podedit
