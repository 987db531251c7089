package live

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"strings"

	chartutil "helm.sh/helm/v4/pkg/chart/common/util"
	release "helm.sh/helm/v4/pkg/release/v1"
	"helm.sh/helm/v4/pkg/storage"
	"helm.sh/helm/v4/pkg/storage/driver"
	kjson "sigs.k8s.io/json"

	"github.com/debug-overlay/debug-overlay/generator/overlay"
)

// ToggleChart is the name of the toggle chart, whose values are the
// DebugOverlay configuration of a release.
const ToggleChart = "debug-overlay"

// Release is what live mode reads of a Helm release.
type Release struct {
	Name      string
	Namespace string
	Revision  int
	// Manifest is what Helm applied (after the post-renderer), hooks
	// included, as one stream.
	Manifest []byte
	// Config is the DebugOverlay configuration from the release's values
	// of the toggle chart; zero when the release has none.
	Config overlay.Config
	// ValuesKey is where in the values Config came from ("" for none).
	ValuesKey string
}

// ReadRelease reads the last revision of a release from the cluster, as
// `helm get manifest` does, with Helm 4's storage driver (HELM_DRIVER:
// secret, the default, or configmap), which reads the releases Helm 3
// writes too: the same records (release v1).
func (c *Cluster) ReadRelease(name, namespace string) (*Release, error) {
	var d driver.Driver
	why := "Helm keeps its releases there"
	switch h := os.Getenv("HELM_DRIVER"); h {
	case "", "secret", "secrets":
		d = driver.NewSecrets(c.Client.CoreV1().Secrets(namespace))
	case "configmap", "configmaps":
		d = driver.NewConfigMaps(c.Client.CoreV1().ConfigMaps(namespace))
	default:
		return nil, fmt.Errorf("HELM_DRIVER %q: attach reads releases from the secret or configmap driver", h)
	}
	store := storage.Init(d)
	last, err := store.Last(name)
	if err != nil {
		resource := "secrets"
		if d.Name() == driver.ConfigMapsDriverName {
			resource = "configmaps"
		}
		if err := apiError(err, "list", resource, namespace); err != nil {
			if pe, ok := err.(*PermissionError); ok {
				pe.Why = why
				return nil, pe
			}
		}
		if strings.Contains(err.Error(), "no revision") || err == driver.ErrReleaseNotFound {
			return nil, fmt.Errorf("release %q: not found in namespace %q", name, namespace)
		}
		return nil, fmt.Errorf("reading release %q in namespace %q: %w", name, namespace, err)
	}
	rel, ok := last.(*release.Release)
	if !ok {
		return nil, fmt.Errorf("release %q: a %T, not a Helm 3 or Helm 4 (v1) release", name, last)
	}
	out := &Release{Name: rel.Name, Namespace: rel.Namespace, Revision: rel.Version}
	var buf bytes.Buffer
	buf.WriteString(rel.Manifest)
	for _, h := range rel.Hooks {
		fmt.Fprintf(&buf, "\n---\n# Source: %s\n%s\n", h.Path, h.Manifest)
	}
	out.Manifest = buf.Bytes()
	out.Config, out.ValuesKey, err = releaseConfig(rel)
	if err != nil {
		return nil, fmt.Errorf("release %q: %w", name, err)
	}
	return out, nil
}

// releaseConfig reads the toggle chart's values of a release: its chart's
// values with the release's own on top (what `helm get values --all`
// shows), under the toggle chart's alias or name. A release does not keep
// the DebugOverlay document itself: the post-renderer consumed it.
func releaseConfig(rel *release.Release) (overlay.Config, string, error) {
	if rel.Chart == nil {
		return overlay.Config{}, "", nil
	}
	key := ToggleChart
	if rel.Chart.Metadata != nil {
		for _, d := range rel.Chart.Metadata.Dependencies {
			if d.Name == ToggleChart && d.Alias != "" {
				key = d.Alias
			}
		}
	}
	vals, err := chartutil.CoalesceValues(rel.Chart, rel.Config)
	if err != nil {
		return overlay.Config{}, "", fmt.Errorf("values: %w", err)
	}
	raw, ok := vals[key].(map[string]any)
	if !ok {
		return overlay.Config{}, "", nil
	}
	spec := map[string]any{}
	for k, v := range raw {
		if k != "global" { // what the toggle chart's template leaves out too
			spec[k] = v
		}
	}
	data, err := json.Marshal(spec)
	if err != nil {
		return overlay.Config{}, "", err
	}
	var cfg overlay.Config
	strict, err := kjson.UnmarshalStrict(data, &cfg, kjson.DisallowUnknownFields)
	if err != nil {
		return overlay.Config{}, "", fmt.Errorf("values %s: %w", key, err)
	}
	if len(strict) > 0 {
		var msgs []string
		for _, s := range strict {
			msgs = append(msgs, s.Error())
		}
		return overlay.Config{}, "", fmt.Errorf("values %s: %s", key, strings.Join(msgs, "; "))
	}
	return cfg, key, nil
}
