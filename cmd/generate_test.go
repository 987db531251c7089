package cmd

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/debug-overlay/debug-overlay/generator"
)

// listFiles returns the files below dir, relative to it.
func listFiles(t *testing.T, dir string) []string {
	t.Helper()
	var files []string
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		files = append(files, filepath.ToSlash(rel))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(files)
	return files
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

func TestGenerateCommand(t *testing.T) {
	out := filepath.Join(t.TempDir(), "out")
	_, stderr, err := run(t, deployment, "generate", "--enable", "--copy-volume=creds", "--out", out, "--flux-release", "apps/api")
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	want := []string{"debug-overlay/deployment_api.yaml", "debug-overlay/kustomization.yaml", "flux-helmrelease.yaml", "kustomization.yaml", "manifests.yaml"}
	if diff := cmp.Diff(want, listFiles(t, out)); diff != "" {
		t.Errorf("files (-want +got):\n%s", diff)
	}
	if !strings.Contains(stderr, "debug-overlay: wrote patches for 1 workload to "+out) {
		t.Errorf("stderr = %q", stderr)
	}
	if got := readFile(t, filepath.Join(out, "manifests.yaml")); got != generator.GeneratedHeader+deployment {
		t.Errorf("manifests.yaml is not a copy of stdin:\n%s", got)
	}
	k := readFile(t, filepath.Join(out, "kustomization.yaml"))
	if !strings.Contains(k, "resources:\n  - manifests.yaml\ncomponents:\n  - debug-overlay\n") {
		t.Errorf("kustomization.yaml:\n%s", k)
	}
	flux := readFile(t, filepath.Join(out, "flux-helmrelease.yaml"))
	if !strings.Contains(flux, "metadata:\n  name: api\n  namespace: apps\n") {
		t.Errorf("flux-helmrelease.yaml does not name the release:\n%s", flux)
	}
	patch := readFile(t, filepath.Join(out, "debug-overlay", "deployment_api.yaml"))
	if !strings.Contains(patch, "value: creds-debug-copy") {
		t.Errorf("the patch does not rewire the mount:\n%s", patch)
	}

	// Again, for another workload, with --base: the stale patch and the
	// copy of the manifests go, the kustomization points at the base.
	base := filepath.Join(filepath.Dir(out), "base")
	worker := strings.ReplaceAll(deployment, "name: api\n", "name: worker\n")
	if _, stderr, err := run(t, worker, "generate", "--enable", "--out", out, "--base", base); err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	want = []string{"debug-overlay/deployment_worker.yaml", "debug-overlay/kustomization.yaml", "flux-helmrelease.yaml", "kustomization.yaml", "manifests.yaml"}
	if diff := cmp.Diff(want, listFiles(t, out)); diff != "" {
		t.Errorf("files after the second run (-want +got):\n%s", diff)
	}
	if k := readFile(t, filepath.Join(out, "kustomization.yaml")); !strings.Contains(k, "resources:\n  - ../base\n") {
		t.Errorf("kustomization.yaml does not use the base:\n%s", k)
	}
}

func TestGenerateCommandErrors(t *testing.T) {
	foreign := t.TempDir()
	if err := os.WriteFile(filepath.Join(foreign, "kustomization.yaml"), []byte("resources: [app.yaml]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		args    []string
		wantErr string
	}{
		{name: "--out is required", args: []string{"generate", "--enable"}, wantErr: "--out is required"},
		{name: "a disabled overlay", args: []string{"generate", "--out", t.TempDir()}, wantErr: "the overlay is disabled"},
		{name: "nothing selected", args: []string{"generate", "--enable", "--target=other-*", "--out", t.TempDir()}, wantErr: "matched no workload"},
		{name: "a bad --flux-release", args: []string{"generate", "--enable", "--out", t.TempDir(), "--flux-release", "a/b/c"}, wantErr: `--flux-release "a/b/c": want NAME or NAMESPACE/NAME`},
		{
			name: "files it did not write are never overwritten", args: []string{"generate", "--enable", "--out", foreign},
			wantErr: "the file exists and debug-overlay did not generate it",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, stderr, err := run(t, deployment, tt.args...)
			if err == nil || !strings.Contains(stderr, tt.wantErr) {
				t.Errorf("error = %v, stderr = %q, want %q", err, stderr, tt.wantErr)
			}
		})
	}
	if got := readFile(t, filepath.Join(foreign, "kustomization.yaml")); got != "resources: [app.yaml]\n" {
		t.Errorf("the foreign kustomization.yaml changed:\n%s", got)
	}
	if _, err := os.Stat(filepath.Join(foreign, ComponentDir)); err == nil {
		t.Errorf("a refused run created %s", ComponentDir)
	}
}
