package cmd

import (
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// Companion is the binary of the commands that talk to a cluster
// (attach), named as kubectl's plugin convention asks for `kubectl
// debug-overlay`. It is a binary of its own: client-go's package
// initialisation would cost every Helm render milliseconds at start.
const Companion = "kubectl-debug_overlay"

// AttachOptions runs `debug-overlay attach`: the companion binary's attach
// with the same arguments.
type AttachOptions struct {
	args []string
}

// NewAttachOptions returns the defaults.
func NewAttachOptions() *AttachOptions { return &AttachOptions{} }

// AddFlags registers attach's flags here: none, as the companion parses
// them (the command disables flag parsing and passes every argument on).
func (o *AttachOptions) AddFlags(*pflag.FlagSet) {}

// Complete takes the arguments, flags included, for the companion.
func (o *AttachOptions) Complete(args []string) error {
	o.args = args
	return nil
}

// Validate has nothing to check: the companion checks its arguments.
func (o *AttachOptions) Validate() error { return nil }

// Run finds the companion and runs its attach, which on Unix replaces this
// process.
func (o *AttachOptions) Run(in io.Reader, out, errOut io.Writer) error {
	bin, err := findCompanion(os.Executable, exec.LookPath)
	if err != nil {
		return err
	}
	return runCompanion(bin, append([]string{Companion, "attach"}, o.args...), in, out, errOut)
}

// NewAttachCommand returns `debug-overlay attach`.
func NewAttachCommand() *cobra.Command {
	o := NewAttachOptions()
	cmd := &cobra.Command{
		Use:                "attach",
		Short:              "Add the debug container to running pods, without a restart (runs " + Companion + ")",
		DisableFlagParsing: true,
		RunE:               runE(o),
	}
	o.AddFlags(cmd.Flags())
	return cmd
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
