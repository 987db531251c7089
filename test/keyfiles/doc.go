// Package keyfiles runs programs that guard their key files on the copies
// the overlay's init container makes, with the real programs: PostgreSQL
// (Debian's package) refuses a private key that its group or others may
// read, and OpenSSH's ssh-keygen refuses a private key of its own user that
// is "too open". kubelet writes Secret files as root with the volume's
// mode (0644 unless set; with an fsGroup it adds group read), so both
// refuse a key mounted from a Secret; with the copy's fileMode and owner
// they take it.
//
// Each test renders a Secret and a workload through the debug-overlay
// binary, with the toggle off and on, and lays out the rendered pod's
// volumes as kubelet does (test/testenv: the atomic writer, the fsGroup's
// ownership of the Secret volume and of the emptyDir). It runs the rendered
// copy init container's command and arguments with busybox, as kubelet
// would run it: as its runAsUser and runAsGroup (else the pod's; root
// without either, as the busybox image), with the pod's fsGroup and
// supplementalGroups among its groups, through setpriv. Then it runs the
// program as the app container's user on the files the app would see: the
// Secret volume with the toggle off, the copy with it on.
//
// It needs root (to run as other users and lay out root's files), a
// busybox and setpriv (util-linux), PostgreSQL and ssh-keygen, which `make
// deps` (hack/install-deps.sh) installs; a missing one fails the run, never
// skips it. Set DEBUG_OVERLAY_BIN to test a binary built elsewhere.
//
// Run with `make e2e-keyfiles`, or `go test ./test/keyfiles/ -v -count=1`.
package keyfiles
