package cmd

import (
	"github.com/debug-overlay/debug-overlay/generator/overlay"
	"io"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/debug-overlay/debug-overlay/generator"
)

// ExplainOptions runs `debug-overlay explain`: a render that prints,
// instead of YAML, what each workload gets.
type ExplainOptions struct {
	Overlay *OverlayFlags

	layer overlay.Config
}

// NewExplainOptions returns the defaults.
func NewExplainOptions() *ExplainOptions {
	return &ExplainOptions{Overlay: NewOverlayFlags()}
}

// AddFlags registers the overlay flags.
func (o *ExplainOptions) AddFlags(fs *pflag.FlagSet) {
	o.Overlay.AddFlags(fs)
}

// Complete reads --config and the flags into one configuration layer.
func (o *ExplainOptions) Complete([]string) error {
	var err error
	o.layer, err = o.Overlay.Config()
	return err
}

// Validate has nothing to check yet: the configuration is validated once
// the stream's own layer is known, in Run. Arguments are refused by the
// command (noArgs).
func (o *ExplainOptions) Validate() error { return nil }

// Run renders in, throws the YAML away and prints on out what each
// workload got.
func (o *ExplainOptions) Run(in io.Reader, out, _ io.Writer) error {
	report, err := (&generator.Renderer{Config: o.layer}).Render(in, io.Discard)
	if err != nil {
		return err
	}
	return report.Explain(out)
}

// NewExplainCommand returns `debug-overlay explain`.
func NewExplainCommand() *cobra.Command {
	o := NewExplainOptions()
	cmd := &cobra.Command{
		Use:   "explain",
		Short: "Print what the overlay does to each workload and how to open a shell in it",
		Example: `  # See what --enable would do to a chart
  helm template geth charts/examples/geth | debug-overlay explain --enable`,
		Args: noArgs,
		RunE: runE(o),
	}
	o.AddFlags(cmd.Flags())
	return cmd
}
