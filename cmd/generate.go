package cmd

import (
	"bytes"
	"errors"
	"fmt"
	"github.com/debug-overlay/debug-overlay/generator/overlay"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/debug-overlay/debug-overlay/generator"
)

// ComponentDir is the directory, inside --out, that holds the Component of
// patches that generate writes.
const ComponentDir = "debug-overlay"

// GenerateOptions writes the overlay as static patches.
type GenerateOptions struct {
	Overlay     *OverlayFlags
	Out         string
	Base        string
	FluxRelease string

	args  []string
	layer overlay.Config
}

// NewGenerateOptions returns the defaults.
func NewGenerateOptions() *GenerateOptions {
	return &GenerateOptions{Overlay: NewOverlayFlags()}
}

// AddFlags registers the overlay flags, --out, --base and --flux-release.
func (o *GenerateOptions) AddFlags(fs *pflag.FlagSet) {
	o.Overlay.AddFlags(fs)
	fs.StringVar(&o.Out, "out", "", "Write the artefacts into this directory (required)")
	fs.StringVar(&o.Base, "base", "", "The kustomization the manifests on stdin were built from; the generated kustomization uses it instead of a copy of the manifests")
	fs.StringVar(&o.FluxRelease, "flux-release", "", "Name the Flux HelmRelease, as NAME or NAMESPACE/NAME, so that flux-helmrelease.yaml is a patch for it")
}

// Complete reads --config and the flags into one configuration layer.
func (o *GenerateOptions) Complete(args []string) error {
	o.args = args
	var err error
	o.layer, err = o.Overlay.Config()
	return err
}

// Validate checks the arguments and the flags.
func (o *GenerateOptions) Validate() error {
	if len(o.args) > 0 {
		return fmt.Errorf("unexpected arguments %q: the manifests are read from stdin", o.args)
	}
	if o.Out == "" {
		return errors.New("--out is required")
	}
	if strings.Count(o.FluxRelease, "/") > 1 || strings.HasSuffix(o.FluxRelease, "/") {
		return fmt.Errorf("--flux-release %q: want NAME or NAMESPACE/NAME", o.FluxRelease)
	}
	return nil
}

// Run reads the manifests from in, writes the artefacts and a summary on
// errOut. Nothing is written when anything fails before writing.
func (o *GenerateOptions) Run(in io.Reader, _, errOut io.Writer) error {
	set, err := generator.GeneratePatches(in, o.layer)
	if err != nil {
		return err
	}
	if len(set.Patches) == 0 && len(set.Twins) == 0 {
		return errors.New("the overlay changes no object in the manifests: nothing to generate")
	}
	files, err := o.files(set)
	if err != nil {
		return err
	}
	if err := writeGenerated(o.Out, files); err != nil {
		return err
	}
	warn(errOut, set.Report.Findings)
	names := make([]string, 0, len(files))
	for name := range files {
		names = append(names, name)
	}
	sort.Strings(names)
	workloads := "workloads"
	if len(set.Patches) == 1 {
		workloads = "workload"
	}
	fmt.Fprintf(errOut, "debug-overlay: wrote patches for %d %s to %s: %s\n", len(set.Patches), workloads, o.Out, strings.Join(names, ", "))
	return nil
}

// files lays the artefacts out, by path relative to --out.
func (o *GenerateOptions) files(set *generator.PatchSet) (map[string][]byte, error) {
	component, err := set.Component()
	if err != nil {
		return nil, err
	}
	files := map[string][]byte{}
	for name, data := range component {
		files[filepath.Join(ComponentDir, name)] = data
	}
	resource := "manifests.yaml"
	if o.Base != "" {
		out, err := filepath.Abs(o.Out)
		if err != nil {
			return nil, err
		}
		base, err := filepath.Abs(o.Base)
		if err != nil {
			return nil, err
		}
		if resource, err = filepath.Rel(out, base); err != nil {
			return nil, fmt.Errorf("--base: %w", err)
		}
		resource = filepath.ToSlash(resource)
	} else {
		files[resource] = append([]byte(generator.GeneratedHeader), set.Manifests...)
	}
	if files["kustomization.yaml"], err = generator.Kustomization([]string{resource}, []string{ComponentDir}); err != nil {
		return nil, err
	}
	if len(set.Twins) > 0 && o.FluxRelease == "" {
		return files, nil // Flux's post-renderers cannot add a twin: no snippet, unless asked for
	}
	namespace, name, found := strings.Cut(o.FluxRelease, "/")
	if !found {
		namespace, name = "", o.FluxRelease
	}
	if files["flux-helmrelease.yaml"], err = set.FluxHelmRelease(name, namespace); err != nil {
		return nil, err
	}
	return files, nil
}

