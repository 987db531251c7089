package cmd

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/debug-overlay/debug-overlay/generator"
)

// FnOptions runs debug-overlay as a KRM function: a ResourceList on stdin,
// the overlaid ResourceList on stdout.
type FnOptions struct {
	Overlay *OverlayFlags
}

// NewFnOptions returns the defaults.
func NewFnOptions() *FnOptions {
	return &FnOptions{Overlay: NewOverlayFlags()}
}

// AddFlags registers the flags: the overlay flags, layered above the
// ResourceList's functionConfig.
func (o *FnOptions) AddFlags(cmd *cobra.Command) {
	o.Overlay.AddFlags(cmd.Flags())
}

// Run processes the ResourceList. Findings go into its results; warnings
// and errors also go to stderr, since kustomize shows a function's stderr
// but not its results.
func (o *FnOptions) Run(in io.Reader, out, errOut io.Writer) error {
	layer, err := o.Overlay.Config()
	if err != nil {
		return err
	}
	f := generator.Function{Config: layer}
	report, err := f.Run(in, out)
	if err != nil {
		return err
	}
	for _, finding := range report.Findings {
		fmt.Fprintf(errOut, "debug-overlay: warning: %s\n", finding)
	}
	return nil
}

// NewFnCommand returns `debug-overlay fn`.
func NewFnCommand() *cobra.Command {
	o := NewFnOptions()
	cmd := &cobra.Command{
		Use:   "fn",
		Short: "Run as a KRM function: a ResourceList on stdin, the overlaid ResourceList on stdout",
		Long: `fn implements the KRM functions specification, as kustomize (transformers with
a config.kubernetes.io/function annotation, --enable-alpha-plugins
--enable-exec) and kpt run functions. The functionConfig is a DebugOverlay
object; a DebugOverlay object among the items is read as configuration too
and removed from them. Findings go into the ResourceList's results, with the
resourceRef and file of the item they are about; warnings and errors also go
to stderr. The items keep the orchestrator's annotations.

debug-overlay without a subcommand runs fn by itself when stdin is a YAML
ResourceList.

Precedence, lowest first: defaults, a DebugOverlay item, the functionConfig,
--config, flags.`,
		Example: `  # Build a kustomization that includes the overlays/debug component
  kustomize build --enable-alpha-plugins --enable-exec overlays/examples/geth

  # Run the function by hand on a ResourceList
  debug-overlay fn < resourcelist.yaml`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return o.Run(cmd.InOrStdin(), cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	o.AddFlags(cmd)
	return cmd
}
