package testenv

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRepoRoot(t *testing.T) {
	root, err := RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "test", "testenv", "repo.go")); err != nil {
		t.Errorf("RepoRoot() = %s, which does not hold test/testenv: %v", root, err)
	}
}

func TestRepoRootOutsideTheModule(t *testing.T) {
	t.Chdir(t.TempDir())
	if root, err := RepoRoot(); err == nil {
		t.Errorf("RepoRoot() = %s outside the module, want an error", root)
	}
}

func TestToolMissingNamesMakeTarget(t *testing.T) {
	_, err := Tool("no-such-tool", "no-such-target")
	if err == nil {
		t.Fatal("Tool found bin/no-such-tool")
	}
	if want := "run `make no-such-target`"; !strings.Contains(err.Error(), want) {
		t.Errorf("error %q does not contain %q", err, want)
	}
}
