package helm4

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/debug-overlay/debug-overlay/test/testenv"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// The paths TestMain sets up; read-only for the tests.
var (
	// repoRoot is the root of the module under test.
	repoRoot string
	// helm3Bin and helm4Bin are the real Helms, bin/helm3 and bin/helm4.
	helm3Bin, helm4Bin string
	// tmpRoot holds everything the tests write.
	tmpRoot string
	// srcDir mirrors the repository's layout: charts/ and test/helm4/testdata/.
	srcDir string
	// pluginDir is the directory installed as the debug-overlay plugin: a
	// copy of plugin.yaml and, where it expects it, the binary under test.
	pluginDir string
	// bin is the binary under test, inside pluginDir.
	bin string
	// gethChart and hooksChart are the charts the tests render most;
	// blockScalarChart, cronHooksChart and dupLabelsChart are the fixtures
	// of single tests (see their Chart.yaml).
	gethChart, hooksChart                            string
	blockScalarChart, cronHooksChart, dupLabelsChart string
	// examples are the example charts, dependencies built.
	examples []string
	// installOutput is what `helm4 plugin install` printed for debug-overlay.
	installOutput string
	// helmHome holds each Helm's home directories, apart.
	helmHome = map[int]string{}
	// runner runs and logs the tests' subprocesses.
	runner testenv.Runner
)

const (
	// release is the release name of every render.
	release = "rel"
	// pluginName is the name plugin.yaml gives the plugin.
	pluginName = "debug-overlay"
	// filenameAnnotation is how Helm 4 tells a post-renderer which template
	// a document came from.
	filenameAnnotation = "postrenderer.helm.sh/postrender-filename"
)

// binName is the binary plugin.yaml runs on this platform.
var binName = "debug-overlay-" + runtime.GOOS + "-" + runtime.GOARCH

func TestMain(m *testing.M) {
	flag.Parse()
	code := testenv.Main(m, "helm4", setup)
	stopCluster()
	os.Exit(code)
}

// setup finds both Helms and the binary, installs the plugin and copies the
// charts into tmp.
func setup(tmp string) error {
	start := time.Now()
	tmpRoot = tmp
	var err error
	if repoRoot, err = testenv.RepoRoot(); err != nil {
		return err
	}
	// Each Helm keeps its state apart from any Helm on the machine and from
	// the other (Helm 3 refuses to start cleanly with a v1 plugin.yaml in its
	// plugins directory): helmEnv gives each its own homes. The terminal is
	// kept out of every test but the one about it.
	testenv.ClearHelmEnv()
	os.Setenv("DEBUG_OVERLAY_TTY", os.DevNull)
	for _, major := range []int{3, 4} {
		helmHome[major] = filepath.Join(tmp, fmt.Sprintf("helm%d", major))
	}
	versions := map[int]string{}
	for major, path := range map[int]*string{3: &helm3Bin, 4: &helm4Bin} {
		if *path, versions[major], err = testenv.Helm(major, helmEnv(major)); err != nil {
			return err
		}
	}

	// The binary goes where plugin.yaml expects it.
	pluginDir = filepath.Join(tmp, "plugins", pluginName)
	bin = filepath.Join(pluginDir, "bin", binName)
	if err := testenv.CopyFile(filepath.Join(repoRoot, "plugin.yaml"), filepath.Join(pluginDir, "plugin.yaml"), 0o644); err != nil {
		return fmt.Errorf("copying plugin.yaml: %w", err)
	}
	built, binVersion, err := testenv.Binary(tmp)
	if err != nil {
		return err
	}
	if err := testenv.CopyFile(built, bin, 0o755); err != nil {
		return fmt.Errorf("copying %s into the plugin: %w", built, err)
	}

	// The charts and the fixtures keep their relative paths, so that
	// file:// dependencies resolve.
	srcDir = filepath.Join(tmp, "src")
	if examples, err = testenv.CopyCharts(filepath.Join(srcDir, "charts")); err != nil {
		return err
	}
	testdata := filepath.Join("test", "helm4", "testdata")
	if err := testenv.CopyTree(filepath.Join(repoRoot, testdata), filepath.Join(srcDir, testdata)); err != nil {
		return fmt.Errorf("copying testdata: %w", err)
	}
	gethChart = filepath.Join(srcDir, "charts", "examples", "geth")
	hooksChart = filepath.Join(srcDir, testdata, "hooks")
	blockScalarChart = filepath.Join(srcDir, testdata, "blockscalar")
	cronHooksChart = filepath.Join(srcDir, testdata, "cronhooks")
	dupLabelsChart = filepath.Join(srcDir, testdata, "duplabels")
	fixtures := []string{hooksChart, blockScalarChart, cronHooksChart, dupLabelsChart}
	if err := testenv.DependencyBuild(helm4Bin, helmEnv(4), append(fixtures, examples...)...); err != nil {
		return err
	}

	// The plugin under test, and two fixture plugins: identity (cat) shows
	// what Helm 4 alone does to a stream; tee runs the binary under test and
	// keeps what Helm sent and what came back.
	if installOutput, err = testenv.OutputText(helmCmd(4, "plugin", "install", pluginDir)); err != nil {
		return err
	}
	for _, name := range []string{"identity", "tee"} {
		dir := filepath.Join(tmp, "plugins", name)
		if err := testenv.CopyTree(filepath.Join(srcDir, testdata, "plugins", name), dir); err != nil {
			return err
		}
		if _, err := testenv.Output(helmCmd(4, "plugin", "install", dir)); err != nil {
			return err
		}
	}
	runner.Short = strings.NewReplacer(bin, "BIN", helm3Bin, "helm3", helm4Bin, "helm4", srcDir+"/", "", tmpRoot+"/", "$TMP/")
	fmt.Fprintf(os.Stderr, "helm4: helm %s and %s, debug-overlay %s (%s), %d example chart(s), setup %v\n",
		versions[4], versions[3], binVersion, bin, len(examples), time.Since(start).Round(time.Millisecond))
	return nil
}

// helmEnv is the environment of Helm major: this process's, with Helm's
// home directories pointing into the temporary directory, then extra.
func helmEnv(major int, extra ...string) []string {
	env := append(os.Environ(), testenv.HelmHome(helmHome[major])...)
	return append(env, extra...)
}

// helmCmd returns the command that runs Helm major with its own homes.
func helmCmd(major int, args ...string) *exec.Cmd {
	path := helm3Bin
	if major == 4 {
		path = helm4Bin
	}
	cmd := exec.Command(path, args...)
	cmd.Env = helmEnv(major)
	return cmd
}

// helm runs Helm major.
func helm(t *testing.T, major int, args ...string) testenv.Result {
	t.Helper()
	return runner.Run(t, helmCmd(major, args...), nil)
}

// template renders chart with `helm template rel` under Helm major, failing
// the test when Helm fails.
func template(t *testing.T, major int, chart string, args ...string) []byte {
	t.Helper()
	return runner.MustRun(t, helmCmd(major, append([]string{"template", release, chart}, args...)...), nil)
}

// postRender returns the arguments that run debug-overlay as Helm major's
// post-renderer: the plugin's name for Helm 4, the binary's path for Helm 3.
func postRender(major int, args ...string) []string {
	if major == 3 {
		return testenv.PostRenderer(bin, args...)
	}
	return testenv.PostRenderer(pluginName, args...)
}

// overlay runs the binary under test on stdin.
func overlay(t *testing.T, stdin []byte, args ...string) testenv.Result {
	t.Helper()
	return runner.Run(t, exec.Command(bin, args...), stdin)
}
