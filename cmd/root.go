package cmd

import (
	"fmt"
	"github.com/debug-overlay/debug-overlay/generator/overlay"
	"io"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/debug-overlay/debug-overlay/generator"
)

// version is set at build time with -ldflags -X.
var version = "dev"

// RenderOptions runs the post-renderer, debug-overlay without a
// subcommand: stdin to stdout.
type RenderOptions struct {
	Overlay *OverlayFlags
	// Explain also prints, on stderr, what each workload got.
	Explain bool

	layer overlay.Config
}

// NewRenderOptions returns the defaults.
func NewRenderOptions() *RenderOptions {
	return &RenderOptions{Overlay: NewOverlayFlags()}
}

// AddFlags registers the overlay flags and --explain.
func (o *RenderOptions) AddFlags(fs *pflag.FlagSet) {
	o.Overlay.AddFlags(fs)
	fs.BoolVar(&o.Explain, "explain", false, "Also print, on stderr, what each workload got and how to open a shell in it")
}

// Complete reads --config and the flags into one configuration layer.
// Arguments never reach it: cobra refuses them as unknown commands.
func (o *RenderOptions) Complete([]string) error {
	var err error
	o.layer, err = o.Overlay.Config()
	return err
}

// Validate has nothing to check yet: the configuration is validated once
// the stream's own layer is known, in Run.
func (o *RenderOptions) Validate() error { return nil }

// Run renders in to out, and warnings to errOut. A ResourceList on in is
// run as the KRM function instead (fn).
func (o *RenderOptions) Run(in io.Reader, out, errOut io.Writer) error {
	in, krm, err := generator.SniffResourceList(in)
	if err != nil {
		return err
	}
	if krm {
		return runFunction(o.layer, in, out, errOut)
	}
	report, err := (&generator.Renderer{Config: o.layer}).Render(in, out)
	if err != nil {
		return err
	}
	if o.Explain {
		return report.Explain(errOut)
	}
	warn(errOut, report.Findings)
	return nil
}

// warn prints findings on stderr, one a line.
func warn(errOut io.Writer, findings []generator.Finding) {
	for _, f := range findings {
		fmt.Fprintf(errOut, "debug-overlay: warning: %s\n", f)
	}
}

// NewRootCommand returns the debug-overlay command: with no subcommand it is
// a Helm post-renderer.
func NewRootCommand() *cobra.Command {
	o := NewRenderOptions()
	cmd := &cobra.Command{
		Use:   "debug-overlay",
		Short: "Layer a reversible debug overlay onto Kubernetes manifests",
		Long: `debug-overlay reads a multi-document YAML stream on stdin (as helm template,
install and upgrade give it to a post-renderer) and writes it to stdout with a
debug sidecar, mirrored volume mounts and copies of Secret and ConfigMap
volumes added to the selected workloads. Nothing changes unless the overlay is
enabled: by a DebugOverlay document in the stream (rendered by the
debug-overlay chart), by --config, or by --enable.

Precedence, lowest first: defaults, the stream's DebugOverlay document,
--config, flags.`,
		Example: `  # Use as a Helm 3 post-renderer, switched on by the chart's values
  helm upgrade --install geth charts/examples/geth --post-renderer ./bin/debug-overlay --set debug-overlay.enabled=true

  # Switch it on from the command line for every workload
  helm template geth charts/examples/geth | debug-overlay --enable

  # Copy the keystore Secret into an emptyDir as regular files
  helm template geth charts/examples/geth | debug-overlay --enable --target statefulset/geth --copy-volume keystore`,
		SilenceErrors: true,
		SilenceUsage:  true, // Execute prints the usage of usage errors
		RunE:          runE(o),
	}
	o.AddFlags(cmd.Flags())
	cmd.AddCommand(NewStripCommand(), NewExplainCommand(), NewCheckCommand(), NewVersionCommand(), NewFnCommand(), NewGenerateCommand(), NewAttachCommand())
	cmd.SetFlagErrorFunc(usageOnFlagError)
	return cmd
}
