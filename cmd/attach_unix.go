//go:build !windows

package cmd

import (
	"fmt"
	"os"
	"syscall"
)

// runCompanion replaces this process with the companion: its exit status,
// signals and terminal are then simply its own.
func runCompanion(bin string, argv []string) error {
	if err := syscall.Exec(bin, argv, os.Environ()); err != nil {
		return fmt.Errorf("running %s: %w", bin, err)
	}
	return nil
}
