package cmd

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"

	"github.com/spf13/cobra"
)

// Companion is the binary of the commands that talk to a cluster
// (attach), named as kubectl's plugin convention asks for `kubectl
// debug-overlay`. It is a binary of its own: client-go's package
// initialisation would cost every Helm render milliseconds at start.
const Companion = "kubectl-debug_overlay"

// NewAttachCommand returns `debug-overlay attach`, which runs the
// companion binary's attach with the same arguments.
func NewAttachCommand() *cobra.Command {
	return &cobra.Command{
		Use:                "attach",
		Short:              "Add the debug container to running pods, without a restart (runs " + Companion + ")",
		DisableFlagParsing: true,
		SilenceErrors:      true,
		SilenceUsage:       true,
		RunE: func(c *cobra.Command, args []string) error {
			bin, err := findCompanion(os.Executable, exec.LookPath)
			if err != nil {
				return err
			}
			return runCompanion(bin, append([]string{Companion, "attach"}, args...))
		},
	}
}

// findCompanion looks for the companion binary beside this one, then on
// PATH.
func findCompanion(self func() (string, error), lookPath func(string) (string, error)) (string, error) {
	if exe, err := self(); err == nil {
		if resolved, err := filepath.EvalSymlinks(exe); err == nil {
			exe = resolved
		}
		beside := filepath.Join(filepath.Dir(exe), Companion)
		if info, err := os.Stat(beside); err == nil && !info.IsDir() && info.Mode()&0o111 != 0 {
			return beside, nil
		}
	}
	if p, err := lookPath(Companion); err == nil {
		return p, nil
	}
	return "", errors.New("attach lives in the companion binary " + Companion + " (a separate binary keeps client-go out of the post-renderer, which Helm starts for every render), " +
		"found neither beside debug-overlay nor on PATH: build both with `make build` (bin/), or " +
		"`go install github.com/debug-overlay/debug-overlay/cmd/" + Companion + "@latest`; on PATH it is also `kubectl debug-overlay attach`")
}

// exitStatus is a companion's exit status, passed on without a message of
// our own.
type exitStatus int

func (e exitStatus) Error() string { return fmt.Sprintf("exit status %d", int(e)) }

// ExitCode is the exit status for a command's error: the companion's own,
// else 1.
func ExitCode(err error) int {
	var st exitStatus
	if errors.As(err, &st) {
		return int(st)
	}
	if err != nil {
		return 1
	}
	return 0
}
