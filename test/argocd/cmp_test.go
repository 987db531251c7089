package argocd

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"go.yaml.in/yaml/v3"
)

// TestCheckPluginConfiguration: the plugin has no discover rule (a
// Chart.yaml rule would take over every Helm application: Argo CD asks
// plugins before it checks for Helm), so Applications must name it.
func TestCheckPluginConfiguration(t *testing.T) {
	res := client(t, "check", "")
	if res.Code != 0 {
		t.Fatalf("CheckPluginConfiguration failed: %s", res.Stderr)
	}
	var resp map[string]any
	if err := json.Unmarshal(res.Stdout, &resp); err != nil {
		t.Fatal(err)
	}
	if resp["isDiscoveryConfigured"] == true || resp["provideGitCreds"] == true {
		t.Errorf("response %v: want no discovery and no Git credentials", resp)
	}
}

// TestParametersAnnouncement: the real cmp-server announces the parameters
// of deploy/argocd/plugin.yaml (as `debug-overlay-argocd plugin` writes
// it), with their defaults, as Argo CD's UI receives them.
func TestParametersAnnouncement(t *testing.T) {
	res := client(t, "announce", app(t, "shop", "argocd", "shop", "test/argocd/testdata/shop", ""))
	if res.Code != 0 {
		t.Fatalf("GetParametersAnnouncement failed: %s", res.Stderr)
	}
	var got struct {
		ParameterAnnouncements []map[string]any `json:"parameterAnnouncements"`
	}
	if err := json.Unmarshal(res.Stdout, &got); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(repoRoot, "deploy", "argocd", "plugin.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var plugin struct {
		Spec struct {
			Parameters struct {
				Static []map[string]any `yaml:"static"`
			} `yaml:"parameters"`
		} `yaml:"spec"`
	}
	if err := yaml.Unmarshal(data, &plugin); err != nil {
		t.Fatal(err)
	}
	var want []map[string]any
	for _, p := range plugin.Spec.Parameters.Static {
		a := map[string]any{"name": p["name"], "title": p["title"], "tooltip": p["tooltip"]}
		if ct, ok := p["collectionType"]; ok {
			a["collectionType"] = ct
		} else if p["string"] != "" {
			a["string"] = p["string"] // protobuf leaves an empty one out
		}
		want = append(want, a)
	}
	if len(want) < 12 {
		t.Fatalf("deploy/argocd/plugin.yaml announces %d parameters, want 12", len(want))
	}
	for i := range got.ParameterAnnouncements {
		// Empty arrays and maps do not survive protobuf.
		delete(got.ParameterAnnouncements[i], "array")
		delete(got.ParameterAnnouncements[i], "map")
	}
	if diff := cmp.Diff(want, got.ParameterAnnouncements); diff != "" {
		t.Errorf("announced parameters (-plugin.yaml +cmp-server):\n%s", diff)
	}
}

