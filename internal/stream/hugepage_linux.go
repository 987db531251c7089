package stream

import (
	"os"
	"strings"
	"syscall"
	"unsafe"
)

// hugePage is the size of a transparent huge page on Linux with 4 KiB
// pages (amd64, and arm64 as most distributions build it).
const hugePage = 2 << 20

// thp is whether bigBuffer asks for transparent huge pages: not when the
// user turned them off for Go's heap (GODEBUG=disablethp=1).
var thp = !strings.Contains(os.Getenv("GODEBUG"), "disablethp=1")

// bigBuffer returns an empty buffer of capacity n or more whose memory the
// kernel may back with transparent huge pages: the first write to each
// 2 MiB then costs one page fault instead of 512. Filling fresh memory is
// most of what holding a large stream costs on a virtual machine, where a
// page fault is dear (touching 8 MiB: 5-10 ms in 4 KiB pages, 1-2 ms in
// huge pages, on the 2-core machine of BENCHMARKS.md). The buffer starts
// at a huge page boundary within an allocation a huge page larger than n,
// and runs to its end; the bytes before it are never touched, so they cost
// address space, not memory. With huge pages off ("never" in
// /sys/kernel/mm/transparent_hugepage/enabled) the advice changes nothing.
func bigBuffer(n int) []byte {
	if !thp || n < hugePage {
		return make([]byte, 0, n)
	}
	b := make([]byte, n+hugePage)
	p := uintptr(unsafe.Pointer(unsafe.SliceData(b)))
	b = b[(p+hugePage-1)&^(hugePage-1)-p:]
	// Advice only: an error leaves an ordinary buffer.
	_ = syscall.Madvise(b[:len(b)-len(b)%hugePage], syscall.MADV_HUGEPAGE)
	return b[:0]
}
