//go:build linux

// Command cleanup undoes what test nodes (test/node) left behind when their
// test process was killed before it could stop them: servers, containers
// and shims by PID, mounts, the bridge, sysctls, cgroups, log symlinks and
// shim sockets, as each run's state.json records them. A node that is still
// running is left alone, and is an error. `make e2e-cluster` runs it after
// the tests, whatever their outcome.
//
// Usage: go run ./test/node/cleanup [-work-root DIR]
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/debug-overlay/debug-overlay/test/node"
)

func main() {
	root := flag.String("work-root", "", "The test nodes' work root (default $TMPDIR/debug-overlay-node)")
	flag.Parse()
	logf := func(format string, args ...any) { fmt.Fprintf(os.Stderr, format+"\n", args...) }
	if err := node.CleanupStale(*root, logf); err != nil {
		fmt.Fprintf(os.Stderr, "node cleanup: %v\n", err)
		os.Exit(1)
	}
}
