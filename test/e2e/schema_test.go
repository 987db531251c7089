package e2e

import (
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
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
		{path: "sidecar.profile", want: strs(overlay.ProfileChoices())},
		{path: "podSecurity", want: strs(overlay.PodSecurityLevels)},
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
				docs := splitDocs(t, template(t, append(args, postRender()...)...))
				if path == "mode" && v == string(overlay.ModeTwin) {
					// The original StatefulSet is left alone: look at its twin.
					docs = slices.DeleteFunc(docs, func(d doc) bool { return d.kind == "StatefulSet" && !strings.HasSuffix(d.name, "-debug") })
				}
				pod := statefulSet(t, docs).Spec.Template.Spec
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

// TestSchemaTakesModesAndOwner: the chart's schema takes fileMode, dirMode
// and owner as Helm's --set and a values file pass them (--set gives 0600
// as the string "0600" and 1000 as a number; YAML reads 0600 as 384), the
// post-renderer reads them the same, and Helm itself refuses values the
// post-renderer would refuse, naming the field.
func TestSchemaTakesModesAndOwner(t *testing.T) {
	vol := "debug-overlay.copy.volumes[0]."
	values := writeFile(t, "values.yaml", []byte(`debug-overlay:
  enabled: true
  copy:
    volumes:
      - name: keystore
        fileMode: 0600
        dirMode: 0700
        owner: 1000:2000
`))
	for _, tc := range []struct {
		name string
		args []string
	}{
		{name: "--set", args: []string{"--set", "debug-overlay.enabled=true", "--set", vol + "name=keystore",
			"--set", vol + "fileMode=0600", "--set", vol + "dirMode=0700", "--set", vol + "owner=1000:2000"}},
		{name: "--set with a numeric owner and a decimal mode", args: []string{"--set", "debug-overlay.enabled=true", "--set", vol + "name=keystore",
			"--set", vol + "fileMode=384", "--set", vol + "dirMode=0700", "--set", vol + "owner=1000", "--set", "debug-overlay.sidecar.runAsUser=5"}},
		{name: "values file", args: []string{"-f", values}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pod := statefulSet(t, splitDocs(t, template(t, append(tc.args, postRender()...)...))).Spec.Template.Spec
			c := container(pod.InitContainers, "debug-overlay-copy")
			if c == nil {
				t.Fatalf("no copy init container; init containers %v", names(pod.InitContainers))
			}
			if got, want := c.Args[3:5], []string{"0600", "0700"}; !slices.Equal(got, want) {
				t.Errorf("copy container's FILEMODE DIRMODE arguments %q, want %q (all args %q)", got, want, c.Args)
			}
			sc := c.SecurityContext
			if sc == nil || sc.RunAsUser == nil || *sc.RunAsUser != 1000 {
				t.Fatalf("copy container's securityContext %+v, want runAsUser 1000", sc)
			}
			if gid := c.Args[5]; (sc.RunAsGroup == nil) != (gid == "keep") || sc.RunAsGroup != nil && strconv.FormatInt(*sc.RunAsGroup, 10) != gid {
				t.Errorf("copy container runs in group %v and sets group %q on the copies: want them the same", sc.RunAsGroup, gid)
			}
			t.Logf("copy container: args %q, runAsUser %d, runAsGroup %v", c.Args, *sc.RunAsUser, ptrString(sc.RunAsGroup))
		})
	}

	for _, tc := range []struct {
		value string
		want  string
	}{
		{value: "fileMode=0800", want: "fileMode"},
		{value: "fileMode=600", want: "fileMode"}, // --set reads it as the number 600: octal 01130
		{value: "dirMode=700", want: "dirMode"},
		{value: "dirMode=-1", want: "dirMode"},
		{value: "owner=root", want: "owner"},
		{value: "owner=-5", want: "owner"},
		{value: "owner=1000:", want: "owner"},
	} {
		t.Run("helm refuses "+tc.value, func(t *testing.T) {
			res := helm(t, append([]string{"template", release, gethChart, "--set", "debug-overlay.enabled=true",
				"--set", vol + "name=keystore", "--set", vol + tc.value}, postRender()...)...)
			if res.Code == 0 {
				t.Fatalf("helm accepts %s", tc.value)
			}
			stderr := string(res.Stderr)
			if !strings.Contains(stderr, "values don't meet the specifications of the schema") || !strings.Contains(stderr, "/copy/volumes/0/"+tc.want) {
				t.Errorf("helm's error does not name /copy/volumes/0/%s as a schema violation:\n%s", tc.want, stderr)
			}
		})
	}
}

func ptrString[T any](p *T) string {
	if p == nil {
		return "nil"
	}
	return fmt.Sprint(*p)
}
