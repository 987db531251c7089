// Package helm4 holds the end-to-end tests of debug-overlay as a Helm 4
// post-renderer plugin (plugin.yaml at the repository root), run under the
// real Helm 4 (bin/helm4) and, side by side, the real Helm 3 (bin/helm3),
// both built by `make tools` (hack/install-tools.sh helm3 helm4).
//
// Nothing is mocked and nothing in the repository is written: the charts
// and the fixtures in testdata/ are copied to a temporary directory (keeping
// their relative paths, so file:// dependencies resolve) and their
// dependencies built there; the plugin is installed from a copy of
// plugin.yaml next to a freshly built binary; each Helm has its own home
// directories there. The tests that install and upgrade releases share a
// real API server (test/cluster: Debian's etcd and kube-apiserver, no
// kubelet; `make deps kube`), which the first of them starts and TestMain
// stops. Set DEBUG_OVERLAY_BIN to test a binary built elsewhere.
//
// What Helm 4 does differently, and these tests pin down: --post-renderer
// takes the name of an installed postrenderer/v1 plugin; the stream it
// sends is re-serialised by kyaml, sorted by template file name, without
// `# Source:` comments but with a postrenderer.helm.sh/postrender-filename
// annotation on every document; it sends hooks, in the same call as
// everything else under install, upgrade and template; it re-serialises the
// output again, and for some charts that changes data; and it hides the
// plugin's stderr.
//
// Run with `go test ./test/helm4/ -v -count=1`.
package helm4
