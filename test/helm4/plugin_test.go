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

// TestPluginInstall: `helm4 plugin install DIR` of a directory holding
// plugin.yaml and the binary installs a postrenderer/v1 plugin named
// debug-overlay, as a symlink to DIR, without asking for a signature; the
// install hook runs the binary and says so.
func TestPluginInstall(t *testing.T) {
	t.Logf("helm4 plugin install printed:\n%s", installOutput)
	for _, want := range []string{
		"Installing plugin from local directory (development mode)",
		"debug-overlay: " + filepath.Join(helmHome[4], "data", "plugins", pluginName, "bin", binName) + ", version ",
		"Installed plugin: " + pluginName,
	} {
		if !strings.Contains(installOutput, want) {
			t.Errorf("helm4 plugin install did not print %q", want)
		}
	}

	r := helm(t, 4, "plugin", "list")
	if !regexp.MustCompile(`(?m)^debug-overlay\s+0\.1\.0\s+postrenderer/v1\s+v1\s+local dev\b`).Match(r.Stdout) {
		t.Errorf("helm4 plugin list does not show debug-overlay 0.1.0 postrenderer/v1 v1 local dev:\n%s", r.Stdout)
	}

	// The plugin is named after the directory, and is a symlink to it: a
	// rebuilt binary needs no reinstall.
	installed := filepath.Join(helmHome[4], "data", "plugins", pluginName)
	target, err := os.Readlink(installed)
	if err != nil {
		t.Fatalf("%s is not a symlink: %v", installed, err)
	}
	if target != pluginDir {
		t.Errorf("%s links to %s, want %s", installed, target, pluginDir)
	}
}

// TestPostRendererTakesPluginName: Helm 4's --post-renderer takes a plugin
// name; the path of an executable, Helm 3's way, fails before rendering.
func TestPostRendererTakesPluginName(t *testing.T) {
	r := helm(t, 4, "template", release, gethChart, "--post-renderer", bin)
	t.Logf("helm4 stderr:\n%s", r.Stderr)
	if r.Code == 0 {
		t.Fatalf("helm4 accepted a post-renderer path")
	}
	if want := "postrenderer/v1"; !strings.Contains(string(r.Stderr), want) || !strings.Contains(string(r.Stderr), "not found") {
		t.Errorf("helm4 stderr does not say the postrenderer/v1 plugin was not found")
	}
}

// TestPluginInstallHook: the install hook builds a missing binary with Go
// (an install from a Git URL has sources and no binary), and without Go
// fails saying what to do. Each case installs into a Helm 4 home of its own.
func TestPluginInstallHook(t *testing.T) {
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name     string
		sources  bool // the plugin directory holds the module's sources
		goOnPath bool
		code     int
		want     []string
	}{
		{
			name: "missing binary, no Go", code: 1,
			want: []string{
				"debug-overlay: ", "/bin/" + binName + " is missing: run make helm-plugin",
				`plugin install hook for "debug-overlay" exited with error`,
			},
		},
		{
			name: "missing binary, Go and sources", sources: true, goOnPath: true, code: 0,
			want: []string{"debug-overlay: building ", "/bin/" + binName + ", version debug-overlay dev commit unknown", "Installed plugin: debug-overlay"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), pluginName)
			if err := testenv.CopyFile(filepath.Join(pluginDir, "plugin.yaml"), filepath.Join(dir, "plugin.yaml"), 0o644); err != nil {
				t.Fatal(err)
			}
			if tc.sources {
				// What a clone holds, as far as building the binary goes.
				for _, f := range []string{"go.mod", "go.sum", "cmd", "generator", "internal"} {
					if err := os.Symlink(filepath.Join(repoRoot, f), filepath.Join(dir, f)); err != nil {
						t.Fatal(err)
					}
				}
			}
			// A PATH with sh and, if asked, go: nothing else is needed.
			pathDir := t.TempDir()
			if err := os.Symlink(sh, filepath.Join(pathDir, "sh")); err != nil {
				t.Fatal(err)
			}
			path := pathDir
			if tc.goOnPath {
				goBin, err := exec.LookPath("go")
				if err != nil {
					t.Fatal(err)
				}
				path += string(os.PathListSeparator) + filepath.Dir(goBin)
			}
			home := t.TempDir()
			cmd := exec.Command(helm4Bin, "plugin", "install", dir)
			cmd.Env = append(os.Environ(), "PATH="+path,
				"HELM_CACHE_HOME="+filepath.Join(home, "cache"),
				"HELM_CONFIG_HOME="+filepath.Join(home, "config"),
				"HELM_DATA_HOME="+filepath.Join(home, "data"))
			r := runner.Run(t, cmd, nil)
			out := string(r.Stdout) + string(r.Stderr)
			t.Logf("helm4 plugin install printed:\n%s", out)
			if r.Code != tc.code {
				t.Errorf("exit %d, want %d", r.Code, tc.code)
			}
			for _, want := range tc.want {
				if !strings.Contains(out, want) {
					t.Errorf("output does not contain %q", want)
				}
			}
		})
	}
}
