package cmd

import (
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/debug-overlay/debug-overlay/generator"
	"github.com/debug-overlay/debug-overlay/generator/overlay"
)

// PolicyOptions writes the admission policy.
type PolicyOptions struct {
	Name       string
	Images     []string
	Profiles   []string
	Containers []string
	Out        string

	args []string
}

// NewPolicyOptions returns the defaults; the lists stay empty, which gives
// the policy's own.
func NewPolicyOptions() *PolicyOptions {
	return &PolicyOptions{Name: generator.DefaultPolicy().Name}
}

// AddFlags registers the policy flags.
func (o *PolicyOptions) AddFlags(fs *pflag.FlagSet) {
	def := generator.DefaultPolicy()
	fs.StringVar(&o.Name, "name", o.Name, "Name of the ValidatingAdmissionPolicy and its binding")
	fs.StringArrayVar(&o.Images, "allowed-image", nil, fmt.Sprintf("An image prefix, or a name@sha256: digest, debug containers may run; repeatable (default %s)", overlay.JoinNames(def.Images)))
	fs.StringArrayVar(&o.Profiles, "allowed-profile", nil, fmt.Sprintf("A profile debug containers may have: %s; repeatable (default %s)", overlay.JoinNames(overlay.ProfileChoices()), overlay.JoinNames(def.Profiles))+
		"; auto allows what profile auto chooses: "+overlay.JoinNames(overlay.AutoLadder()))
	fs.StringArrayVar(&o.Containers, "container-name", nil, fmt.Sprintf("The name of the debug container (sidecar.name), as the policy tells ours from the app's; repeatable (default %s)", overlay.JoinNames(def.Containers)))
	fs.StringVar(&o.Out, "out", "", "Write the policy into this file instead of stdout")
}

// Complete takes the arguments, for Validate to refuse.
func (o *PolicyOptions) Complete(args []string) error {
	o.args = args
	return nil
}

// Validate checks the arguments and the flags.
func (o *PolicyOptions) Validate() error {
	if len(o.args) > 0 {
		return fmt.Errorf("unexpected arguments %q", o.args)
	}
	for _, p := range o.Profiles {
		if err := overlay.CheckProfileChoice(overlay.ProfileName(p)); err != nil {
			return fmt.Errorf("--allowed-profile: %w", err)
		}
	}
	return nil
}

// Run writes the policy to out, or to --out.
func (o *PolicyOptions) Run(_ io.Reader, out, _ io.Writer) error {
	p := generator.Policy{Name: o.Name, Images: o.Images, Containers: o.Containers}
	for _, name := range o.Profiles {
		p.Profiles = append(p.Profiles, overlay.ProfileName(name))
	}
	data, err := p.YAML()
	if err != nil {
		return err
	}
	if o.Out == "" {
		_, err = out.Write(data)
		return err
	}
	return os.WriteFile(o.Out, data, 0o644)
}

// NewPolicyCommand returns `debug-overlay generate policy`.
func NewPolicyCommand() *cobra.Command {
	o := NewPolicyOptions()
	cmd := &cobra.Command{
		Use:   "policy",
		Short: "Write a ValidatingAdmissionPolicy that polices debug containers in the cluster",
		Long: `policy writes a ValidatingAdmissionPolicy and its binding, which the API
server enforces by itself (no webhook): a cluster admin applies them once.
They look only at pods that carry the overlay (its status annotation) and at
the ephemeral containers that attach adds, and admit them only

  - in namespaces labelled ` + generator.AllowedLabel + `="true";
  - with debug containers that run an allowed image (a prefix, or a digest);
  - with debug containers no more privileged than an allowed profile;
  - for overlaid pods, with the ` + overlay.ExpiresAnnotation + ` annotation.

CEL in admission policies has no clock: the policy cannot refuse an overlay
whose time is up. debug-overlay check fails for one, and the render fails
(or strips it) by spec.onExpiry.`,
		Example: `  # The policy with the defaults, applied by the cluster admin
  debug-overlay generate policy | kubectl apply -f -

  # Only pinned toolbox images, and no capabilities beyond restricted and baseline
  debug-overlay generate policy --allowed-image ghcr.io/acme/toolbox@sha256: --allowed-profile restricted --allowed-profile baseline --out policy.yaml`,
		RunE: runE(o),
	}
	o.AddFlags(cmd.Flags())
	return cmd
}
