// Package cmd holds debug-overlay's cobra commands. Flags and files become a
// overlay.Config in one place (OverlayFlags.Config, and CheckConfig, which
// reads on past a problem, for check); all overlay logic lives in package
// generator.
//
// Every command has the kubectl shape, one file each: XOptions,
// NewXOptions with the defaults, AddFlags on a flag set, then Complete,
// Validate and Run, which runE calls in that order for NewXCommand.
// A usage error (a flag or an argument that does not parse, or that
// Validate refuses) prints the command's usage before the error; a runtime
// failure prints the error alone. Both exit 1; a StatusError carries
// another status (ExitCode).
//
// In render modes only YAML goes to stdout, and only when the whole stream
// succeeded; every diagnostic goes to stderr; failure exits non-zero.
package cmd
