package argocd

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/Masterminds/semver/v3"
	"helm.sh/helm/v4/pkg/action"
	"helm.sh/helm/v4/pkg/chart"
	"helm.sh/helm/v4/pkg/chart/common"
	"helm.sh/helm/v4/pkg/chart/loader"
	chartv2 "helm.sh/helm/v4/pkg/chart/v2"
	loaderv2 "helm.sh/helm/v4/pkg/chart/v2/loader"
	"helm.sh/helm/v4/pkg/cli/values"
	"helm.sh/helm/v4/pkg/getter"
	release "helm.sh/helm/v4/pkg/release/v1"
)

// Template says what to render and how: the options Argo CD v3.5.1's Helm
// source gives `helm template` (util/helm/cmd.go: template . --name-template
// NAME --namespace NS --kube-version V --api-versions ... --values ...
// --set ... --include-crds).
type Template struct {
	// ChartDir is the chart's directory (Argo CD renders ".", the
	// application's path).
	ChartDir string
	// Root is the directory that file:// dependencies must stay inside: the
	// repository; empty means ChartDir.
	Root string
	// ReleaseName is --name-template.
	ReleaseName string
	// Namespace is --namespace; empty is "default", as for helm template
	// without a kubeconfig.
	Namespace string
	// KubeVersion is --kube-version; empty keeps Helm's default.
	KubeVersion string
	// APIVersions are --api-versions.
	APIVersions []string
	// ValueFiles are --values, in order.
	ValueFiles []string
	// Set are --set KEY=VALUE, in order.
	Set []string
}

// Render renders the chart as `helm template` of Helm v4.3.1 prints it:
// the release's manifest, then each hook as "---\n# Source: PATH\n...".
// The chart's dependencies must be in its charts/ directory: a plugin gets
// no Helm repository credentials, so nothing is downloaded.
func (t Template) Render(ctx context.Context) ([]byte, error) {
	ch, err := loader.Load(t.ChartDir)
	if err != nil {
		return nil, fmt.Errorf("loading the chart: %w", err)
	}
	ac, err := chart.NewAccessor(ch)
	if err != nil {
		return nil, fmt.Errorf("loading the chart: %w", err)
	}
	if typ, _ := ac.MetadataAsMap()["Type"].(string); typ != "" && typ != "application" {
		return nil, fmt.Errorf("chart %s: %s charts are not installable", ac.Name(), typ)
	}
	if err := t.localDependencies(ch); err != nil {
		return nil, err
	}
	if err := missingDependencies(ch, ac); err != nil {
		return nil, err
	}
	opts := values.Options{ValueFiles: t.ValueFiles, Values: t.Set}
	// No getters: values come from files of the repository only.
	vals, err := opts.MergeValues(getter.Providers{})
	if err != nil {
		return nil, fmt.Errorf("reading values: %w", err)
	}

	cfg := action.NewConfiguration(action.ConfigurationSetLogger(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))
	client := action.NewInstall(cfg)
	client.DryRunStrategy = action.DryRunClient
	client.Replace = true // as helm template: no release name check
	client.NameTemplate = t.ReleaseName
	client.Namespace = t.Namespace
	if client.Namespace == "" {
		client.Namespace = "default"
	}
	client.IncludeCRDs = true
	client.APIVersions = common.VersionSet(t.APIVersions)
	if t.KubeVersion != "" {
		kv, err := common.ParseKubeVersion(t.KubeVersion)
		if err != nil {
			return nil, fmt.Errorf("invalid kube version %q: %w", t.KubeVersion, err)
		}
		client.KubeVersion = kv
	}
	name, _, err := client.NameAndChart([]string{t.ChartDir})
	if err != nil {
		return nil, fmt.Errorf("release name %q: %w", t.ReleaseName, err)
	}
	client.ReleaseName = name
	client.NameTemplate = ""

	ri, err := client.RunWithContext(ctx, ch, vals)
	if err != nil {
		return nil, err
	}
	rel, ok := ri.(*release.Release)
	if !ok {
		return nil, fmt.Errorf("rendering: unexpected release type %T", ri)
	}
	// As helm template (pkg/cmd/template.go) prints a release.
	var b strings.Builder
	fmt.Fprintln(&b, strings.TrimSpace(rel.Manifest))
	for _, h := range rel.Hooks {
		fmt.Fprintf(&b, "---\n# Source: %s\n%s\n", h.Path, h.Manifest)
	}
	return []byte(b.String()), nil
}

