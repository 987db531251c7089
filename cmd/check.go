package cmd

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"sigs.k8s.io/yaml"

	"github.com/debug-overlay/debug-overlay/generator"
	"github.com/debug-overlay/debug-overlay/generator/overlay"
)

// valuesKey is the debug-overlay chart's key in a parent chart's values.
const valuesKey = "debug-overlay"

// CheckOptions runs `debug-overlay check`.
type CheckOptions struct {
	Overlay *OverlayFlags
	// ValuesFiles are Helm values files, for the debug-overlay chart or for
	// a parent chart that has it as a dependency.
	ValuesFiles []string
	// Stream is the file holding the rendered stream: "-" is stdin, ""
	// stdin unless it is a character device (a terminal, /dev/null).
	Stream string
	// WarnWithin makes check warn when the overlay expires within it.
	WarnWithin time.Duration

	args     []string
	layer    overlay.Config
	problems []error
}

// NewCheckOptions returns the defaults.
func NewCheckOptions() *CheckOptions {
	return &CheckOptions{Overlay: NewOverlayFlags(), WarnWithin: 24 * time.Hour}
}

// AddFlags registers the overlay flags, --values and --warn-within.
func (o *CheckOptions) AddFlags(fs *pflag.FlagSet) {
	o.Overlay.AddFlags(fs)
	fs.DurationVar(&o.WarnWithin, "warn-within", o.WarnWithin, "Warn when the overlay expires within this time (spec.expires)")
	fs.StringArrayVarP(&o.ValuesFiles, "values", "f", nil, "Read the debug-overlay chart's values from this Helm values file (its "+valuesKey+" key, if it has one); repeatable, later files win; layered below --config")
}

// Complete takes the stream from the arguments and reads --values,
// --config and the flags into one configuration layer, collecting every
// problem instead of stopping at the first: they are check's findings,
// not usage errors.
func (o *CheckOptions) Complete(args []string) error {
	o.args = args
	if len(args) == 1 {
		o.Stream = args[0]
	}
	var layer overlay.Config
	for _, f := range o.ValuesFiles {
		spec, errs := readValues(f)
		o.problems = append(o.problems, errs...)
		layer = layer.Merge(spec)
	}
	cfg, errs := o.Overlay.CheckConfig()
	o.problems = append(o.problems, errs...)
	o.layer = layer.Merge(cfg)
	return nil
}

// Validate checks the arguments: one stream at most.
func (o *CheckOptions) Validate() error {
	if len(o.args) > 1 {
		return fmt.Errorf("unexpected arguments %q: check reads one stream", o.args[1:])
	}
	return nil
}

// Run checks the stream, if there is one, and prints every problem and
// warning on out. It fails when there is a problem.
func (o *CheckOptions) Run(in io.Reader, out, _ io.Writer) error {
	stream, name, err := o.openStream(in)
	if err != nil {
		return err
	}
	var rep *generator.CheckReport
	if stream == nil {
		// Without a stream only the configuration can be checked: the
		// document pass would report every target as matching nothing.
		rep = (&generator.Renderer{Config: o.layer, ExpiryWarning: o.WarnWithin}).CheckConfig()
	} else {
		defer stream.Close()
		r := &generator.Renderer{Config: o.layer, ExpiryWarning: o.WarnWithin}
		if rep, err = r.Check(stream); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
	}
	problems := append(o.problems, rep.Problems...)

	var b bytes.Buffer
	for _, p := range problems {
		fmt.Fprintf(&b, "problem: %v\n", p)
	}
	for _, f := range rep.Findings {
		fmt.Fprintf(&b, "warning: %s\n", f)
	}
	fmt.Fprintf(&b, "%s, %s; %s\n", plural(len(problems), "problem"), plural(len(rep.Findings), "warning"), checkScope(stream != nil, rep))
	if _, err := out.Write(b.Bytes()); err != nil {
		return err
	}
	if len(problems) > 0 {
		return fmt.Errorf("check found %s", plural(len(problems), "problem"))
	}
	return nil
}

