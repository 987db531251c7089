package argocd

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"go.yaml.in/yaml/v3"
)

var update = flag.Bool("update", false, "rewrite deploy/argocd/plugin.yaml")

// TestDeployedPluginIsGenerated: deploy/argocd/plugin.yaml is what `argocd
// plugin` prints, so the parameters announced to Argo CD are those generate
// reads (go test ./cmd/argocd/ -update rewrites it).
func TestDeployedPluginIsGenerated(t *testing.T) {
	want, err := Plugin(DefaultCommand)
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join("..", "..", "deploy", "argocd", "plugin.yaml")
	if *update {
		if err := os.WriteFile(file, want, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from `debug-overlay-argocd plugin`; run go test ./cmd/argocd/ -update", file)
	}
}

func TestPlugin(t *testing.T) {
	data, err := Plugin("/bin/x")
	if err != nil {
		t.Fatal(err)
	}
	var p struct {
		Kind     string
		Metadata struct{ Name string }
		Spec     struct {
			Discover   map[string]any
			Generate   struct{ Command, Args []string }
			Parameters struct {
				Static []struct {
					Name           string  `yaml:"name"`
					CollectionType string  `yaml:"collectionType"`
					String         *string `yaml:"string"`
				}
			}
		}
	}
	if err := yaml.Unmarshal(data, &p); err != nil {
		t.Fatal(err)
	}
	if p.Kind != "ConfigManagementPlugin" || p.Metadata.Name != PluginName {
		t.Errorf("kind %q, name %q", p.Kind, p.Metadata.Name)
	}
	if p.Spec.Discover != nil {
		t.Errorf("a discover rule: %v", p.Spec.Discover)
	}
	if got := p.Spec.Generate.Command; len(got) != 2 || got[0] != "/bin/x" || got[1] != "generate" {
		t.Errorf("generate.command %v", got)
	}
	if len(p.Spec.Parameters.Static) != len(Params) {
		t.Fatalf("%d parameters announced, want %d", len(p.Spec.Parameters.Static), len(Params))
	}
	for i, a := range p.Spec.Parameters.Static {
		param := Params[i]
		if a.Name != param.Name {
			t.Errorf("parameter %d: %s, want %s", i, a.Name, param.Name)
		}
		if param.collection() == CollectionString {
			if a.String == nil || *a.String != param.Default || a.CollectionType != "" {
				t.Errorf("%s: string %v, collectionType %q", a.Name, a.String, a.CollectionType)
			}
		} else if a.CollectionType != string(param.collection()) {
			t.Errorf("%s: collectionType %q, want %s", a.Name, a.CollectionType, param.collection())
		}
	}
}
