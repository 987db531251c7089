package cmd

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"
)

// Execute runs the root command and prints an error, if any, on stderr:
// after the failing command's usage when it is a usage error. Under Helm 4,
// which hides a post-renderer's stderr, it also goes where the user sees it
// (helm4.go).
func Execute(root *cobra.Command) error {
	h4 := helm4PluginFromEnv(os.Getenv, os.Args[1:])
	h4.attach(root)
	c, err := root.ExecuteC()
	if err != nil {
		errOut := root.ErrOrStderr()
		var u usageError
		if errors.As(err, &u) {
			fmt.Fprintln(errOut, c.UsageString())
		}
		var st *StatusError
		if !errors.As(err, &st) || st.Err != nil {
			fmt.Fprintf(errOut, "debug-overlay: error: %v\n", err)
		}
	}
	h4.finish(err)
	return err
}

// options is what the options of every command do, in kubectl's order:
// Complete fills in what the arguments and flags imply, Validate checks
// them, Run does the work with the command's streams.
type options interface {
	Complete(args []string) error
	Validate() error
	Run(in io.Reader, out, errOut io.Writer) error
}

// runE is the RunE of every command: o's Complete, Validate and Run, in
// that order. What Validate refuses is a usage error.
func runE(o options) func(*cobra.Command, []string) error {
	return func(c *cobra.Command, args []string) error {
		if err := o.Complete(args); err != nil {
			return err
		}
		if err := o.Validate(); err != nil {
			return usage(err)
		}
		return o.Run(c.InOrStdin(), c.OutOrStdout(), c.ErrOrStderr())
	}
}

// usageError is an error in how a command was called, found before the
// command did anything: a flag or an argument that does not parse (cobra,
// noArgs, the overlay flags' values) or that Validate refuses. Execute
// prints the command's usage with it. Any other error, such as a --config
// file that cannot be read, is a runtime failure, printed alone.
//
// Cobra's own usage printing is off (SilenceUsage on the root): it writes
// to the root's out writer, which is stdout whenever a caller sets one, and
// past the Helm 4 terminal that Execute adds to stderr.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

// usage marks err, if any, as a usage error.
func usage(err error) error {
	if err == nil {
		return nil
	}
	return usageError{err}
}

// usageOnFlagError is the roots' FlagErrorFunc: a flag that does not parse
// is a usage error.
func usageOnFlagError(_ *cobra.Command, err error) error { return usage(err) }

// noArgs is cobra.NoArgs, whose error is a usage error.
func noArgs(c *cobra.Command, args []string) error { return usage(cobra.NoArgs(c, args)) }

// StatusError is an error that ends the process with Code, an exit status
// other than 1. With a nil Err it is a status passed on from a process that
// has said what it had to say (the companion binary), and Execute prints no
// message of its own.
type StatusError struct {
	Code int
	Err  error
}

func (e *StatusError) Error() string {
	if e.Err == nil {
		return fmt.Sprintf("exit status %d", e.Code)
	}
	return e.Err.Error()
}

func (e *StatusError) Unwrap() error { return e.Err }

// ExitCode is the exit status for a command's error: 0 for none, a
// StatusError's Code, else 1.
func ExitCode(err error) int {
	if err == nil {
		return 0
	}
	var st *StatusError
	if errors.As(err, &st) {
		return st.Code
	}
	return 1
}
