package e2e

import (
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/debug-overlay/debug-overlay/generator/overlay"
)

// schemaEnums reads the enums of the toggle chart's values.schema.json that
// mirror a closed set of names in the binary, keyed by values path.
func schemaEnums(t *testing.T) map[string][]string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(chartsDir, "debug-overlay", "values.schema.json"))
	if err != nil {
		t.Fatal(err)
	}
	type prop struct {
		Enum       []string        `json:"enum"`
		Properties map[string]prop `json:"properties"`
		Items      *prop           `json:"items"`
	}
	var schema prop
	if err := json.Unmarshal(data, &schema); err != nil {
		t.Fatalf("values.schema.json: %v", err)
	}
	enums := map[string][]string{}
	var walk func(path string, p prop)
	walk = func(path string, p prop) {
		if len(p.Enum) > 0 {
			enums[path] = p.Enum
		}
		for k, v := range p.Properties {
			walk(strings.TrimPrefix(path+"."+k, "."), v)
		}
		if p.Items != nil {
			walk(path+"[0]", *p.Items)
		}
	}
	walk("", schema)
	return enums
}

// TestSchemaMatchesBinary: the chart's schema allows exactly the names the
// binary knows, so Helm rejects what the post-renderer would reject, and
// nothing the post-renderer accepts.
func TestSchemaMatchesBinary(t *testing.T) {
	enums := schemaEnums(t)
	t.Logf("schema enums: %v", enums)
	for _, tc := range []struct {
		path string
		want []string
	}{
		{path: "sidecar.preset", want: strs(overlay.PresetNames())},
		{path: "sidecar.profile", want: strs(overlay.ProfileNames())},
		{path: "sidecar.native", want: strs(overlay.NativeModes)},
		{path: "copy.volumes[0].medium", want: strs(overlay.Media)},
		{path: "sidecar.imagePullPolicy", want: []string{"Always", "IfNotPresent", "Never"}},
		{path: "onExpiry", want: strs(overlay.ExpiryActions)},
	} {
		got := slices.Sorted(slices.Values(enums[tc.path]))
		want := slices.Sorted(slices.Values(tc.want))
		if !slices.Equal(got, want) {
			t.Errorf("schema %s allows %v, the binary knows %v", tc.path, got, want)
		}
	}

	// Every value the schema allows goes through Helm and the post-renderer.
	for _, path := range slices.Sorted(maps.Keys(enums)) {
		for _, v := range enums[path] {
			t.Run(path+"="+v, func(t *testing.T) {
				args := []string{"--set", "debug-overlay.enabled=true", "--set", "debug-overlay." + path + "=" + v}
				if path == "copy.volumes[0].medium" {
					args = append(args, "--set", "debug-overlay.copy.volumes[0].name=keystore")
				}
				if path == "sidecar.profile" && v == string(overlay.ProfileSysadmin) {
					args = append(args, "--set", "debug-overlay.allowPrivileged=true")
				}
				if path == "sidecar.preset" && v == string(overlay.PresetCustom) {
					args = append(args, "--set", "debug-overlay.sidecar.image=example.com/debug:1")
				}
				pod := statefulSet(t, splitDocs(t, template(t, append(args, postRender()...)...))).Spec.Template.Spec
				if container(pod.Containers, "debug") == nil && container(pod.InitContainers, "debug") == nil {
					t.Errorf("no debug container; containers %v, init containers %v", names(pod.Containers), names(pod.InitContainers))
				}
			})
		}
	}
}

func strs[T ~string](names []T) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = string(n)
	}
	return out
}
