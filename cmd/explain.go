package cmd

import (
	"github.com/spf13/cobra"
)

// NewExplainCommand returns `debug-overlay explain`: a render that prints,
// instead of YAML, what each workload gets.
func NewExplainCommand() *cobra.Command {
	o := NewRenderOptions()
	cmd := &cobra.Command{
		Use:   "explain",
		Short: "Print what the overlay does to each workload and how to open a shell in it",
		Example: `  # See what --enable would do to a chart
  helm template geth charts/examples/geth | debug-overlay explain --enable`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := o.Complete(); err != nil {
				return err
			}
			report, err := o.renderer.Render(cmd.InOrStdin(), discard{})
			if err != nil {
				return err
			}
			return report.Explain(cmd.OutOrStdout())
		},
	}
	o.Overlay.AddFlags(cmd.Flags())
	return cmd
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }
