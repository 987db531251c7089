package attach

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/debug-overlay/debug-overlay/cmd"
)

// NewRootCommand returns kubectl-debug_overlay: kubectl runs it for
// `kubectl debug-overlay`, and debug-overlay for `debug-overlay attach`.
func NewRootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:           "kubectl-debug_overlay",
		Short:         "The debug-overlay commands that talk to a live cluster",
		Long:          "kubectl-debug_overlay runs debug-overlay's commands that talk to a cluster. As a kubectl plugin: kubectl debug-overlay attach ...",
		SilenceErrors: true,
		SilenceUsage:  true, // usage errors point to --help instead, as kubectl's do
	}
	root.AddCommand(NewAttachCommand(), cmd.NewVersionCommand())
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usage(err) })
	return root
}

// Execute runs the root command, prints an error on stderr (for a usage
// error, with where to find the usage) and returns the exit status.
func Execute(root *cobra.Command) int {
	err := root.ExecuteContext(context.Background())
	code := cmd.ExitCode(err)
	if err != nil {
		fmt.Fprintf(root.ErrOrStderr(), "kubectl-debug_overlay: error: %v\n", err)
		if code == ExitUsage {
			fmt.Fprintln(root.ErrOrStderr(), "See 'kubectl debug-overlay attach --help' for usage.")
		}
	}
	return code
}