// TestGenerateOffIsArgoCDsHelm: with the overlay off (the parameter unset,
// or "false"), the plugin's manifests are, object for object and in order,
// those of `helm template` (Helm 4, as Argo CD's Helm source runs it) of the
// same chart, values files and values, the release named after the part of
// ARGOCD_APP_NAME after "_" (an Application outside Argo CD's namespace).
// The chart's file:// dependency is loaded from the repository, as Argo CD's
// `helm dependency build` would package it.
func TestGenerateOffIsArgoCDsHelm(t *testing.T) {
	for _, tt := range []struct {
		name, chart, plugin string
		helmArgs            []string
	}{
		{name: "geth, nothing set", chart: "charts/examples/geth"},
		{name: "shop, values files and values, enabled false", chart: "test/argocd/testdata/shop",
			plugin: `      parameters:
        - name: enabled
          string: "false"
        - name: values-files
          array: [values-prod.yaml]
        - name: values
          string: |
            config:
              greeting: hi
        - name: set
          map:
            image: example/shop:2
`,
			helmArgs: []string{"--values", "values-prod.yaml", "--values", "$VALUES", "--set", "image=example/shop:2"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			// An Application in the "apps" namespace: ARGOCD_APP_NAME is apps_shop.
			got := generateManifests(t, app(t, "shop", "apps", "store", tt.chart, tt.plugin))
			args := tt.helmArgs
			for i, a := range args {
				if a == "$VALUES" {
					// Not in t.TempDir(): helm's --values splits at commas.
					f := filepath.Join(tmpRoot, "extra-values.yaml")
					if err := os.WriteFile(f, []byte("config:\n  greeting: hi\n"), 0o644); err != nil {
						t.Fatal(err)
					}
					args[i] = f
				}
			}
			want := splitManifests(t, helmTemplate(t, tt.chart, "shop", "store", args...))
			if len(want) < 3 {
				t.Fatalf("helm template gave %d objects", len(want))
			}
			if diff := cmp.Diff(keys(decode(t, want)), keys(decode(t, got))); diff != "" {
				t.Fatalf("objects (-helm template +plugin):\n%s", diff)
			}
			if diff := cmp.Diff(decode(t, want), decode(t, got)); diff != "" {
				t.Errorf("objects (-helm template +plugin):\n%s", diff)
			}
			if strings.Contains(strings.Join(got, "\n"), "debug-overlay.dev/") {
				t.Errorf("the overlay is off, yet its marks are in the manifests")
			}
		})
	}
}

// TestGenerateOnIsHelm4PostRenderer: with the overlay on, the manifests
// equal, field by field, what `helm template --post-renderer debug-overlay`
// (Helm 4, the plugin installed) gives with the same options: parameters
// (ARGOCD_APP_PARAMETERS) and the Application's plugin env (ARGOCD_ENV_*)
// become the same configuration as the plugin's arguments.
func TestGenerateOnIsHelm4PostRenderer(t *testing.T) {
	for _, tt := range []struct {
		name, chart, plugin string
		flags               []string
		helmArgs            []string
	}{
		{name: "geth, as the chart's values configure it", chart: "charts/examples/geth",
			plugin: `      parameters:
        - name: set
          map:
            debug-overlay.enabled: "true"
`,
			helmArgs: []string{"--set", "debug-overlay.enabled=true"}},
		{name: "shop, parameters and env", chart: "test/argocd/testdata/shop",
			plugin: `      env:
        - name: PRESET
          value: busybox
        - name: REASON
          value: INC-4711 for $ARGOCD_APP_NAME
      parameters:
        - name: enabled
          string: "true"
        - name: profile
          string: restricted
        - name: targets
          array: [deployment/shop-*]
        - name: copy-volumes
          array: ["creds:fileMode=0400,medium=Memory"]
        - name: expires
          string: "2999-01-01T00:00:00Z"
`,
			flags: []string{"--enable", "--preset=busybox", "--reason=INC-4711 for apps_shop", "--profile=restricted",
				"--target=deployment/shop-*", "--copy-volume=creds:fileMode=0400,medium=Memory", "--expires=2999-01-01T00:00:00Z"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := decode(t, generateManifests(t, app(t, "shop", "apps", "store", tt.chart, tt.plugin)))
			var post []string
			for _, f := range tt.flags {
				post = append(post, "--post-renderer-args", f)
			}
			helmArgs := append(append([]string{"--post-renderer", "debug-overlay"}, post...), tt.helmArgs...)
			want := decode(t, splitManifests(t, helmTemplate(t, tt.chart, "shop", "store", helmArgs...)))
			byKey := map[string]object{}
			for _, o := range want {
				byKey[o.key()] = o
			}
			overlaid := 0
			for _, o := range got {
				w, ok := byKey[o.key()]
				if !ok {
					t.Errorf("%s: not in helm template --post-renderer's output", o.key())
					continue
				}
				delete(byKey, o.key())
				if diff := cmp.Diff(w, o); diff != "" {
					t.Errorf("%s (-helm template --post-renderer debug-overlay +plugin):\n%s", o.key(), diff)
				}
				if data, _ := json.Marshal(o); strings.Contains(string(data), "debug-overlay.dev/status") {
					overlaid++
				}
			}
			for k := range byKey {
				t.Errorf("%s: missing from the plugin's output", k)
			}
			if overlaid != 1 {
				t.Errorf("%d objects overlaid, want 1", overlaid)
			}
		})
	}
}

