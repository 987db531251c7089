package e2e

import (
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"reflect"
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
	binary := []struct {
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
		{path: "mode", want: strs(overlay.Modes)},
		{path: "twin.claims", want: strs(overlay.TwinClaimChoices)},
	}
	// Every enum of the schema is held here: a new one needs a row.
	var held []string
	for _, tc := range binary {
		held = append(held, tc.path)
	}
	if got, want := slices.Sorted(maps.Keys(enums)), slices.Sorted(slices.Values(held)); !slices.Equal(got, want) {
		t.Errorf("the schema has enums at %v, this test holds %v to the binary: add a row for each new one", got, want)
	}
	for _, tc := range binary {
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

// TestSchemaCoversConfig: every field of the DebugOverlay spec (overlay.Config
// and the structs of package overlay inside it, walked by their json tags)
// is a property of the toggle chart's schema, which allows no other: a
// field added to the configuration and forgotten in the schema would make
// Helm refuse its value.
func TestSchemaCoversConfig(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(chartsDir, "debug-overlay", "values.schema.json"))
	if err != nil {
		t.Fatal(err)
	}
	type prop struct {
		Properties map[string]*prop `json:"properties"`
		Items      *prop            `json:"items"`
	}
	var schema prop
	if err := json.Unmarshal(data, &schema); err != nil {
		t.Fatal(err)
	}
	own := reflect.TypeFor[overlay.Config]().PkgPath()
	checked := 0
	var walk func(path string, typ reflect.Type, p *prop)
	walk = func(path string, typ reflect.Type, p *prop) {
		for typ.Kind() == reflect.Pointer {
			typ = typ.Elem()
		}
		if typ.Kind() == reflect.Slice {
			if typ.Elem().Kind() == reflect.Struct && typ.Elem().PkgPath() == own {
				if p.Items == nil {
					t.Errorf("schema %s: no items, the configuration lists objects there", path)
					return
				}
				walk(path+"[0]", typ.Elem(), p.Items)
			}
			return
		}
		if typ.Kind() != reflect.Struct || typ.PkgPath() != own {
			return
		}
		for f := range typ.Fields() {
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if name == "" || name == "-" {
				continue
			}
			child := p.Properties[name]
			if child == nil {
				t.Errorf("schema has no %s, a field of the configuration", strings.TrimPrefix(path+"."+name, "."))
				continue
			}
			checked++
			walk(strings.TrimPrefix(path+"."+name, "."), f.Type, child)
		}
	}
	walk("", reflect.TypeFor[overlay.Config](), &schema)
	t.Logf("%d configuration fields found in the schema", checked)
	for _, want := range []string{"tools", "twin"} {
		if schema.Properties[want] == nil {
			t.Errorf("schema has no %s", want)
		}
	}
}

// TestSchemaTakesToolsAndHold: the tools and the holds go through Helm's
// values into the post-renderer (issue 26); Helm refuses a held init
// container's name that no container can have and an unknown key below
// tools, and the post-renderer refuses a hold outside twin mode and a held
// init container the pod does not have, naming the field, with nothing on
// stdout.
func TestSchemaTakesToolsAndHold(t *testing.T) {
	set := func(kv ...string) []string {
		args := []string{"--set", "debug-overlay.enabled=true"}
		for _, s := range kv {
			args = append(args, "--set", "debug-overlay."+s)
		}
		return append(args, postRender()...)
	}
	pod := statefulSet(t, splitDocs(t, template(t, set("tools.inject=true", "tools.image=example.com/busybox:static")...))).Spec.Template.Spec
	tools := container(pod.InitContainers, overlay.ToolsContainerName)
	if tools == nil || tools.Image != "example.com/busybox:static" {
		t.Fatalf("tools init container %+v, want one of example.com/busybox:static; init containers %v", tools, names(pod.InitContainers))
	}
	if m := mountAt(container(pod.Containers, "geth").VolumeMounts, overlay.ToolsPath); m == nil || !m.ReadOnly || m.Name != overlay.ToolsVolumeName {
		t.Errorf("geth mounts %+v at %s, want the tools read only", m, overlay.ToolsPath)
	}

	docs := splitDocs(t, template(t, set("mode=twin", "twin.hold=true")...))
	var twin *doc
	for i := range docs {
		if docs[i].kind == "StatefulSet" && strings.HasSuffix(docs[i].name, "-debug") {
			twin = &docs[i]
		}
	}
	if twin == nil {
		t.Fatal("no twin StatefulSet")
	}
	tpod := statefulSet(t, []doc{*twin}).Spec.Template.Spec
	geth := container(tpod.Containers, "geth")
	if !slices.Equal(geth.Command, overlay.HoldCommand("geth")) || geth.Args != nil {
		t.Errorf("the twin's geth: command %q, args %q; want the hold and no args", geth.Command, geth.Args)
	}
	// The chart gives args and no command: the image's entrypoint, which
	// the manifest does not say, is left for the person to give.
	if e := geth.Env[len(geth.Env)-1]; e.Name != overlay.HoldEnv || !strings.Contains(e.Value, "$${"+overlay.EntrypointEnv+":?") || !strings.Contains(e.Value, "'--keystore=/keystore'") {
		t.Errorf("the twin's geth: last env %+v, want %s with the unknown entrypoint and the args", e, overlay.HoldEnv)
	}

	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{name: "helm: a held init container's name that is no name", args: set("mode=twin", "twin.holdInit[0]=Not_A_Name"), want: "/twin/holdInit/0"},
		{name: "helm: an unknown key below tools", args: set("tools.inject=true", "tools.static=true"), want: "static"},
		{name: "post-renderer: hold in place", args: set("twin.hold=true"), want: "spec.twin.hold: holds containers in twin mode only"},
		{name: "post-renderer: an init container the pod lacks", args: set("mode=twin", "twin.holdInit[0]=migrate"), want: `spec.twin.holdInit[0]: init container "migrate" is not in the pod (init containers: none)`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := helm(t, append([]string{"template", release, gethChart}, tc.args...)...)
			if res.Code == 0 {
				t.Fatalf("helm template succeeded:\n%s", res.Stdout)
			}
			if len(res.Stdout) > 0 {
				t.Errorf("helm template failed but wrote %d bytes on stdout", len(res.Stdout))
			}
			if !strings.Contains(string(res.Stderr), tc.want) {
				t.Errorf("stderr does not say %q:\n%s", tc.want, res.Stderr)
			}
		})
	}
}
