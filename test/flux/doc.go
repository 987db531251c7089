// Package flux runs the Flux controllers for tests, and holds the tests of
// debug-overlay's Flux path: the spec.postRenderers that `debug-overlay
// generate --flux-release` writes, applied by the real helm-controller.
//
// Everything is real: Flux's source-controller and helm-controller, built
// from the Go module proxy (hack/build-flux.sh, one tools module each under
// hack/tools/flux/), with the CRDs of the same releases; the kube-apiserver
// and etcd of package cluster; the charts packaged by
// hack/package-charts.sh into a Helm repository that a Go file server
// serves on a loopback port, as any static web server would; Helm 3 and the
// built binary for the references. There is no kubelet, controller manager
// or scheduler: the tests compare the objects the controller installs, and
// no pod runs. A hook Job therefore never completes; the hook chart's Job is
// suspended, which Flux's hook wait counts as done.
//
// Start the controllers once per test package, in TestMain, after the CRDs:
//
//	versions, err := flux.InstallCRDs(kube, "")
//	c, err := flux.Start(flux.Options{Kubeconfig: kube.Kubeconfig})
//	defer c.Stop()
//
// Each controller runs with its own loopback ports (readiness probe,
// source-controller's artifact server), no leader election and no metrics
// server, and a home and temporary directory of its own; Stop kills it by
// PID and removes its directory, and the kernel kills it when the test
// process dies (Pdeathsig), so none outlives a panic or a `go test
// -timeout`.
//
// Run the tests with `make flux-test`, or `go test ./test/flux/ -v
// -count=1` after `make build tools`.
package flux
