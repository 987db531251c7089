package testenv

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func TestCopyTree(t *testing.T) {
	src, dst := t.TempDir(), t.TempDir()
	files := map[string]os.FileMode{
		"chart/Chart.yaml":          0o644,
		"chart/Chart.lock":          0o644,
		"chart/charts/dep-1.0.tgz":  0o644,
		"chart/templates/a.yaml":    0o644,
		"plugin/charts/kept.yaml":   0o644, // not in a chart
		"plugin/run.sh":             0o755,
		"plugin/private/config.txt": 0o600,
	}
	for name, perm := range files {
		path := filepath.Join(src, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(name), perm); err != nil {
			t.Fatal(err)
		}
	}
	if err := CopyTree(src, dst); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		perm os.FileMode // 0: left out
	}{
		{name: "chart/Chart.yaml", perm: 0o644},
		{name: "chart/Chart.lock"},
		{name: "chart/charts/dep-1.0.tgz"},
		{name: "chart/templates/a.yaml", perm: 0o644},
		{name: "plugin/charts/kept.yaml", perm: 0o644},
		{name: "plugin/run.sh", perm: 0o755},
		{name: "plugin/private/config.txt", perm: 0o644},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			info, err := os.Stat(filepath.Join(dst, tt.name))
			switch {
			case tt.perm == 0 && err == nil:
				t.Errorf("copied, want it left out")
			case tt.perm == 0:
			case err != nil:
				t.Errorf("not copied: %v", err)
			case info.Mode().Perm() != tt.perm:
				t.Errorf("mode %v, want %v", info.Mode().Perm(), tt.perm)
			}
		})
	}
}

func TestCopyCharts(t *testing.T) {
	dst := filepath.Join(t.TempDir(), "charts")
	examples, err := CopyCharts(dst)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(examples, filepath.Join(dst, "examples", "geth")) {
		t.Errorf("examples %q do not hold the geth example", examples)
	}
	if _, err := os.Stat(filepath.Join(dst, "debug-overlay", "Chart.yaml")); err != nil {
		t.Errorf("the toggle chart is not copied: %v", err)
	}
}
