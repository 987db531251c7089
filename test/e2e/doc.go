// Package e2e holds the end-to-end tests of debug-overlay: they build the
// binary, run it as a subprocess, alone and as a post-renderer under the real
// Helm 3 (bin/helm3, built by `make tools`), on the charts in charts/.
//
// Nothing is mocked and nothing in the repository is written: the charts are
// copied to a temporary directory and their file:// dependencies built there,
// and Helm's home directories (HELM_CACHE_HOME, HELM_CONFIG_HOME,
// HELM_DATA_HOME) point into it too. Set DEBUG_OVERLAY_BIN to test a binary
// built elsewhere (such as `make build`'s bin/debug-overlay).
//
// Run with `make e2e`, or `go test ./test/e2e/ -v -count=1`.
package e2e
