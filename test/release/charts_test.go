package release

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/debug-overlay/debug-overlay/test/testenv"
)

// archivedBinary extracts a binary for this machine out of its dist
// archive: the Helm 3 channel is the post-renderer from an archive.
func archivedBinary(t *testing.T, name string) string {
	t.Helper()
	for _, e := range readArchive(t, filepath.Join(distDir, archiveName(runtime.GOOS, runtime.GOARCH))) {
		if e.Name == name {
			path := filepath.Join(t.TempDir(), name)
			if err := os.WriteFile(path, e.Data, 0o755); err != nil {
				t.Fatal(err)
			}
			return path
		}
	}
	t.Fatalf("no %s in %s", name, archiveName(runtime.GOOS, runtime.GOARCH))
	return ""
}

// TestChartsOCI: hack/push-charts.sh pushes the toggle chart and the geth
// example (its dependency on oci://) with `helm push --plain-http`; Helm 3
// and Helm 4 pull the example, build its dependency from the registry,
// and it renders, toggle off and on, exactly as the file:// example does.
func TestChartsOCI(t *testing.T) {
	fileChart, err := gethChart()
	if err != nil {
		t.Fatal(err)
	}
	registryPath := reg.Host + "/charts"
	push := cmdIn(append(helmHome(t), "HELM="+helm3), filepath.Join(repoRoot, "hack", "push-charts.sh"), "--registry", registryPath, "--plain-http")
	out := string(mustRun(t, push, nil))
	for _, c := range []string{"debug-overlay", "geth"} {
		if !strings.Contains(out, "Pushed: "+registryPath+"/"+c+":0.1.0") {
			t.Errorf("push-charts.sh did not push %s:\n%s", c, out)
		}
	}
	postRenderer := archivedBinary(t, "debug-overlay")

	for _, major := range []int{3, 4} {
		t.Run("helm"+string(rune('0'+major)), func(t *testing.T) {
			helm := map[int]string{3: helm3, 4: helm4}[major]
			env := append(helmHome(t), "DEBUG_OVERLAY_TTY="+os.DevNull)
			dir := t.TempDir()
			mustRun(t, cmdIn(env, helm, "pull", "oci://"+registryPath+"/geth", "--version", "0.1.0", "--plain-http", "--untar", "-d", dir), nil)
			chart := filepath.Join(dir, "geth")
			lock, _ := os.ReadFile(filepath.Join(chart, "Chart.yaml"))
			if !strings.Contains(string(lock), "repository: oci://"+registryPath) {
				t.Fatalf("the pushed geth chart does not depend on oci://%s:\n%s", registryPath, lock)
			}
			// Build the dependency from the registry, not from the copy
			// inside the package.
			os.RemoveAll(filepath.Join(chart, "charts"))
			mustRun(t, cmdIn(env, helm, "dependency", "build", chart, "--plain-http"), nil)
			if _, err := os.Stat(filepath.Join(chart, "charts", "debug-overlay-0.1.0.tgz")); err != nil {
				t.Fatal(err)
			}

			renderer := postRenderer
			if major == 4 {
				mustRun(t, cmdIn(env, helm4, "plugin", "install", pluginPackage(), "--keyring", alice.Pubring), nil)
				renderer = "debug-overlay"
			}
			for _, toggle := range []string{"false", "true"} {
				render := func(c string) string {
					args := append([]string{"template", "geth", c, "--set", "debug-overlay.enabled=" + toggle}, testenv.PostRenderer(renderer)...)
					return string(mustRun(t, cmdIn(env, helm, args...), nil))
				}
				fromOCI, fromFile := render(chart), render(fileChart)
				if fromOCI != fromFile {
					t.Errorf("toggle %s: the example from oci:// renders otherwise than from file://:\n%s", toggle, testenv.LineDiff(fromFile, fromOCI, 3))
				}
				if on := strings.Contains(fromOCI, "debug-overlay.dev/status"); on != (toggle == "true") {
					t.Errorf("toggle %s: overlay present %v", toggle, on)
				}
			}
		})
	}
}