// localDependencies adds the chart's file:// dependencies that charts/
// lacks, loaded from their directories, as `helm dependency build` (which
// Argo CD's Helm source runs when a dependency is missing) would package
// them into charts/: a file:// dependency needs no repository. Each must be
// inside Root and satisfy its version constraint.
func (t Template) localDependencies(charter chart.Charter) error {
	ch, ok := charter.(*chartv2.Chart)
	if !ok {
		return nil // Helm 4's experimental v3 charts: only what charts/ holds
	}
	have := map[string]bool{}
	for _, d := range ch.Dependencies() {
		have[d.Name()] = true
	}
	dir, err := filepath.Abs(t.ChartDir)
	if err != nil {
		return err
	}
	root := dir
	if t.Root != "" {
		if root, err = filepath.Abs(t.Root); err != nil {
			return err
		}
	}
	for _, dep := range ch.Metadata.Dependencies {
		p, ok := strings.CutPrefix(dep.Repository, "file://")
		if !ok || have[dep.Name] {
			continue
		}
		if !filepath.IsAbs(p) {
			p = filepath.Join(dir, p)
		}
		if !inside(root, p) {
			return fmt.Errorf("chart %s: dependency %s: %s is outside the repository", ch.Name(), dep.Name, dep.Repository)
		}
		sub, err := loaderv2.LoadDir(p)
		if err != nil {
			return fmt.Errorf("chart %s: dependency %s (%s): %w", ch.Name(), dep.Name, dep.Repository, err)
		}
		if sub.Name() != dep.Name {
			return fmt.Errorf("chart %s: dependency %s: %s holds chart %s", ch.Name(), dep.Name, dep.Repository, sub.Name())
		}
		if dep.Version != "" {
			c, err := semver.NewConstraint(dep.Version)
			if err != nil {
				return fmt.Errorf("chart %s: dependency %s: version %q: %w", ch.Name(), dep.Name, dep.Version, err)
			}
			v, err := semver.NewVersion(sub.Metadata.Version)
			if err != nil || !c.Check(v) {
				return fmt.Errorf("chart %s: dependency %s: version %s in %s does not satisfy %s", ch.Name(), dep.Name, sub.Metadata.Version, dep.Repository, dep.Version)
			}
		}
		ch.AddDependency(sub)
		have[dep.Name] = true
	}
	return nil
}

// inside says whether path p is root or below it.
func inside(root, p string) bool {
	rel, err := filepath.Rel(root, p)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}

// missingDependencies names the dependencies Chart.yaml declares that are
// not in charts/, in one line.
func missingDependencies(ch chart.Charter, ac chart.Accessor) error {
	reqs := ac.MetaDependencies()
	if len(reqs) == 0 {
		return nil
	}
	if err := action.CheckDependencies(ch, reqs); err == nil {
		return nil
	}
	have := map[string]bool{}
	for _, d := range ac.Dependencies() {
		if dac, err := chart.NewAccessor(d); err == nil {
			have[dac.Name()] = true
		}
	}
	var missing []string
	for _, r := range reqs {
		dep, err := chart.NewDependencyAccessor(r)
		if err != nil {
			return fmt.Errorf("chart %s: dependency: %w", ac.Name(), err)
		}
		if !have[dep.Name()] {
			missing = append(missing, dep.Name())
		}
	}
	switch len(missing) {
	case 0:
		return nil
	case 1:
		return fmt.Errorf("chart %s: dependency %s is missing from charts/: a plugin cannot download charts (it gets no Helm repository credentials); run helm dependency build and commit charts/",
			ac.Name(), missing[0])
	}
	return fmt.Errorf("chart %s: dependencies %s are missing from charts/: a plugin cannot download charts (it gets no Helm repository credentials); run helm dependency build and commit charts/",
		ac.Name(), strings.Join(missing, ", "))
}

// valueFile resolves a values file of the parameters: relative to the
// application's directory, inside the repository (root), a regular file.
func valueFile(appDir, root, name string) (string, error) {
	if name == "" {
		return "", errors.New("empty file name")
	}
	if filepath.IsAbs(name) || strings.Contains(name, "://") {
		return "", fmt.Errorf("%q: want a path relative to the application's directory", name)
	}
	p := filepath.Join(appDir, name)
	if !inside(root, p) {
		return "", fmt.Errorf("%q: outside the repository", name)
	}
	fi, err := os.Stat(p)
	if err != nil {
		return "", fmt.Errorf("%q: %w", name, errors.Unwrap(err))
	}
	if !fi.Mode().IsRegular() {
		return "", fmt.Errorf("%q: not a regular file", name)
	}
	return p, nil
}
