package cmd

import (
	"github.com/debug-overlay/debug-overlay/generator/overlay"
	"io"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/debug-overlay/debug-overlay/generator"
)

// FnOptions runs debug-overlay as a KRM function: a ResourceList on stdin,
// the overlaid ResourceList on stdout.
type FnOptions struct {
	Overlay *OverlayFlags

	layer overlay.Config
}

// NewFnOptions returns the defaults.
func NewFnOptions() *FnOptions {
	return &FnOptions{Overlay: NewOverlayFlags()}
}

// AddFlags registers the overlay flags, layered above the ResourceList's
// functionConfig.
func (o *FnOptions) AddFlags(fs *pflag.FlagSet) {
	o.Overlay.AddFlags(fs)
}

// Complete reads --config and the flags into one configuration layer.
func (o *FnOptions) Complete([]string) error {
	var err error
	o.layer, err = o.Overlay.Config()
	return err
}

// Validate has nothing to check yet: the configuration is validated with
// the ResourceList's functionConfig, in Run. Arguments are refused by the
// command (noArgs).
func (o *FnOptions) Validate() error { return nil }

// Run processes the ResourceList.
func (o *FnOptions) Run(in io.Reader, out, errOut io.Writer) error {
	return runFunction(o.layer, in, out, errOut)
}

// runFunction runs the KRM function on the ResourceList on in, with layer
// above its functionConfig. Findings go into its results; warnings and
// errors also go to stderr, since kustomize shows a function's stderr but
// not its results.
func runFunction(layer overlay.Config, in io.Reader, out, errOut io.Writer) error {
	report, err := (&generator.Function{Config: layer}).Run(in, out)
	if err != nil {
		return err
	}
	warn(errOut, report.Findings)
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
		Args: noArgs,
		RunE: runE(o),
	}
	o.AddFlags(cmd.Flags())
	return cmd
}
