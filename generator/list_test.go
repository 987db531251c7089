package generator

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/debug-overlay/debug-overlay/generator/overlay"
)

func TestListWorkloads(t *testing.T) {
	in := `# Source: app/templates/web.yaml
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels: {tier: front}
spec:
  template:
    spec:
      containers: [{name: web, image: web:1}]
---
apiVersion: v1
kind: ConfigMap
metadata: {name: cfg}
---
apiVersion: batch/v1
kind: Job
metadata:
  name: migrate
  annotations: {helm.sh/hook: pre-install}
spec:
  template:
    spec:
      containers: [{name: m, image: m:1}]
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db, namespace: data}
spec:
  template:
    metadata:
      annotations: {debug-overlay.dev/inject: "false"}
    spec:
      containers: [{name: db, image: db:1}]
---
apiVersion: debug-overlay.dev/v1alpha1
kind: DebugOverlay
metadata: {name: x}
spec:
  sidecar: {preset: busybox}
  targets: [{kind: Deployment, containers: [web]}, {kind: StatefulSet}]
`
	base := overlay.Config{Sidecar: overlay.Sidecar{Preset: overlay.PresetToolbox, Profile: overlay.ProfileBaseline}}
	over := overlay.Config{Sidecar: overlay.Sidecar{Profile: overlay.ProfileRestricted}}
	cfg, listed, err := ListWorkloads(strings.NewReader(in), base, over)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Sidecar.Preset != overlay.PresetBusybox || cfg.Sidecar.Profile != overlay.ProfileRestricted {
		t.Errorf("preset %s, profile %s: want busybox (the stream over the base) and restricted (over above the stream)", cfg.Sidecar.Preset, cfg.Sidecar.Profile)
	}
	type row struct {
		Kind, Name, Namespace string
		Selected              bool
		Containers            []string
		Document              string
	}
	var got []row
	for _, l := range listed {
		got = append(got, row{l.Kind.Kind, l.Meta.Name, l.Meta.Namespace, l.Selection.Selected, l.Selection.Containers, l.Document})
	}
	want := []row{
		{"Deployment", "web", "", true, []string{"web"}, "document 1 (Deployment web) from app/templates/web.yaml"},
		{"Job", "migrate", "", false, nil, "document 3 (Job migrate)"},
		{"StatefulSet", "db", "data", false, nil, "document 4 (StatefulSet data/db)"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("listed (-want +got):\n%s", diff)
	}
	if _, _, err := ListWorkloads(strings.NewReader(in), overlay.Config{Sidecar: overlay.Sidecar{Profile: "nope"}}, overlay.Config{}); err == nil || !strings.Contains(err.Error(), `unknown profile "nope"`) {
		t.Errorf("an invalid base: err %v", err)
	}
}
