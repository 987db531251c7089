package kustomize

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/debug-overlay/debug-overlay/test/testenv"
)

// TestTwinPathsGiveTheSameTwin: in twin mode, the Helm 3 post-renderer,
// the KRM function under the real kustomize, and generate's Component
// (which adds the twin as a resource) give the same objects, field by
// field: the original StatefulSet untouched and its twin; generate refuses
// Flux, whose post-renderers can only patch.
func TestTwinPathsGiveTheSameTwin(t *testing.T) {
	plain := parseObjects(t, helmTemplate(t))
	want := parseObjects(t, helmTemplate(t, "--set", "debug-overlay.enabled=true", "--set", "debug-overlay.mode=twin", "--post-renderer", bin))
	if diff := cmp.Diff([]string{"Secret//geth-keystore", "Service//geth", "StatefulSet//geth", "StatefulSet//geth-debug"}, want.ids()); diff != "" {
		t.Fatalf("objects of the Helm render (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(plain["StatefulSet//geth"], want["StatefulSet//geth"]); diff != "" {
		t.Fatalf("twin mode changed the original StatefulSet (-plain +twin mode):\n%s", diff)
	}

	// The example, in a copy of overlays/ (its paths are relative), with
	// mode: twin in its DebugOverlay resource.
	dir := t.TempDir()
	if err := testenv.CopyTree(filepath.Join(repoRoot, "overlays"), dir); err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(dir, "examples", "geth", "debugoverlay.yaml")
	data, err := os.ReadFile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(cfg, []byte(strings.Replace(string(data), "  enabled: true\n", "  enabled: true\n  mode: twin\n", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	genDir := filepath.Join(t.TempDir(), "generated")
	base := filepath.Join(dir, "examples", "geth", "base")
	command{stdin: command{}.mustRun(t, kustomizeBin, "build", base)}.mustRun(t, bin,
		"generate", "--config", cfg, "--base", base, "--out", genDir)
	r := command{stdin: helmTemplate(t)}.run(t, bin, "generate", "--config", cfg, "--flux-release", "geth", "--out", t.TempDir())
	if r.Code == 0 || !strings.Contains(string(r.Stderr), "twin mode is not available for Flux") {
		t.Errorf("generate --flux-release in twin mode: exit %d, want a refusal that says twin mode is not available for Flux:\n%s", r.Code, r.Stderr)
	}

	for _, p := range []struct {
		name  string
		build func(t *testing.T) []byte
	}{
		{"KRM function, kustomize build --enable-alpha-plugins --enable-exec", func(t *testing.T) []byte {
			return command{dir: t.TempDir()}.mustRun(t, kustomizeBin, append([]string{"build"}, append(kustomizeExec, filepath.Join(dir, "examples", "geth"))...)...)
		}},
		{"generated Component, kustomize build", func(t *testing.T) []byte {
			return command{}.mustRun(t, kustomizeBin, "build", genDir)
		}},
	} {
		t.Run(p.name, func(t *testing.T) {
			sameAsHelm(t, want, parseObjects(t, p.build(t)))
		})
	}
}
