//go:build unix && !linux

package helm4

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// runInTerminal stands in for a terminal where the test does not open
// pseudo-terminals itself: debug-overlay writes what it would show there to
// the file DEBUG_OVERLAY_TTY names, and that comes first, as on a terminal.
func runInTerminal(t *testing.T, cmd *exec.Cmd) (string, int) {
	t.Helper()
	file := filepath.Join(t.TempDir(), "tty")
	cmd.Env = append(cmd.Env, "DEBUG_OVERLAY_TTY="+file)
	r := runner.Run(t, cmd, nil)
	shown, _ := os.ReadFile(file)
	return string(shown) + string(r.Stdout) + string(r.Stderr), r.Code
}
