package generator

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"
	"go.yaml.in/yaml/v3"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
)

// checkEmit writes v with emitYAML, in both list styles, and checks that
// yaml.v3 reads back the JSON v marshals to.
func checkEmit(t *testing.T, v any, mustAccept bool) {
	t.Helper()
	data, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var want any
	if err := json.Unmarshal(data, &want); err != nil {
		t.Fatal(err)
	}
	for _, compact := range []bool{false, true} {
		out, ok := emitYAML(data, compact)
		if !ok && mustAccept {
			t.Fatalf("emitYAML refused %s", data)
		}
		if !ok {
			return // the splice editor asks yaml.v3 then
		}
		var got any
		if err := yaml.Unmarshal(out, &got); err != nil {
			t.Fatalf("emitYAML wrote YAML yaml.v3 refuses (%v):\n%s", err, out)
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

func container(s string) corev1.Container {
	return corev1.Container{
		Name:    s,
		Command: []string{"sh", "-c", s},
		Args:    []string{s + "\n", "x\n" + s, s},
		Env:     []corev1.EnvVar{{Name: s, Value: s}},
		Resources: corev1.ResourceRequirements{Limits: corev1.ResourceList{
			corev1.ResourceName(s + "x"): resource.MustParse("100m")}},
		VolumeMounts: []corev1.VolumeMount{{Name: "a", MountPath: s, ReadOnly: true}},
		SecurityContext: &corev1.SecurityContext{RunAsUser: ptr(int64(1000)),
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
		checkEmit(t, container(s), true)
	}
	checkEmit(t, corev1.Volume{Name: "x", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}}, true)
}

func FuzzEmitYAML(f *testing.F) {
	for _, s := range emitSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		checkEmit(t, container(s), false)
	})
}
