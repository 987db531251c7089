package cmd

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/debug-overlay/debug-overlay/generator"
	"github.com/debug-overlay/debug-overlay/generator/overlay"
)

// NewStripCommand returns `debug-overlay strip`.
func NewStripCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "strip",
		Short: "Remove exactly what the overlay added, using its status annotation",
		Long: `strip reads a stream on stdin (a rendered release, helm get manifest output or a
kubectl get -o yaml export) and writes it with everything the overlay added
removed, as recorded in the ` + overlay.StatusAnnotation + ` annotation.
Documents without that annotation pass through byte for byte.`,
		Example: `  # Remove the overlay from a release's stored manifest
  helm get manifest geth | debug-overlay strip`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var s generator.Stripper
			n, err := s.Strip(cmd.InOrStdin(), cmd.OutOrStdout())
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "debug-overlay: stripped the overlay from %d pod templates\n", n)
			return nil
		},
	}
}
