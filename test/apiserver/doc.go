// Package apiserver checks what debug-overlay writes against a real
// kube-apiserver (test/cluster: etcd and kube-apiserver from bin/, built by
// `make kube`): every golden case's expected output, the example charts'
// renders and the renders of random streams (internal/testcorpus) must pass
// server-side dry-run apply (decoding, defaulting, validation and
// admission, with strict field validation), and each security
// profile must be admitted, or refused with Pod Security's own message, in
// namespaces that enforce Pod Security's levels.
//
// One API server serves the whole package (TestMain); each test works in its
// own namespaces. The binary under test is built from ./cmd/debug-overlay
// unless DEBUG_OVERLAY_BIN names one; Helm 3 is bin/helm3 (`make tools`).
//
// Run with `make apiserver-test`, or `go test ./test/apiserver/ -v -count=1`.
package apiserver
