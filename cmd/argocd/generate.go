package argocd

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/debug-overlay/debug-overlay/generator"
	"github.com/debug-overlay/debug-overlay/generator/overlay"
)

// The environment Argo CD's repo-server gives a plugin's commands besides
// the parameters (reposerver/repository/repository.go: newEnv,
// getPluginEnvs).
const (
	// AppNameEnv is the Application's instance name: NAME, or NAMESPACE_NAME
	// for an Application outside Argo CD's own namespace.
	AppNameEnv = "ARGOCD_APP_NAME"
	// AppNamespaceEnv is the Application's destination namespace.
	AppNamespaceEnv = "ARGOCD_APP_NAMESPACE"
	// SourcePathEnv is the application's path in its repository.
	SourcePathEnv = "ARGOCD_APP_SOURCE_PATH"
	// KubeVersionEnv is the cluster's version, parsed (1.37.2).
	KubeVersionEnv = "KUBE_VERSION"
	// KubeAPIVersionsEnv lists the cluster's API versions, comma-separated
	// (apps/v1 and apps/v1/Deployment forms).
	KubeAPIVersionsEnv = "KUBE_API_VERSIONS"
)

// GenerateOptions are the options of `debug-overlay-argocd generate`.
type GenerateOptions struct {
	// ChartDir is the chart to render; default ".", the application's
	// directory, where the cmp-server runs the command.
	ChartDir string
	// Environ is the environment; nil means os.Environ().
	Environ []string
	// Now is the clock that decides whether the overlay expired; nil means
	// time.Now.
	Now func() time.Time

	env    map[string]string
	values Values
	config overlay.Config
}

// NewGenerateOptions returns the defaults.
func NewGenerateOptions() *GenerateOptions {
	return &GenerateOptions{ChartDir: "."}
}

// AddFlags registers the flags on fs.
func (o *GenerateOptions) AddFlags(fs *pflag.FlagSet) {
	fs.StringVar(&o.ChartDir, "chart", o.ChartDir, "The chart's directory")
}

// Complete reads the environment: Argo CD's variables and the parameters.
func (o *GenerateOptions) Complete() error {
	if o.Environ == nil {
		o.Environ = os.Environ()
	}
	o.env = map[string]string{}
	for _, kv := range o.Environ {
		k, v, _ := strings.Cut(kv, "=")
		o.env[k] = v
	}
	var err error
	if o.values, err = ReadValues(o.Environ); err != nil {
		return err
	}
	o.config, err = o.values.OverlayConfig()
	return err
}

// Validate checks what Argo CD must have set.
func (o *GenerateOptions) Validate() error {
	if o.env[AppNameEnv] == "" {
		return fmt.Errorf("%s is not set: the release is named after the Application (run by Argo CD's cmp-server, or set it)", AppNameEnv)
	}
	return nil
}

// ReleaseName is the Helm release name Argo CD's Helm source gives an
// Application's chart: its name, without the NAMESPACE_ that
// ARGOCD_APP_NAME carries for Applications outside Argo CD's namespace
// (reposerver/repository/repository.go helmTemplate:
// argo.ParseInstanceName).
func ReleaseName(appName string) string {
	if _, name, ok := strings.Cut(appName, "_"); ok {
		return name
	}
	return appName
}

// Run renders the chart with Helm 4 as Argo CD would, overlays the result,
// and writes it to out; warnings go to errOut. On error out gets nothing.
func (o *GenerateOptions) Run(ctx context.Context, out, errOut io.Writer) error {
	t, cleanup, err := o.template()
	defer cleanup()
	if err != nil {
		return err
	}
	rendered, err := t.Render(ctx)
	if err != nil {
		return err
	}
	r := generator.Renderer{Config: o.config, Now: o.Now}
	var buf bytes.Buffer
	report, err := r.Render(bytes.NewReader(rendered), &buf)
	if err != nil {
		return err
	}
	for _, f := range report.Findings {
		fmt.Fprintf(errOut, "warning: %s\n", f)
	}
	_, err = buf.WriteTo(out)
	return err
}

