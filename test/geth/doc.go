// Package geth runs the seed scenario of debug-overlay end to end, with the
// real programs: geth ignores keystore files that are symlinks, and kubelet
// presents every key of a Secret volume as one, so a wallet mounted from a
// Secret is invisible to geth until the overlay's init container copies it
// into an emptyDir as regular files.
//
// The test creates an account with the real geth (bin/geth, built by
// hack/build-geth.sh), puts its key file into the example chart's keystore
// Secret, and renders charts/examples/geth through the real Helm 3
// (bin/helm3) with the built debug-overlay as post-renderer, with the toggle
// off and on. From each rendered pod spec it builds the pod's filesystem as
// kubelet would (Secret volumes in kubelet's atomic-writer layout, emptyDirs
// empty), runs the rendered init containers' commands with busybox, each in
// its own mount namespace and chroot seeing exactly its volumeMounts, and
// then runs `geth account list` in the geth container's view: with the
// toggle off geth must list nothing, with it on exactly the account created.
// It also checks that the debug sidecar sees every mount of the geth
// container, with the same volume and the same content.
//
// It needs root (mount namespaces and bind mounts), bin/geth (`make geth`),
// bin/helm3 (`make tools`) and a static busybox (`make deps`); a missing one
// fails the run, never skips it. Set DEBUG_OVERLAY_BIN to test a binary built
// elsewhere, GETH_BIN for another geth.
//
// Run with `make e2e-geth`, or `go test ./test/geth/ -v -count=1`.
package geth
