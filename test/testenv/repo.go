package testenv

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// Module is the path of the module under test.
const Module = "github.com/debug-overlay/debug-overlay"

// RepoRoot walks up from the working directory to the go.mod of Module and
// returns its directory.
func RepoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		data, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil && bytes.HasPrefix(data, []byte("module "+Module+"\n")) {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod of " + Module + " above the working directory")
		}
		dir = parent
	}
}

// Tool returns the path of bin/<name> in the repository. When it is missing
// the error says to run `make <makeTarget>`, which builds or installs it.
func Tool(name, makeTarget string) (string, error) {
	root, err := RepoRoot()
	if err != nil {
		return "", err
	}
	path := filepath.Join(root, "bin", name)
	if _, err := os.Stat(path); err != nil {
		return "", fmt.Errorf("%s is missing: run `make %s`: %w", path, makeTarget, err)
	}
	return path, nil
}
