package kustomize

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
	// repoRoot is the root of the module under test.
	repoRoot string
	// bin is the debug-overlay binary under test.
	bin string
	// kustomizeBin is the real kustomize, bin/kustomize.
	kustomizeBin string
	// helm3 is the real Helm 3, bin/helm3.
	helm3 string
	// gethChart is a copy of charts/examples/geth, dependencies built.
	gethChart string
	// tmpRoot holds everything the run writes.
	tmpRoot string
	// runner runs and logs the tests' subprocesses.
	runner testenv.Runner
)

// kustomizeVersion is the kustomize the tests are written against; the
// Makefile's tools target builds it (hack/install-tools.sh kustomize).
const kustomizeVersion = "v5.8.2"

func TestMain(m *testing.M) {
	os.Exit(testenv.Main(m, "kustomize", setup))
}

// setup finds kustomize, Helm and the binary and copies the charts into tmp.
func setup(tmp string) error {
	start := time.Now()
	tmpRoot = tmp
	var err error
	if repoRoot, err = testenv.RepoRoot(); err != nil {
		return err
	}

	if kustomizeBin, err = testenv.Tool("kustomize", "tools"); err != nil {
		return err
	}
	version, err := testenv.OutputText(exec.Command(kustomizeBin, "version"))
	if err != nil {
		return fmt.Errorf("the real kustomize does not run: run `make tools` (hack/install-tools.sh kustomize): %w", err)
	}
	if version != kustomizeVersion {
		return fmt.Errorf("%s is kustomize %s, want %s: run `make tools`", kustomizeBin, version, kustomizeVersion)
	}
	testenv.UseHelmHome(filepath.Join(tmp, "helm3"))
	var helmVersion string
	if helm3, helmVersion, err = testenv.Helm(3, nil); err != nil {
		return err
	}

	if bin, _, err = testenv.Binary(filepath.Join(tmp, "bin")); err != nil {
		return err
	}
	// The Component's exec function (overlays/debug/debug-overlay-fn) runs
	// this binary, both under the kustomize binary and under krusty here.
	os.Setenv(testenv.BinEnv, bin)

	charts := filepath.Join(tmp, "charts")
	if _, err := testenv.CopyCharts(charts); err != nil {
		return err
	}
	gethChart = filepath.Join(charts, "examples", "geth")
	if err := testenv.DependencyBuild(helm3, nil, gethChart); err != nil {
		return err
	}
	runner.Short = strings.NewReplacer(bin, "BIN", kustomizeBin, "kustomize", helm3, "helm3", repoRoot+"/", "", tmpRoot, "TMP")
	fmt.Fprintf(os.Stderr, "kustomize tests: kustomize %s, helm3 %s, debug-overlay %s, setup %v\n",
		version, helmVersion, bin, time.Since(start).Round(time.Millisecond))
	return nil
}

// command describes a subprocess: its working directory, environment
// (nil: the test's) and stdin.
type command struct {
	dir   string
	env   []string
	stdin []byte
}

// run runs name with args and logs the command line, exit code and time.
func (c command) run(t *testing.T, name string, args ...string) testenv.Result {
	t.Helper()
	return runner.Run(t, c.cmd(name, args...), c.stdin)
}

// mustRun runs a command and fails the test when it fails.
func (c command) mustRun(t *testing.T, name string, args ...string) []byte {
	t.Helper()
	return runner.MustRun(t, c.cmd(name, args...), c.stdin)
}

// cmd returns the command that runs name with args in c's directory and
// environment.
func (c command) cmd(name string, args ...string) *exec.Cmd {
	cmd := exec.Command(name, args...)
	cmd.Dir, cmd.Env = c.dir, c.env
	return cmd
}

// kustomizeExec is the flags that let kustomize run exec KRM functions.
var kustomizeExec = []string{"--enable-alpha-plugins", "--enable-exec"}
