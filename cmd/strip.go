package cmd

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/debug-overlay/debug-overlay/generator"
	"github.com/debug-overlay/debug-overlay/generator/overlay"
)

// StripOptions runs `debug-overlay strip`: stdin to stdout, without what
// the overlay added.
type StripOptions struct{}

// NewStripOptions returns the defaults.
func NewStripOptions() *StripOptions { return &StripOptions{} }

// AddFlags registers strip's flags: it has none, as what to remove is
// recorded in each document.
func (o *StripOptions) AddFlags(*pflag.FlagSet) {}

// Complete has nothing to read: arguments are refused by the command
// (noArgs).
func (o *StripOptions) Complete([]string) error { return nil }

// Validate has nothing to check.
func (o *StripOptions) Validate() error { return nil }

// Run strips in to out and says on errOut how many pod templates it
// stripped.
func (o *StripOptions) Run(in io.Reader, out, errOut io.Writer) error {
	var s generator.Stripper
	n, err := s.Strip(in, out)
	if err != nil {
		return err
	}
	fmt.Fprintf(errOut, "debug-overlay: stripped the overlay from %d pod templates\n", n)
	return nil
}

// NewStripCommand returns `debug-overlay strip`.
func NewStripCommand() *cobra.Command {
	o := NewStripOptions()
	cmd := &cobra.Command{
		Use:   "strip",
		Short: "Remove exactly what the overlay added, using its status annotation",
		Long: `strip reads a stream on stdin (a rendered release, helm get manifest output or a
kubectl get -o yaml export) and writes it with everything the overlay added
removed, as recorded in the ` + overlay.StatusAnnotation + ` annotation.
Documents without that annotation pass through byte for byte.`,
		Example: `  # Remove the overlay from a release's stored manifest
  helm get manifest geth | debug-overlay strip`,
		Args: noArgs,
		RunE: runE(o),
	}
	o.AddFlags(cmd.Flags())
	return cmd
}
