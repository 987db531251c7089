package testenv

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func TestHelmHome(t *testing.T) {
	got := HelmHome("/h")
	want := []string{"HELM_CACHE_HOME=/h/cache", "HELM_CONFIG_HOME=/h/config", "HELM_DATA_HOME=/h/data"}
	if !slices.Equal(got, want) {
		t.Errorf("HelmHome(/h) = %q, want %q", got, want)
	}
}

func TestUseHelmHome(t *testing.T) {
	// t.Setenv restores each variable after the test.
	for _, k := range []string{"HELM_PLUGINS", "HELM_NAMESPACE", "HELM_CACHE_HOME", "HELM_CONFIG_HOME", "HELM_DATA_HOME"} {
		t.Setenv(k, "/machine")
	}
	dir := t.TempDir()
	UseHelmHome(dir)
	for _, k := range []string{"HELM_PLUGINS", "HELM_NAMESPACE"} {
		if v, ok := os.LookupEnv(k); ok {
			t.Errorf("%s=%s is still set", k, v)
		}
	}
	for k, sub := range map[string]string{"HELM_CACHE_HOME": "cache", "HELM_CONFIG_HOME": "config", "HELM_DATA_HOME": "data"} {
		if got, want := os.Getenv(k), filepath.Join(dir, sub); got != want {
			t.Errorf("%s=%s, want %s", k, got, want)
		}
	}
}

func TestPostRenderer(t *testing.T) {
	got := PostRenderer("/bin/x", "--explain", "a b")
	want := []string{"--post-renderer", "/bin/x", "--post-renderer-args", "--explain", "--post-renderer-args", "a b"}
	if !slices.Equal(got, want) {
		t.Errorf("PostRenderer = %q, want %q", got, want)
	}
}
