package argocd

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/debug-overlay/debug-overlay/cmd"
)

// Program is the plugin's binary, debug-overlay-argocd: the release image
// carries it in /usr/local/bin.
const Program = "debug-overlay-argocd"

// NewRootCommand returns debug-overlay-argocd: generate, which Argo CD's
// cmp-server runs to render an Application, plugin, which prints the
// plugin's configuration, and version.
func NewRootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:   Program,
		Short: "The debug-overlay Config Management Plugin for Argo CD",
		Long: `debug-overlay-argocd is the debug-overlay Config Management Plugin for
Argo CD: generate, which Argo CD's cmp-server runs in the plugin's sidecar
to render an Application, and plugin, which prints the plugin's
configuration (plugin.yaml).`,
		SilenceErrors: true,
		SilenceUsage:  true,
	}
	root.AddCommand(NewGenerateCommand(), NewPluginCommand(), cmd.NewVersionCommand())
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return fmt.Errorf("%w (see '%s --help')", err, c.CommandPath())
	})
	return root
}

// Execute runs root and returns the exit status: 0, or 1 after one line
// on stderr naming the program and the error (Argo CD shows a plugin's
// stderr in its UI).
func Execute(root *cobra.Command) int {
	err := root.ExecuteContext(context.Background())
	if err != nil {
		fmt.Fprintf(root.ErrOrStderr(), "%s: error: %v\n", root.Name(), err)
	}
	return cmd.ExitCode(err)
}
