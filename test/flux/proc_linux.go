package flux

import "syscall"

// sysProcAttr has the kernel kill a controller when the test process dies
// (a panic, a `go test -timeout`), so none outlives it; Stop kills them by
// PID in every other case.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
