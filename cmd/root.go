package cmd

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/debug-overlay/debug-overlay/generator"
)

// version is set at build time with -ldflags -X.
var version = "dev"

// RenderOptions runs the post-renderer: stdin to stdout.
type RenderOptions struct {
	Overlay *OverlayFlags
	Explain bool

	renderer *generator.Renderer
}

// NewRenderOptions returns the defaults.
func NewRenderOptions() *RenderOptions {
	return &RenderOptions{Overlay: NewOverlayFlags()}
}

// AddFlags registers the render flags.
func (o *RenderOptions) AddFlags(cmd *cobra.Command) {
	o.Overlay.AddFlags(cmd.Flags())
	cmd.Flags().BoolVar(&o.Explain, "explain", false, "Also print, on stderr, what each workload got and how to open a shell in it")
}

// Complete builds the renderer from the flags.
func (o *RenderOptions) Complete() error {
	cfg, err := o.Overlay.Config()
	if err != nil {
		return err
	}
	o.renderer = &generator.Renderer{Config: cfg}
	return nil
}

// Validate checks what can be checked before reading the stream; the
// configuration is validated once the stream's own layer is known.
func (o *RenderOptions) Validate(args []string) error {
	if len(args) > 0 {
		return fmt.Errorf("unexpected arguments %q: the manifests are read from stdin", args)
	}
	return nil
}

// Run renders stdin to stdout, and warnings to stderr.
func (o *RenderOptions) Run(in io.Reader, out, errOut io.Writer) error {
	report, err := o.renderer.Render(in, out)
	if err != nil {
		return err
	}
	if o.Explain {
		return report.Explain(errOut)
	}
	for _, f := range report.Findings {
		fmt.Fprintf(errOut, "debug-overlay: warning: %s\n", f)
	}
	return nil
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
		SilenceUsage:  true,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := o.Validate(args); err != nil {
				return err
			}
			in, krm, err := generator.SniffResourceList(cmd.InOrStdin())
			if err != nil {
				return err
			}
			if krm { // run as a KRM function without the fn subcommand
				return (&FnOptions{Overlay: o.Overlay}).Run(in, cmd.OutOrStdout(), cmd.ErrOrStderr())
			}
			if err := o.Complete(); err != nil {
				return err
			}
			return o.Run(in, cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	o.AddFlags(cmd)
	cmd.AddCommand(NewStripCommand(), NewExplainCommand(), NewCheckCommand(), NewVersionCommand(), NewFnCommand(), NewGenerateCommand(), NewAttachCommand())
	cmd.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		c.SilenceUsage = false
		return err
	})
	return cmd
}

// Execute runs the root command and prints an error, if any, on stderr;
// under Helm 4, which hides a post-renderer's stderr, also where the user
// sees it (helm4.go).
func Execute(cmd *cobra.Command) error {
	h4 := helm4PluginFromEnv(os.Getenv, os.Args[1:])
	h4.attach(cmd)
	err := cmd.Execute()
	var companion exitStatus
	if err != nil && !errors.As(err, &companion) {
		fmt.Fprintf(cmd.ErrOrStderr(), "debug-overlay: error: %v\n", err)
	}
	h4.finish(err)
	return err
}
