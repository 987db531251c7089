// Package cmd holds debug-overlay's cobra commands. Flags and files become a
// generator.Config in one place (OverlayFlags.Config); all overlay logic lives
// in package generator.
//
// In render modes only YAML goes to stdout, and only when the whole stream
// succeeded; every diagnostic goes to stderr; failure exits non-zero.
package cmd
