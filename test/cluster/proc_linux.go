package cluster

import "syscall"

// sysProcAttr makes the kernel kill the servers when the test process dies
// (a panic, a `go test -timeout`), so none outlives it. Pdeathsig fires when
// the thread that started the child exits; Go does not end threads unless a
// goroutine exits while locked to one, which this package never does.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