func checkScope(haveStream bool, rep *generator.CheckReport) string {
	docs := plural(rep.Documents, "document") + " were"
	if rep.Documents == 1 {
		docs = "1 document was"
	}
	switch {
	case !haveStream:
		return "no stream given: the configuration alone was checked"
	case rep.Checked:
		return fmt.Sprintf("%s checked", plural(rep.Documents, "document"))
	case !rep.Config.IsEnabled():
		return fmt.Sprintf("the overlay is disabled, so the stream's %s not checked (add --enable to check them)", docs)
	default:
		return fmt.Sprintf("the stream's %s not checked: the configuration is unusable", docs)
	}
}

// openStream returns the stream to check, or nil when there is none: no
// argument and a character device (a terminal, /dev/null) on stdin, so that
// check does not wait for a stream nobody sends.
func (o *CheckOptions) openStream(in io.Reader) (io.ReadCloser, string, error) {
	switch o.Stream {
	case "-":
		return io.NopCloser(in), "stdin", nil
	case "":
		if f, ok := in.(*os.File); ok {
			if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
				return nil, "", nil
			}
		}
		return io.NopCloser(in), "stdin", nil
	}
	f, err := os.Open(o.Stream)
	if err != nil {
		return nil, "", fmt.Errorf("reading the stream: %w", err)
	}
	return f, o.Stream, nil
}

// readValues turns a Helm values file into the DebugOverlay spec the
// debug-overlay chart would render from it: its debug-overlay key if it has
// one (a parent chart's values), else the whole file, without "global".
func readValues(file string) (overlay.Config, []error) {
	var cfg overlay.Config
	data, err := os.ReadFile(file)
	if err != nil {
		return cfg, []error{fmt.Errorf("reading --values: %w", err)}
	}
	var values map[string]any
	if err := yaml.Unmarshal(data, &values); err != nil {
		return cfg, []error{fmt.Errorf("--values %s: %w", file, err)}
	}
	if sub, ok := values[valuesKey]; ok {
		m, ok := sub.(map[string]any)
		if !ok {
			return cfg, []error{fmt.Errorf("--values %s: %s: want a mapping, got %T", file, valuesKey, sub)}
		}
		values = m
	}
	delete(values, "global")
	doc, err := yaml.Marshal(map[string]any{"apiVersion": overlay.APIVersion, "kind": overlay.Kind, "spec": values})
	if err != nil {
		return cfg, []error{fmt.Errorf("--values %s: %w", file, err)}
	}
	obj, errs := generator.CheckDebugOverlay(doc, "--values "+file)
	if obj != nil {
		cfg = obj.Spec
	}
	return cfg, errs
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

// NewCheckCommand returns `debug-overlay check`.
func NewCheckCommand() *cobra.Command {
	o := NewCheckOptions()
	cmd := &cobra.Command{
		Use:   "check [FILE|-]",
		Short: "Report every problem of a configuration and a rendered stream, for CI",
		Long: `check reads a rendered stream (FILE, "-" for stdin, or else stdin unless it is
a terminal or /dev/null), Helm values files for the debug-overlay chart
(--values), a ` + overlay.Kind + ` file (--config) and the overlay flags, and prints
every problem it finds on stdout, one a line: each unknown field, each invalid
setting, each document that cannot be overlaid, each target and copy volume
that matches nothing. The post-renderer stops at the first kind of problem;
check does not. It exits non-zero when there is a problem; warnings alone do
not fail it.

Layers, lowest first: defaults, the stream's ` + overlay.Kind + ` document, --values
files in order, --config, flags. Documents are checked only when the overlay
is enabled, as the post-renderer leaves them alone otherwise; add --enable to
check them anyway.`,
		Example: `  # Check a chart's rendered release with the overlay switched on by its values
  helm template geth charts/examples/geth --set debug-overlay.enabled=true | debug-overlay check

  # Check a values file for the debug-overlay chart, without rendering
  debug-overlay check --values values-debug.yaml --enable < /dev/null

  # Check a configuration file against a rendered release
  debug-overlay check --config overlay.yaml release.yaml`,
		RunE: runE(o),
	}
	o.AddFlags(cmd.Flags())
	return cmd
}
