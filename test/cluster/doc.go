// Package cluster runs a real Kubernetes control plane for tests: etcd and
// kube-apiserver on free loopback ports, nothing else (no controller manager,
// no scheduler, no kubelet). Pods are validated and admitted (Pod Security,
// ServiceAccount, LimitRanger, ...) and then stay Pending.
//
// Start it once per test package, in TestMain, and share the *Cluster:
//
//	c, err := cluster.Start(cluster.Options{})
//	if err != nil { ... }
//	defer c.Stop()
//
// or, in a single test, cluster.StartT(t, opts), which stops it in t.Cleanup.
//
// Binaries: kube-apiserver and kubectl from the repository's git-ignored bin/
// (built by hack/build-kube.sh, `make kube`), etcd from $PATH (Debian's
// etcd-server). Everything the cluster writes (certificates, kubeconfig, etcd
// data, logs) lives in one temporary directory that Stop removes. The child
// processes get SIGKILL when the test process dies (Pdeathsig), so a panic or
// a `go test -timeout` leaves no server behind; Stop kills them by PID.
//
// Without a controller manager two things a real cluster does are missing:
// namespaces get no `default` ServiceAccount (the ServiceAccount admission
// plugin then refuses every Pod before any other check runs), so
// CreateNamespace creates it; and the service-account token controller does
// not run, which admission does not need.
package cluster
