package kustomize

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
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
)

// kustomizeVersion is the kustomize the tests are written against; the
// Makefile's tools target builds it (hack/install-tools.sh kustomize).
const kustomizeVersion = "v5.8.2"

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	tmp, err := os.MkdirTemp("", "debug-overlay-kustomize-")
	if err != nil {
		fmt.Fprintf(os.Stderr, "kustomize tests: %v\n", err)
		return 1
	}
	defer os.RemoveAll(tmp)
	if err := setup(tmp); err != nil {
		fmt.Fprintf(os.Stderr, "kustomize tests: setup: %v\n", err)
		return 1
	}
	return m.Run()
}

func setup(tmp string) error {
	start := time.Now()
	tmpRoot = tmp
	var err error
	if repoRoot, err = findRepoRoot(); err != nil {
		return err
	}

	kustomizeBin = filepath.Join(repoRoot, "bin", "kustomize")
	version, err := output(exec.Command(kustomizeBin, "version"))
	if err != nil {
		return fmt.Errorf("the real kustomize is missing at %s: run `make tools` (hack/install-tools.sh kustomize): %w", kustomizeBin, err)
	}
	if version != kustomizeVersion {
		return fmt.Errorf("%s is kustomize %s, want %s: run `make tools`", kustomizeBin, version, kustomizeVersion)
	}
	helm3 = filepath.Join(repoRoot, "bin", "helm3")
	helmVersion, err := output(exec.Command(helm3, "version", "--short"))
	if err != nil {
		return fmt.Errorf("the real Helm 3 is missing at %s: run `make tools` (hack/install-tools.sh helm3): %w", helm3, err)
	}
	if !strings.HasPrefix(helmVersion, "v3.") {
		return fmt.Errorf("%s is Helm %s, want Helm 3: run `make tools`", helm3, helmVersion)
	}
	// Helm keeps its state in the temporary directory; these variables
	// would override paths derived from the homes.
	for _, k := range []string{"HELM_PLUGINS", "HELM_REGISTRY_CONFIG", "HELM_REPOSITORY_CONFIG",
		"HELM_REPOSITORY_CACHE", "HELM_CONTENT_CACHE", "HELM_DEBUG", "HELM_NAMESPACE", "HELM_KUBECONTEXT"} {
		os.Unsetenv(k)
	}
	for k, dir := range map[string]string{"HELM_CACHE_HOME": "cache", "HELM_CONFIG_HOME": "config", "HELM_DATA_HOME": "data"} {
		os.Setenv(k, filepath.Join(tmp, "helm3", dir))
	}

	if bin = os.Getenv("DEBUG_OVERLAY_BIN"); bin != "" {
		if bin, err = filepath.Abs(bin); err != nil {
			return err
		}
	} else {
		bin = filepath.Join(tmp, "bin", "debug-overlay")
		build := exec.Command("go", "build", "-trimpath", "-o", bin, "./cmd/debug-overlay")
		build.Dir = repoRoot
		if _, err := output(build); err != nil {
			return fmt.Errorf("building the binary: %w", err)
		}
	}
	// The Component's exec function (overlays/debug/debug-overlay-fn) runs
	// this binary, both under the kustomize binary and under krusty here.
	os.Setenv("DEBUG_OVERLAY_BIN", bin)

	charts := filepath.Join(tmp, "charts")
	if err := copyTree(filepath.Join(repoRoot, "charts"), charts, func(rel string, d fs.DirEntry) bool {
		// What `helm dependency build` makes is made again from the sources.
		m1, _ := filepath.Match(filepath.Join("examples", "*", "charts"), rel)
		m2, _ := filepath.Match(filepath.Join("examples", "*", "Chart.lock"), rel)
		return m1 && d.IsDir() || m2
	}); err != nil {
		return fmt.Errorf("copying charts: %w", err)
	}
	gethChart = filepath.Join(charts, "examples", "geth")
	if _, err := output(exec.Command(helm3, "dependency", "build", gethChart)); err != nil {
		return fmt.Errorf("helm3 dependency build %s: %w", gethChart, err)
	}
	fmt.Fprintf(os.Stderr, "kustomize tests: kustomize %s, helm3 %s, debug-overlay %s, setup %v\n",
		version, helmVersion, bin, time.Since(start).Round(time.Millisecond))
	return nil
}

// findRepoRoot walks up from the working directory to the go.mod of the
// module under test.
func findRepoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		data, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil && bytes.HasPrefix(data, []byte("module github.com/debug-overlay/debug-overlay\n")) {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod of github.com/debug-overlay/debug-overlay above the working directory")
		}
		dir = parent
	}
}

// copyTree copies src to dst, leaving out what skip says, and keeping the
// executable bit (the Component's exec function needs it).
func copyTree(src, dst string, skip func(rel string, d fs.DirEntry) bool) error {
	return filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, path)
		if err != nil {
			return err
		}
		if skip != nil && skip(rel, d) {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(target, data, info.Mode().Perm())
	})
}

// output runs a setup command and returns its trimmed stdout, or an error
// with its stderr.
func output(cmd *exec.Cmd) (string, error) {
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("%w: %s", err, strings.TrimSpace(stderr.String()))
	}
	return strings.TrimSpace(string(out)), nil
}

// result is what a subprocess did.
type result struct {
	stdout, stderr []byte
	code           int
}

// command describes a subprocess: its working directory, environment
// (nil: the test's) and stdin.
type command struct {
	dir   string
	env   []string
	stdin []byte
}

// run runs name with args and logs the command line, exit code and time.
func (c command) run(t *testing.T, name string, args ...string) result {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir, cmd.Env = c.dir, c.env
	if c.stdin != nil {
		cmd.Stdin = bytes.NewReader(c.stdin)
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err := cmd.Run()
	r := result{stdout: stdout.Bytes(), stderr: stderr.Bytes()}
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		r.code = exit.ExitCode()
	case err != nil:
		t.Fatalf("running %s: %v", name, err)
	}
	line := strings.NewReplacer(bin, "BIN", kustomizeBin, "kustomize", helm3, "helm3", repoRoot+"/", "", tmpRoot, "TMP").
		Replace(strings.Join(append([]string{name}, args...), " "))
	t.Logf("$ %s  # exit %d, %d bytes out, %v", line, r.code, len(r.stdout), time.Since(start).Round(time.Millisecond))
	return r
}

// mustRun runs a command and fails the test when it fails.
func (c command) mustRun(t *testing.T, name string, args ...string) []byte {
	t.Helper()
	r := c.run(t, name, args...)
	if r.code != 0 {
		t.Fatalf("%s %s failed (exit %d):\n%s", filepath.Base(name), strings.Join(args, " "), r.code, r.stderr)
	}
	return r.stdout
}

// kustomizeExec is the flags that let kustomize run exec KRM functions.
var kustomizeExec = []string{"--enable-alpha-plugins", "--enable-exec"}
