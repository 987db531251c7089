package blockyaml_test

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/debug-overlay/debug-overlay/internal/blockyaml"
	"github.com/debug-overlay/debug-overlay/internal/yamltree"
	"github.com/google/go-cmp/cmp"
	"go.yaml.in/yaml/v3"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/utils/ptr"
)

// checkEmit writes v with Emit, in both list styles, and checks that
// it writes the bytes yaml.v3 writes for the tree road's nodes of v
// (toNode), so both roads write one text (issue 12); that yaml.v3 reads
// them back as the JSON v marshals to; and that it refuses only what
// yaml.v3 writes its own way (double quotes).
func checkEmit(t *testing.T, v any) {
	t.Helper()
	data, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var want any
	if err := json.Unmarshal(data, &want); err != nil {
		t.Fatal(err)
	}
	n, err := yamltree.ToNode(v)
	if err != nil {
		// yaml.v3 cannot read this JSON back (control characters, escaped
		// or not): the overlay reports an error on both roads.
		return
	}
	for _, compact := range []bool{false, true} {
		var enc bytes.Buffer
		e := yaml.NewEncoder(&enc)
		e.SetIndent(2)
		if compact {
			e.CompactSeqIndent()
		}
		if err := e.Encode(n); err != nil {
			t.Fatal(err)
		}
		if err := e.Close(); err != nil {
			t.Fatal(err)
		}
		out, ok := blockyaml.Emit(data, compact)
		if !ok {
			if !hasStyle(n, yaml.DoubleQuotedStyle) {
				t.Fatalf("Emit refused %s, which needs no double quotes", data)
			}
			continue // the splice editor asks yaml.v3 then
		}
		if diff := cmp.Diff(enc.String(), string(out)); diff != "" {
			t.Fatalf("Emit writes other bytes than yaml.v3 for the tree road (-yaml.v3 +Emit):\n%s", diff)
		}
		var got any
		if err := yaml.Unmarshal(out, &got); err != nil {
			t.Fatalf("Emit wrote YAML yaml.v3 refuses (%v):\n%s", err, out)
		}
		// yaml.v3 reads numbers as int or float64, JSON as float64.
		back, _ := json.Marshal(got)
		var gotJSON any
		if err := json.Unmarshal(back, &gotJSON); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, gotJSON); diff != "" {
			t.Fatalf("read back differs (-want +got):\n%s\nYAML:\n%s", diff, out)
		}
	}
}

func hasStyle(n *yaml.Node, style yaml.Style) bool {
	if n.Style&style != 0 {
		return true
	}
	for _, c := range n.Content {
		if hasStyle(c, style) {
			return true
		}
	}
	return false
}

func container(s string) corev1.Container {
	return corev1.Container{
		Name:    s,
		Command: []string{"sh", "-c", s},
		Args:    []string{s + "\n", "x\n" + s, s},
		Env:     []corev1.EnvVar{{Name: s, Value: s}},
		Resources: corev1.ResourceRequirements{Limits: corev1.ResourceList{
			corev1.ResourceName(s + "x"): resource.MustParse("100m")}},
		VolumeMounts: []corev1.VolumeMount{{Name: "a", MountPath: s, ReadOnly: true}},
		SecurityContext: &corev1.SecurityContext{RunAsUser: ptr.To(int64(1000)),
			Capabilities: &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}}},
	}
}

var emitSeeds = []string{
	"debug", "-c", "--flag=x", "$(POD_NAME)", "100m", "1Gi", "0.5", "1", "-1", "010", "0x1F",
	"true", "True", "yes", "on", "off", "n", "null", "~", "", " ", "a ", " a", "a: b", "a #b",
	"#x", "- x", "? x", "x:", "'q'", `"dq"`, "it's", "a\tb", "é", "line1\nline2", "line\n",
	"  indented\nx", "x\n  indented", "trailing \nx", "x\n\n", "\n", "{a}", "[a]", "&a", "*a",
	"!tag", "%x", "@x", "`x`", "|", ">", "2001-12-14", "1:20", ".inf", "<<", "=", "\x00", "\u2028",
	"trap 'exit 0' TERM INT; while true; do sleep 3600 & wait $!; done",
}

func TestEmitYAML(t *testing.T) {
	for _, s := range emitSeeds {
		checkEmit(t, container(s))
	}
	checkEmit(t, corev1.Volume{Name: "x", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}})
}

func FuzzEmitYAML(f *testing.F) {
	for _, s := range emitSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		checkEmit(t, container(s))
	})
}
