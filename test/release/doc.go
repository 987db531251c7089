// Package release holds the tests of `make release-check`: every install
// path of a release, run against the artefacts of `make dist` (dist/, or
// $DIST) with the real clients, in clean homes.
//
//   - the archives: sha256sum -c of checksums.txt, gpg's check of its
//     signature, the entries of each archive (the post-renderer and the
//     companion, never the Argo CD plugin), the binaries' version, that
//     they are static, the SBOMs against the binaries (the plugin's
//     against the image's); a second dist of the same commit writes the
//     same bytes;
//   - the image: an OCI layout of an index for linux/amd64 and
//     linux/arm64, the three binaries in one layer (the plugin's
//     debug-overlay-argocd only there), its annotations, pushed to a real
//     registry;
//   - krew v0.4.3 (bin/kubectl-krew) installs the krew manifest with the
//     linux/amd64 archive in an empty KREW_ROOT, kubectl (bin/kubectl)
//     finds `kubectl debug-overlay`, a tampered archive is refused;
//   - Helm 4 (bin/helm4) installs the plugin package, verifying its .prov
//     against the public keyring, without Go on PATH, and post-renders a
//     chart with it; a tampered package and another key are refused; the
//     .prov has what `helm plugin package --sign` writes; the same package
//     pushed to a real OCI registry (bin/registry, package test/registry)
//     installs from oci://; the repository itself installs from git with
//     --verify=false;
//   - the charts pushed to the registry with `helm push`: Helm 3 and Helm 4
//     build the geth example's dependency from oci:// and it toggles as
//     with file://;
//   - `go install module/cmd/debug-overlay@version` (and
//     .../cmd/debug-overlay-argocd) from a module proxy of the commit: the
//     version from the build information, the commit unknown;
//   - faults: a bad VERSION, a missing key or passphrase, a registry that
//     refuses the push: one line, a non-zero exit, nothing half-written.
//
// The signing key is a throw-away one that gpg (Debian's) makes in the
// test's directory, exported as a maintainer exports theirs
// (docs/releasing.md). Flux pulling the example from the registry lives in
// test/flux, the image on a real node in test/nodee2e: they need the
// control planes those packages run.
//
// Run it with `make release-check`, which runs make dist first.
package release
