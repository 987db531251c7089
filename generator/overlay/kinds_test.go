package overlay

import (
	"strings"
	"testing"
)

// TestBuiltinKindsAreWhole holds every row of the kind table to what the
// rest of the code takes from it: a kind added with a row gets it all.
func TestBuiltinKindsAreWhole(t *testing.T) {
	seen := map[string]bool{}
	for _, k := range BuiltinKinds {
		t.Run(k.Kind, func(t *testing.T) {
			if seen[k.Kind] {
				t.Fatalf("%s is in the table twice", k.Kind)
			}
			seen[k.Kind] = true
			if k.Version == "" || k.Resource == "" {
				t.Errorf("version %q, resource %q: both are needed to reach it in the API", k.Version, k.Resource)
			}
			if k.Resource != strings.ToLower(k.Resource) || !strings.HasSuffix(k.Resource, "s") {
				t.Errorf("resource %q: not a lowercase plural", k.Resource)
			}
			for _, name := range []string{k.Kind, strings.ToLower(k.Kind), k.Resource, k.ShortName} {
				if name == "" {
					continue
				}
				if got, ok := BuiltinByName(name); !ok || got.Kind != k.Kind {
					t.Errorf("BuiltinByName(%q) = %s, %v; want %s", name, got.Kind, ok, k.Kind)
				}
			}
			if k.Twin == "" {
				return
			}
			twin, ok := Builtin(k.Twin)
			switch {
			case !ok:
				t.Fatalf("its twin's kind %q is not in the table", k.Twin)
			case twin.MaxTwinName <= 0:
				t.Errorf("its twin is a %s, which has no MaxTwinName", twin.Kind)
			case twin.Twin != twin.Kind:
				t.Errorf("its twin is a %s, whose own twin is a %s: a twin's kind must twin as itself", twin.Kind, twin.Twin)
			case (twin.Kind != k.Kind) != (k.TwinNote != ""):
				t.Errorf("the twin is a %s: a note says why exactly when the kind changes (note %q)", twin.Kind, k.TwinNote)
			}
		})
	}
}

func TestAPIVersion(t *testing.T) {
	for kind, want := range map[string]string{"Pod": "v1", "Deployment": "apps/v1", "CronJob": "batch/v1"} {
		if k, _ := Builtin(kind); k.APIVersion() != want {
			t.Errorf("%s: APIVersion() = %q, want %q", kind, k.APIVersion(), want)
		}
	}
	if got := (WorkloadKind{Group: "argoproj.io", Kind: "Rollout"}).APIVersion(); got != "" {
		t.Errorf("a custom kind: APIVersion() = %q, want \"\"", got)
	}
}

func TestKindTable(t *testing.T) {
	table := NewKindTable([]WorkloadKind{
		{Group: "argoproj.io", Kind: "Rollout", TemplatePath: "spec.template"},
		{Group: "apps", Kind: "Deployment", TemplatePath: "spec.other"},
	})
	rollout, ok := table.Lookup("argoproj.io/v1alpha1", "Rollout")
	if !ok || rollout.Version != "" || rollout.Exec {
		t.Errorf("Rollout: %+v, %v; want the configured kind, without facts", rollout, ok)
	}
	d, ok := table.Lookup("apps/v1", "Deployment")
	if !ok || d.TemplatePath != "spec.other" || !d.Exec || d.Resource != "deployments" {
		t.Errorf("Deployment given again: %+v, %v; want its template path from the configuration and its facts kept", d, ok)
	}
	if _, ok := table.Lookup("v1", "Deployment"); ok {
		t.Error("Deployment of the core group: found, want none (the group is part of the key)")
	}
}
