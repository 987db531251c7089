package attach

import (
	"context"
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/debug-overlay/debug-overlay/cmd"
)

// NewCommand returns the attach command.
func NewCommand() *cobra.Command {
	o := NewOptions()
	c := &cobra.Command{
		Use:   "attach [KIND/NAME...] [-- COMMAND [ARG...]]",
		Short: "Add the debug container to running pods, without a restart",
		Long: `attach gives the running pods of the workloads a DebugOverlay configuration
selects the overlay's debug container, as an ephemeral container: the same
preset and image as the post-renderer's sidecar, aimed at the app container
(its processes are visible), running as the app's user and with the app's
volume mounts at the same paths. Nothing restarts. The workloads come from a
Helm release (--release, configured by its values of the debug-overlay
chart), from rendered manifests (-f), or from KIND/NAME arguments.

Ephemeral containers stay until the pod is replaced, so each workload's
newest Ready running pod gets one, unless --all-pods, --pod NAME or
--max-pods N say otherwise. Profile auto, attach's default, picks per pod the
most capable of restricted < baseline < general that the namespace's Pod
Security level admits: its pod-security.kubernetes.io/enforce label, else
--pod-security, else server-side dry runs, most capable first; attach says
which level it used, where it read it, and what the choice costs.

Precedence, lowest first: defaults, the release's values or the manifests'
DebugOverlay document, --config, flags. Attaching is an explicit request: the
configuration's enabled field is not needed.

What an ephemeral container cannot have is given another way, with a note:
subPath mounts are mounted whole under /debug-overlay/volumes/<volume>;
resources are left out; copies of Secret and ConfigMap volumes need the
declarative overlay (the pod's volumes cannot change while it runs).

Exit status: 0 every picked running pod has a running debug container
(with --dry-run: would have); 1 an error, no pod has one; 2 bad flags,
arguments or configuration; 3 some pods have one, others not; 4 refused (a
missing permission, or Pod Security), no pod has one; 5 not running within
--timeout. With --exec, once a container runs, the command's exit status.`,
		Example: `  # The debug container in one pod of each workload of a Helm release
  kubectl debug-overlay attach --release geth -n geth

  # ...in every pod of them
  kubectl debug-overlay attach --release geth -n geth --all-pods

  # ...and a shell in the first pod
  kubectl debug-overlay attach --release geth -n geth -it

  # A command instead of the shell
  kubectl debug-overlay attach statefulset/geth -n geth --exec -- ls -l /keystore

  # From rendered manifests, with the restricted profile
  helm template geth charts/examples/geth | kubectl debug-overlay attach -f - -n geth --profile restricted

  # Show the patches; let the API server check them without changing anything
  kubectl debug-overlay attach deploy/web --dry-run=server -o yaml`,
		SilenceErrors: true,
		SilenceUsage:  true,
		RunE: func(c *cobra.Command, args []string) error {
			if err := o.Complete(c, args); err != nil {
				return err
			}
			if err := o.Validate(); err != nil {
				return err
			}
			return o.Run(c.Context(), c.InOrStdin(), c.OutOrStdout(), c.ErrOrStderr())
		},
	}
	o.AddFlags(c)
	return c
}

// NewRootCommand returns kubectl-debug_overlay: kubectl runs it for
// `kubectl debug-overlay`, and debug-overlay for `debug-overlay attach`.
func NewRootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:           "kubectl-debug_overlay",
		Short:         "debug-overlay on a live cluster",
		Long:          "kubectl-debug_overlay runs debug-overlay's commands that talk to a cluster. As a kubectl plugin: kubectl debug-overlay attach ...",
		SilenceErrors: true,
		SilenceUsage:  true,
	}
	root.AddCommand(NewCommand(), cmd.NewVersionCommand())
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		c.SilenceUsage = false
		return usage(err)
	})
	return root
}

// Execute runs the root command, prints an error on stderr and returns
// the exit status.
func Execute(root *cobra.Command) int {
	err := root.ExecuteContext(context.Background())
	if err != nil {
		fmt.Fprintf(root.ErrOrStderr(), "kubectl-debug_overlay: error: %v\n", err)
		var e *StatusError
		if errors.As(err, &e) && e.Code == ExitUsage {
			fmt.Fprintln(root.ErrOrStderr(), "See 'kubectl debug-overlay attach --help' for usage.")
		}
	}
	return ExitCode(err)
}
