// Package testenv sets up what the end-to-end test packages under test/
// share: the repository they run in, the debug-overlay binary under test,
// the real tools in the repository's git-ignored bin/ (Helm 3 and 4,
// kustomize, geth, kube-apiserver), Helm home directories apart from any
// Helm on the machine, a private copy of charts/ with its dependencies
// built, subprocesses run with their output captured and logged, and pod
// volumes laid out as kubelet lays them out (kubelet.go: its atomic writer,
// its fsGroup ownership, its $(VAR) expansion of a container's command).
//
// A missing tool is an error that names the make target that provides it:
// the test packages fail their run with it, they never skip.
//
// The setup functions return errors rather than taking a *testing.T, since
// they run in TestMain; the functions that take a testing.TB run inside a
// test and fail it. Nothing here writes to the repository: copies and builds
// go to the directory the caller passes, normally one made in TestMain.
//
// Set DEBUG_OVERLAY_BIN to test a binary built elsewhere, such as
// `make build`'s bin/debug-overlay; a relative path is relative to the test
// package's directory, where `go test` runs it.
package testenv