// TestGenerateOnKeepsArgoCDsData: Helm 4 re-serialises whatever goes
// through a post-renderer, and in test/helm4's blockscalar fixture that
// changes ConfigMap data (a block scalar loses its final newline). The
// plugin overlays Helm's printed output instead: with the overlay on, every
// object it does not change is Argo CD's own render, field by field, where
// `helm template --post-renderer debug-overlay` differs; the overlaid
// Deployment is the post-renderer's.
func TestGenerateOnKeepsArgoCDsData(t *testing.T) {
	chart := filepath.ToSlash(blockScalarChart)
	got := decode(t, generateManifests(t, app(t, "shop", "argocd", "store", chart, `      parameters:
        - name: enabled
          string: "true"
`)))
	off := map[string]object{}
	for _, o := range decode(t, splitManifests(t, helmTemplate(t, chart, "shop", "store"))) {
		off[o.key()] = o
	}
	post := map[string]object{}
	for _, o := range decode(t, splitManifests(t, helmTemplate(t, chart, "shop", "store", "--post-renderer", "debug-overlay", "--post-renderer-args", "--enable"))) {
		post[o.key()] = o
	}
	if len(got) != len(off) || len(got) != len(post) {
		t.Fatalf("%d objects, helm template %d, with the post-renderer %d", len(got), len(off), len(post))
	}
	changedByHelm := 0
	for _, o := range got {
		if o["kind"] == "Deployment" {
			if diff := cmp.Diff(post[o.key()], o); diff != "" {
				t.Errorf("%s (-helm template --post-renderer debug-overlay +plugin):\n%s", o.key(), diff)
			}
			continue
		}
		if diff := cmp.Diff(off[o.key()], o); diff != "" {
			t.Errorf("%s (-helm template +plugin):\n%s", o.key(), diff)
		}
		if !cmp.Equal(off[o.key()], post[o.key()]) {
			changedByHelm++
		}
	}
	if changedByHelm == 0 {
		t.Errorf("Helm 4's post-renderer path changed no object: docs/argocd.md's difference is gone")
	}
	t.Logf("%d objects whose data Helm 4's post-renderer path changes are kept as Argo CD renders them", changedByHelm)
}

// TestGenerateFailureReachesTheCaller: a bad parameter fails the render,
// and its one line reaches Argo CD through the cmp-server (what the
// repo-server gets and the UI shows).
func TestGenerateFailureReachesTheCaller(t *testing.T) {
	for _, tt := range []struct{ name, plugin, want string }{
		{name: "bad parameter", plugin: `      parameters:
        - name: enabled
          string: "true"
        - name: preset
          string: ubuntu
`, want: `parameter preset: "ubuntu" is not one of alpine, busybox, custom, toolbox`},
		{name: "bad plugin env", plugin: `      env:
        - name: PRESETS
          value: busybox
`, want: "ARGOCD_ENV_PRESETS: unknown variable of the Application's plugin env"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			res := client(t, "generate", app(t, "shop", "argocd", "store", "test/argocd/testdata/shop", tt.plugin))
			if res.Code == 0 {
				t.Fatalf("GenerateManifest succeeded:\n%s", res.Stdout)
			}
			msg := strings.TrimSpace(string(res.Stderr))
			if !strings.Contains(msg, tt.want) {
				t.Errorf("the caller got %q, want it to hold %q", msg, tt.want)
			}
			if strings.Contains(msg, "\n") {
				t.Errorf("the message has more than one line: %q", msg)
			}
		})
	}
}
