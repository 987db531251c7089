// Package nodee2e proves every feature of the overlay on real pods: a real
// single-node Kubernetes (test/node: etcd, kube-apiserver,
// kube-controller-manager, kube-scheduler, containerd, runc and a kubelet on
// this machine), the real Helm 3 and Helm 4 and kustomize, and the
// debug-overlay binary under test.
//
//   - the seed case: `helm install --wait` of charts/examples/geth with the
//     toggle on, and `geth account list` in the running geth container lists
//     the account of the keystore Secret; `helm upgrade` with the toggle off
//     gives the chart's own pod back and geth lists nothing (kubelet's
//     symlinks); `helm rollback` brings the debug release back;
//   - the debug sidecar: every mountPath of geth's, with the same content,
//     and `ps` showing geth (shareProcessNamespace);
//   - native sidecars: a Job and a CronJob-spawned Job complete, a classic
//     sidecar's Job does not;
//   - the restricted profile in a namespace enforcing Pod Security
//     "restricted";
//   - a key copied with fileMode 0600 and owner app, in that namespace: the
//     app (user 1000, fsGroup 2000) reads a regular file, mode 0600, owned
//     by 1000:2000, where kubelet gives it a symlink to root's 0440 file;
//   - pod deletion time with the overlay's sidecar against a bare sleep loop;
//   - the kustomize Component (exec KRM function) and Helm 4 with the
//     post-renderer plugin;
//   - live mode (kubectl-debug_overlay attach): ephemeral containers on
//     running pods of a Helm release, a two-replica Deployment, under Pod
//     Security "restricted" and without the permission, timed against
//     `kubectl debug` and the declarative toggle;
//   - the Argo CD plugin: its sidecar, built by kustomize from
//     deploy/argocd, runs Argo CD v3.5.1's cmp-server in a pod as Argo CD's
//     install lays it out, with the release image's debug-overlay-argocd
//     as the plugin's generate, and the manifests it renders through its
//     socket are accepted by the API server;
//   - the release image pulled from a registry by the node: its three
//     binaries' version, the post-renderer on a stream.
//
// Each test logs what it saw; TestMain prints how long the node took to
// start, phase by phase, and the whole suite. Run it as root with `make
// e2e-cluster`, which installs and builds the prerequisites and undoes the
// node's host changes afterwards whatever happened; a missing prerequisite
// fails the run (naming that target), it never skips. Set DEBUG_OVERLAY_BIN
// to test a binary built elsewhere.
package nodee2e