// writeGenerated writes files below dir. It refuses to overwrite a file it
// did not generate, and removes the patch files of an earlier run that this
// one no longer has.
func writeGenerated(dir string, files map[string][]byte) error {
	for name := range files {
		path := filepath.Join(dir, name)
		old, err := os.ReadFile(path)
		if err == nil && !bytes.HasPrefix(old, []byte(generator.GeneratedHeader)) {
			return fmt.Errorf("writing %s: the file exists and debug-overlay did not generate it; choose another --out", path)
		}
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("writing %s: %w", path, err)
		}
	}
	component := filepath.Join(dir, ComponentDir)
	if err := os.MkdirAll(component, 0o755); err != nil {
		return fmt.Errorf("writing %s: %w", component, err)
	}
	stale, err := filepath.Glob(filepath.Join(component, "*.yaml"))
	if err != nil {
		return err
	}
	for _, path := range stale {
		rel, _ := filepath.Rel(dir, path)
		if _, keep := files[rel]; keep {
			continue
		}
		if old, err := os.ReadFile(path); err == nil && bytes.HasPrefix(old, []byte(generator.GeneratedHeader)) {
			if err := os.Remove(path); err != nil {
				return fmt.Errorf("removing the stale patch %s: %w", path, err)
			}
		}
	}
	for name, data := range files {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, data, 0o644); err != nil {
			return fmt.Errorf("writing %s: %w", path, err)
		}
	}
	return nil
}

// NewGenerateCommand returns `debug-overlay generate`.
func NewGenerateCommand() *cobra.Command {
	o := NewGenerateOptions()
	cmd := &cobra.Command{
		Use:   "generate",
		Short: "Write the overlay as plain patches: a kustomize Component for Argo CD, postRenderers for Flux",
		Long: `generate reads rendered manifests on stdin (helm template or kustomize build
output), overlays them as the post-renderer does, and writes into --out what
applies the same overlay without running debug-overlay:

  ` + ComponentDir + `/kustomization.yaml  a kustomize Component with one JSON patch
  ` + ComponentDir + `/KIND_NAME.yaml      per overlaid workload
  kustomization.yaml               the manifests (--base, or manifests.yaml,
                                   a copy of stdin) with the Component
  flux-helmrelease.yaml            a Flux HelmRelease's spec.postRenderers
                                   with the same patches

The patches guard the list items they edit with JSON patch tests, so they
fail on manifests that changed since, instead of editing the wrong item:
generate again when the manifests change. Files that debug-overlay did not
generate are never overwritten.

Precedence, lowest first: defaults, the stream's DebugOverlay document,
--config, flags.`,
		Example: `  # Patches for a kustomize base, used by a kustomization that Argo CD builds
  kustomize build overlays/examples/geth/base | debug-overlay generate --config overlays/examples/geth/debugoverlay.yaml --base overlays/examples/geth/base --out overlays/examples/geth/generated

  # Flux post-renderer patches for a chart's release
  helm template geth charts/examples/geth | debug-overlay generate --enable --copy-volume keystore --flux-release apps/geth --out debug-geth`,
		RunE: runE(o),
	}
	o.AddFlags(cmd.Flags())
	cmd.AddCommand(NewPolicyCommand())
	return cmd
}
