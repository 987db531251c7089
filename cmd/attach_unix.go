//go:build !windows

package cmd

import (
	"fmt"
	"io"
	"os"
	"syscall"
)

// runCompanion replaces this process with the companion: its exit status,
// signals and terminal are then simply its own, and so are this process's
// standard streams, whatever the command's are.
func runCompanion(bin string, argv []string, _ io.Reader, _, _ io.Writer) error {
	if err := syscall.Exec(bin, argv, os.Environ()); err != nil {
		return fmt.Errorf("running %s: %w", bin, err)
	}
	return nil
}
