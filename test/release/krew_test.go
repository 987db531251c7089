package release

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestKrew: the real krew, as kubectl's plugin kubectl-krew, installs the
// krew manifest with the linux/amd64 archive into an empty KREW_ROOT;
// kubectl finds the plugin for `kubectl debug-overlay`; a tampered archive
// is refused by its sha256 and installs nothing.
func TestKrew(t *testing.T) {
	manifest := filepath.Join(distDir, "krew", "debug-overlay.yaml")
	archive := filepath.Join(distDir, archiveName("linux", "amd64"))

	// kubectl and kubectl-krew alone on PATH, besides what krew needs
	// (git is not: --manifest installs without the index).
	tools := filepath.Join(t.TempDir(), "tools")
	os.MkdirAll(tools, 0o755)
	for _, b := range []string{kubectl, krew} {
		if err := os.Symlink(b, filepath.Join(tools, filepath.Base(b))); err != nil {
			t.Fatal(err)
		}
	}
	env := func(root string) []string {
		return []string{"KREW_ROOT=" + root, "HOME=" + root, "PATH=" + filepath.Join(root, "bin") + ":" + tools + ":/usr/bin:/bin"}
	}

	t.Run("tampered archive refused", func(t *testing.T) {
		root := t.TempDir()
		bad := filepath.Join(t.TempDir(), filepath.Base(archive))
		tamper(t, archive, bad)
		mustFail(t, cmdIn(env(root), kubectl, "krew", "install", "--manifest="+manifest, "--archive="+bad), "checksum does not match")
		if _, err := os.Lstat(filepath.Join(root, "bin", "kubectl-debug_overlay")); err == nil {
			t.Error("the tampered archive installed kubectl-debug_overlay")
		}
	})

	root := t.TempDir()
	mustRun(t, cmdIn(env(root), kubectl, "krew", "install", "--manifest="+manifest, "--archive="+archive), nil)
	out := strings.TrimSpace(string(mustRun(t, cmdIn(env(root), kubectl, "debug-overlay", "version"), nil)))
	if !strings.HasPrefix(out, "kubectl-debug_overlay "+version+" commit ") {
		t.Errorf("kubectl debug-overlay version printed %q", out)
	}
	plugins := string(mustRun(t, cmdIn(env(root), kubectl, "plugin", "list"), nil))
	if !strings.Contains(plugins, filepath.Join(root, "bin", "kubectl-debug_overlay")) {
		t.Errorf("kubectl plugin list does not show krew's link:\n%s", plugins)
	}
	// krew list needs the index; the receipt is what it would read.
	receipt, err := os.ReadFile(filepath.Join(root, "receipts", "debug-overlay.yaml"))
	if err != nil || !strings.Contains(string(receipt), "version: "+version) {
		t.Errorf("krew's receipt: %v\n%s", err, receipt)
	}
	licenses, _ := filepath.Glob(filepath.Join(root, "store", "debug-overlay", version, "LICENSE"))
	if len(licenses) != 1 {
		t.Errorf("krew did not extract LICENSE into %s", filepath.Join(root, "store", "debug-overlay", version))
	}
}
