package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/debug-overlay/debug-overlay/test/testenv"
)

// The paths TestMain sets up; read-only for the tests.
var (
	// bin is the debug-overlay binary under test.
	bin string
	// helm3 is the real Helm 3, bin/helm3 in the repository.
	helm3 string
	// chartsDir is a copy of the repository's charts/, dependencies built.
	chartsDir string
	// gethChart is the example chart every Helm test renders.
	gethChart string
	// runner runs and logs the tests' subprocesses.
	runner testenv.Runner
)

// release is the release name of every render; the geth chart names its
// StatefulSet and Service after it.
const release = "rel"

func TestMain(m *testing.M) {
	os.Exit(testenv.Main(m, "e2e", setup))
}

// setup finds Helm and the binary and copies the charts into tmp.
func setup(tmp string) error {
	start := time.Now()
	testenv.UseHelmHome(filepath.Join(tmp, "helm3"))
	var helmVersion, binVersion string
	var err error
	if helm3, helmVersion, err = testenv.Helm(3, nil); err != nil {
		return err
	}
	if bin, binVersion, err = testenv.Binary(tmp); err != nil {
		return err
	}

	chartsDir = filepath.Join(tmp, "charts")
	examples, err := testenv.CopyCharts(chartsDir)
	if err != nil {
		return err
	}
	if err := testenv.DependencyBuild(helm3, nil, examples...); err != nil {
		return err
	}
	gethChart = filepath.Join(chartsDir, "examples", "geth")
	if _, err := os.Stat(filepath.Join(gethChart, "charts", "debug-overlay-0.1.0.tgz")); err != nil {
		return fmt.Errorf("helm3 dependency build did not package the toggle chart into the geth example: %w", err)
	}
	runner.Short = strings.NewReplacer(bin, "BIN", helm3, "helm3", chartsDir+"/", "")
	fmt.Fprintf(os.Stderr, "e2e: helm3 %s (%s), debug-overlay %s (%s), %d example chart(s), setup %v\n",
		helmVersion, helm3, binVersion, bin, len(examples), time.Since(start).Round(time.Millisecond))
	return nil
}

// helm runs the real Helm 3.
func helm(t *testing.T, args ...string) testenv.Result {
	t.Helper()
	return runner.Run(t, exec.Command(helm3, args...), nil)
}

// template renders the geth example with `helm3 template rel`, failing the
// test when Helm fails.
func template(t *testing.T, args ...string) []byte {
	t.Helper()
	return runner.MustRun(t, exec.Command(helm3, append([]string{"template", release, gethChart}, args...)...), nil)
}

// postRender is the arguments that run the binary as Helm's post-renderer,
// with args passed through --post-renderer-args.
func postRender(args ...string) []string {
	return testenv.PostRenderer(bin, args...)
}

// runOverlay runs the binary on stdin.
func runOverlay(t *testing.T, stdin []byte, args ...string) testenv.Result {
	t.Helper()
	return runner.Run(t, exec.Command(bin, args...), stdin)
}

// mustOverlay runs the binary and fails the test when it fails.
func mustOverlay(t *testing.T, stdin []byte, args ...string) []byte {
	t.Helper()
	return runner.MustRun(t, exec.Command(bin, args...), stdin)
}

// writeFile writes a file in the test's temporary directory.
func writeFile(t *testing.T, name string, data []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}
