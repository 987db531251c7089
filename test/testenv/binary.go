package testenv

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
)

// BinEnv names the environment variable that points the tests at a
// debug-overlay built elsewhere.
const BinEnv = "DEBUG_OVERLAY_BIN"

// Binary returns the debug-overlay under test and what its `version`
// command prints: $DEBUG_OVERLAY_BIN, made absolute, when it is set, else a
// binary built from the repository's ./cmd/debug-overlay into
// dir/debug-overlay.
func Binary(dir string) (path, version string, err error) {
	if env := os.Getenv(BinEnv); env != "" {
		if path, err = filepath.Abs(env); err != nil {
			return "", "", fmt.Errorf("%s: %w", BinEnv, err)
		}
	} else {
		root, err := RepoRoot()
		if err != nil {
			return "", "", err
		}
		path = filepath.Join(dir, "debug-overlay")
		build := exec.Command("go", "build", "-trimpath", "-o", path, "./cmd/debug-overlay")
		build.Dir = root
		if _, err := Output(build); err != nil {
			return "", "", fmt.Errorf("building debug-overlay (or run `make build` and set %s): %w", BinEnv, err)
		}
	}
	if version, err = OutputText(exec.Command(path, "version")); err != nil {
		return "", "", fmt.Errorf("debug-overlay at %s (%s is relative to the test package's directory): %w", path, BinEnv, err)
	}
	return path, version, nil
}