// template builds the helm template options from the environment and the
// parameters. cleanup removes the file holding the values parameter.
func (o *GenerateOptions) template() (Template, func(), error) {
	cleanup := func() {}
	t := Template{
		ChartDir:    o.ChartDir,
		ReleaseName: ReleaseName(o.env[AppNameEnv]),
		Namespace:   o.env[AppNamespaceEnv],
		KubeVersion: o.env[KubeVersionEnv],
	}
	if apis := o.env[KubeAPIVersionsEnv]; apis != "" {
		t.APIVersions = strings.Split(apis, ",")
	}
	appDir, err := filepath.Abs(o.ChartDir)
	if err != nil {
		return t, cleanup, err
	}
	root := repositoryRoot(appDir, o.env[SourcePathEnv])
	t.Root = root
	for i, f := range o.values["values-files"].Array {
		p, err := valueFile(appDir, root, f)
		if err != nil {
			return t, cleanup, fmt.Errorf("parameter values-files[%d]: %w", i, err)
		}
		t.ValueFiles = append(t.ValueFiles, p)
	}
	if v := o.values["values"].String; strings.TrimSpace(v) != "" {
		f, err := os.CreateTemp("", "debug-overlay-values-*.yaml")
		if err != nil {
			return t, cleanup, fmt.Errorf("parameter values: %w", err)
		}
		cleanup = func() { os.Remove(f.Name()) }
		_, err = f.WriteString(v)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return t, cleanup, fmt.Errorf("parameter values: %w", err)
		}
		t.ValueFiles = append(t.ValueFiles, f.Name())
	}
	set := o.values["set"].Map
	keys := make([]string, 0, len(set))
	for k := range set {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		t.Set = append(t.Set, k+"="+set[k])
	}
	return t, cleanup, nil
}

// repositoryRoot is the directory the cmp-server unpacked the repository
// into: the application's directory without its source path.
func repositoryRoot(appDir, sourcePath string) string {
	sp := filepath.Clean(sourcePath)
	if sourcePath == "" || sp == "." || filepath.IsAbs(sp) {
		return appDir
	}
	if root, ok := strings.CutSuffix(appDir, string(filepath.Separator)+sp); ok {
		return root
	}
	return appDir
}

// oneLine joins a multi-line error into one line: Argo CD shows a plugin's
// stderr in its UI, after "`COMMAND` failed exit status 1: ".
func oneLine(err error) error {
	lines := strings.FieldsFunc(err.Error(), func(r rune) bool { return r == '\n' })
	for i := range lines {
		lines[i] = strings.TrimSpace(lines[i])
	}
	return errors.New(strings.Join(lines, "; "))
}

// NewGenerateCommand returns `debug-overlay-argocd generate`.
func NewGenerateCommand() *cobra.Command {
	o := NewGenerateOptions()
	c := &cobra.Command{
		Use:   "generate",
		Short: "Render the chart in this directory as Argo CD's Helm source does, with the debug overlay",
		Long: `generate is the generate command of the debug-overlay Config Management
Plugin, run by Argo CD's argocd-cmp-server in the repository's copy of the
application's directory. It renders the chart there with Helm 4's SDK with
the options Argo CD's own Helm source gives helm template (release name
from ARGOCD_APP_NAME, namespace ARGOCD_APP_NAMESPACE, KUBE_VERSION,
KUBE_API_VERSIONS, CRDs included), then applies the debug overlay the
parameters ask for, and prints the manifests.

Parameters come from ARGOCD_APP_PARAMETERS (or PARAM_*), above the
Application's plugin env (ARGOCD_ENV_<NAME>); parameters the Application
does not set keep their announced defaults. With the overlay off the output
is what Argo CD's Helm source renders.

On any error it prints one line on stderr, naming the parameter or the
template, and nothing on stdout.`,
		Example: `  # What the plugin's sidecar runs (in the application's directory)
  debug-overlay-argocd generate

  # By hand, as Argo CD would run it for the Application "geth"
  ARGOCD_APP_NAME=geth ARGOCD_APP_NAMESPACE=geth PARAM_ENABLED=true debug-overlay-argocd generate --chart charts/examples/geth`,
		Args:          cobra.NoArgs,
		SilenceErrors: true,
		SilenceUsage:  true,
		RunE: func(c *cobra.Command, _ []string) error {
			err := o.Complete()
			if err == nil {
				err = o.Validate()
			}
			if err == nil {
				err = o.Run(c.Context(), c.OutOrStdout(), c.ErrOrStderr())
			}
			if err != nil {
				return oneLine(err)
			}
			return nil
		},
	}
	o.AddFlags(c.Flags())
	return c
}
