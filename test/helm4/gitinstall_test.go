package helm4

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/debug-overlay/debug-overlay/test/testenv"
)

// TestPluginInstallFromGit: the README's install line for Helm 4,
// `helm plugin install <git URL> --verify=false`, on a Git repository of
// the module's sources. Helm 4 refuses a Git source without --verify=false
// (it cannot verify one: pkg/cmd/plugin_install.go), and with it clones
// the repository, whose install hook builds the binary with Go; the plugin
// then post-renders.
func TestPluginInstallFromGit(t *testing.T) {
	gitBin, err := exec.LookPath("git")
	if err != nil {
		t.Fatal(err)
	}
	repo := filepath.Join(t.TempDir(), "debug-overlay")
	for _, f := range []string{"go.mod", "go.sum", "plugin.yaml"} {
		if err := testenv.CopyFile(filepath.Join(repoRoot, f), filepath.Join(repo, f), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// What the binary is built from.
	for _, d := range []string{"cmd", "generator", "internal"} {
		if err := testenv.CopyTree(filepath.Join(repoRoot, d), filepath.Join(repo, d)); err != nil {
			t.Fatal(err)
		}
	}
	for _, args := range [][]string{
		{"init", "-q"},
		{"add", "."},
		{"-c", "user.name=test", "-c", "user.email=test@example.invalid", "commit", "-q", "-m", "sources"},
	} {
		cmd := exec.Command(gitBin, args...)
		cmd.Dir = repo
		runner.MustRun(t, cmd, nil)
	}
	// Helm finds the VCS of a file:// URL from its .git directory; a remote
	// URL is cloned the same way.
	url := "file://" + repo

	home := t.TempDir()
	helm := func(args ...string) testenv.Result {
		t.Helper()
		cmd := exec.Command(helm4Bin, args...)
		cmd.Env = append(os.Environ(),
			"HELM_CACHE_HOME="+filepath.Join(home, "cache"),
			"HELM_CONFIG_HOME="+filepath.Join(home, "config"),
			"HELM_DATA_HOME="+filepath.Join(home, "data"))
		return runner.Run(t, cmd, nil)
	}

	r := helm("plugin", "install", url)
	if want := "plugin source does not support verification. Use --verify=false"; r.Code == 0 || !strings.Contains(string(r.Stderr), want) {
		t.Errorf("helm4 plugin install of a Git repository without --verify=false: exit %d, want non-zero and %q in stderr:\n%s", r.Code, want, r.Stderr)
	}

	r = helm("plugin", "install", url, "--verify=false")
	out := string(r.Stdout) + string(r.Stderr)
	if r.Code != 0 {
		t.Fatalf("helm4 plugin install %s --verify=false: exit %d:\n%s", url, r.Code, out)
	}
	for _, want := range []string{"debug-overlay: building ", "/bin/" + binName + ", version debug-overlay dev commit unknown", "Installed plugin: " + pluginName} {
		if !strings.Contains(out, want) {
			t.Errorf("helm4 plugin install did not print %q:\n%s", want, out)
		}
	}
	r = helm("plugin", "list")
	if !regexp.MustCompile(`(?m)^debug-overlay\s+0\.1\.0\s+postrenderer/v1\b`).Match(r.Stdout) {
		t.Errorf("helm4 plugin list does not show debug-overlay 0.1.0 postrenderer/v1:\n%s", r.Stdout)
	}

	r = helm(append([]string{"template", release, gethChart, "--set", "debug-overlay.enabled=true"}, postRender(4)...)...)
	if r.Code != 0 {
		t.Fatalf("helm4 template through the plugin installed from Git: exit %d:\n%s", r.Code, r.Stderr)
	}
	pod := podSpec(t, find(t, splitDocs(t, r.Stdout), "StatefulSet", release))
	if c := named(pod["containers"], "debug"); c == nil {
		t.Errorf("no debug sidecar; containers %v", itemNames(pod["containers"]))
	}
	if c := named(pod["initContainers"], "debug-overlay-copy"); c == nil {
		t.Errorf("no debug-overlay-copy init container; init containers %v", itemNames(pod["initContainers"]))
	}
}
