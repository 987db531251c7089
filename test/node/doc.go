// Package node runs a real single-node Kubernetes on this machine for tests:
// etcd and kube-apiserver (through test/cluster), kube-controller-manager,
// kube-scheduler, containerd with runc and the CNI bridge plugin, and a
// kubelet, so that pods really run and `kubectl exec`/`logs` work.
//
// Everything listens on loopback or on the harness's own bridge (default
// knode0, 10.244.0.1/24), which is the node IP and the pod network; pods get
// no route beyond it and no DNS. There is no registry: containerd's registry
// configuration sends every host to an unreachable loopback address, so an
// image that was not imported fails at once, and the images are the
// docker-archive tarballs hack/images builds (images.json names them and the
// sandbox image), imported with `ctr images import`.
//
// Binaries: kubelet, kube-controller-manager, kube-scheduler, kube-apiserver
// and kubectl from the repository's bin/ (hack/build-kube.sh); containerd,
// ctr, runc, the CNI plugins, etcd and ip from Debian (hack/node-deps.sh).
// Start fails, naming `make e2e-cluster`, when one is missing; it never
// skips.
//
// Host changes and how they are undone. Each is written into the run's
// state.json before it is made, so that Stop, or a later Start, or the
// cleanup command (go run ./test/node/cleanup) after a crash, undoes exactly
// what was done:
//
//   - processes: started with Pdeathsig, stopped by PID (checked against the
//     process start time); containers by the PIDs in the run's cgroups;
//     containerd shims by the PIDs whose command line names this run's
//     containerd socket;
//   - the bridge: created, deleted;
//   - sysctls the kubelet sets (vm.overcommit_memory, vm.panic_on_oom,
//     kernel.panic, kernel.panic_on_oops, kernel.keys.root_maxkeys,
//     kernel.keys.root_maxbytes): read before, written back;
//   - mounts under the run directory (kubelet's volumes and its rshared root,
//     containerd's rootfs, shm and network namespaces): unmounted;
//   - the run's cgroup root (kubelet's cgroupRoot) in every hierarchy:
//     removed, deepest first;
//   - directories that kubelet, containerd 1.6 and libcni use whatever they
//     are told: /var/log/containers (kubelet's log symlinks),
//     /var/lib/kubelet/device-plugins (kubelet.sock), /run/containerd/s
//     (shim sockets), /var/lib/cni/results (libcni's cache): the entries the
//     run added removed, and each directory the run had to make.
//
// Everything else lives in the run directory, under $TMPDIR/debug-overlay-
// node/, which Stop removes: containerd's root and state, runc's root, the
// CNI configuration and IPAM state, the kubelet's root and pod logs, the
// certificates and the logs. kubelet does not touch iptables
// (makeIPTablesUtilChains: false) and gets oomScoreAdj 0; containerd
// restricts oom_score_adj (neither can lower it without CAP_SYS_RESOURCE).
// Only one node runs at a time: Start takes a lock.
package node
