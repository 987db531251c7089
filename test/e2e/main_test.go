package e2e

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
	// helm3 is the real Helm 3, bin/helm3 in the repository.
	helm3 string
	// chartsDir is a copy of the repository's charts/, dependencies built.
	chartsDir string
	// gethChart is the example chart every Helm test renders.
	gethChart string
)

// release is the release name of every render; the geth chart names its
// StatefulSet and Service after it.
const release = "rel"

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

// run sets up the binary, Helm and the charts, and runs the tests. Any setup
// failure fails the whole run: a missing tool is never a reason to skip.
func run(m *testing.M) int {
	tmp, err := os.MkdirTemp("", "debug-overlay-e2e-")
	if err != nil {
		fmt.Fprintf(os.Stderr, "e2e: %v\n", err)
		return 1
	}
	defer os.RemoveAll(tmp)
	if err := setup(tmp); err != nil {
		fmt.Fprintf(os.Stderr, "e2e: setup: %v\n", err)
		return 1
	}
	return m.Run()
}

func setup(tmp string) error {
	start := time.Now()
	var err error
	if repoRoot, err = findRepoRoot(); err != nil {
		return err
	}

	helm3 = filepath.Join(repoRoot, "bin", "helm3")
	if _, err := os.Stat(helm3); err != nil {
		return fmt.Errorf("the real Helm 3 is missing at %s: run `make tools` (hack/install-tools.sh helm3) first: %w", helm3, err)
	}
	// Helm keeps its state apart from any Helm on the machine, as the
	// Makefile and hack/helm-env.sh do; these variables would override
	// paths derived from the homes.
	for _, k := range []string{"HELM_PLUGINS", "HELM_REGISTRY_CONFIG", "HELM_REPOSITORY_CONFIG",
		"HELM_REPOSITORY_CACHE", "HELM_CONTENT_CACHE", "HELM_DEBUG", "HELM_NAMESPACE", "HELM_KUBECONTEXT"} {
		os.Unsetenv(k)
	}
	home := filepath.Join(tmp, "helm3")
	for k, dir := range map[string]string{"HELM_CACHE_HOME": "cache", "HELM_CONFIG_HOME": "config", "HELM_DATA_HOME": "data"} {
		os.Setenv(k, filepath.Join(home, dir))
	}
	version, err := output(exec.Command(helm3, "version", "--short"))
	if err != nil {
		return fmt.Errorf("%s version: %w", helm3, err)
	}
	if !strings.HasPrefix(version, "v3.") {
		return fmt.Errorf("%s is Helm %s, want Helm 3: run `make tools`", helm3, version)
	}

	if bin = os.Getenv("DEBUG_OVERLAY_BIN"); bin != "" {
		if bin, err = filepath.Abs(bin); err != nil {
			return err
		}
	} else {
		bin = filepath.Join(tmp, "debug-overlay")
		build := exec.Command("go", "build", "-trimpath", "-o", bin, "./cmd/debug-overlay")
		build.Dir = repoRoot
		if _, err := output(build); err != nil {
			return fmt.Errorf("building the binary: %w", err)
		}
	}
	binVersion, err := output(exec.Command(bin, "version"))
	if err != nil {
		return fmt.Errorf("%s version: %w", bin, err)
	}

	// A copy, so that nothing in the repository is written (others build
	// there in parallel) and the toggle chart is packaged from its current
	// sources rather than from a stale charts/*.tgz.
	chartsDir = filepath.Join(tmp, "charts")
	if err := copyCharts(filepath.Join(repoRoot, "charts"), chartsDir); err != nil {
		return fmt.Errorf("copying charts: %w", err)
	}
	examples, err := filepath.Glob(filepath.Join(chartsDir, "examples", "*", "Chart.yaml"))
	if err != nil || len(examples) == 0 {
		return fmt.Errorf("no example charts in %s/examples", filepath.Join(repoRoot, "charts"))
	}
	for _, c := range examples {
		if _, err := output(exec.Command(helm3, "dependency", "build", filepath.Dir(c))); err != nil {
			return fmt.Errorf("helm3 dependency build %s: %w", filepath.Dir(c), err)
		}
	}
	gethChart = filepath.Join(chartsDir, "examples", "geth")
	if _, err := os.Stat(filepath.Join(gethChart, "charts", "debug-overlay-0.1.0.tgz")); err != nil {
		return fmt.Errorf("helm3 dependency build did not package the toggle chart into the geth example: %w", err)
	}
	fmt.Fprintf(os.Stderr, "e2e: helm3 %s (%s), debug-overlay %s (%s), %d example chart(s), setup %v\n",
		version, helm3, binVersion, bin, len(examples), time.Since(start).Round(time.Millisecond))
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

// copyCharts copies the chart sources, leaving out what `helm dependency
// build` produces (the lock file and the packaged dependencies).
func copyCharts(src, dst string) error {
	return filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, path)
		if err != nil {
			return err
		}
		if m, _ := filepath.Match(filepath.Join("examples", "*", "charts"), rel); m && d.IsDir() {
			return filepath.SkipDir
		}
		if m, _ := filepath.Match(filepath.Join("examples", "*", "Chart.lock"), rel); m {
			return nil
		}
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(target, data, 0o644)
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
	code           int // exit code; -1 when it did not run or was killed
}

// runCmd runs name with args and stdin, and logs the command line, the exit
// code and the time it took.
func runCmd(t *testing.T, stdin []byte, name string, args ...string) result {
	t.Helper()
	cmd := exec.Command(name, args...)
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err := cmd.Run()
	elapsed := time.Since(start)
	r := result{stdout: stdout.Bytes(), stderr: stderr.Bytes(), code: 0}
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		r.code = exit.ExitCode()
	case err != nil:
		t.Fatalf("running %s: %v", name, err)
	}
	t.Logf("$ %s  # exit %d, %d bytes out, %v", shorten(name, args), r.code, len(r.stdout), elapsed.Round(time.Millisecond))
	return r
}

// shorten makes a command line readable in the logs.
func shorten(name string, args []string) string {
	r := strings.NewReplacer(bin, "BIN", helm3, "helm3", chartsDir+"/", "")
	words := []string{r.Replace(name)}
	for _, a := range args {
		switch {
		case strings.Contains(a, "\n"):
			a = fmt.Sprintf("'<%d lines>'", strings.Count(strings.TrimSuffix(a, "\n"), "\n")+1)
		case strings.ContainsAny(a, " '\"$*?[]{}()|&;<>\\"):
			a = "'" + strings.ReplaceAll(r.Replace(a), "'", `'\''`) + "'"
		default:
			a = r.Replace(a)
		}
		words = append(words, a)
	}
	return strings.Join(words, " ")
}

// helm runs the real Helm 3.
func helm(t *testing.T, args ...string) result {
	t.Helper()
	return runCmd(t, nil, helm3, args...)
}

// template renders the geth example with `helm3 template rel`, failing the
// test when Helm fails.
func template(t *testing.T, args ...string) []byte {
	t.Helper()
	r := helm(t, append([]string{"template", release, gethChart}, args...)...)
	if r.code != 0 {
		t.Fatalf("helm3 template failed (exit %d):\n%s", r.code, r.stderr)
	}
	return r.stdout
}

// postRender is the arguments that run the binary as Helm's post-renderer,
// with args passed through --post-renderer-args.
func postRender(args ...string) []string {
	out := []string{"--post-renderer", bin}
	for _, a := range args {
		out = append(out, "--post-renderer-args", a)
	}
	return out
}

// overlay runs the binary on stdin.
func overlay(t *testing.T, stdin []byte, args ...string) result {
	t.Helper()
	return runCmd(t, stdin, bin, args...)
}

// mustOverlay runs the binary and fails the test when it fails.
func mustOverlay(t *testing.T, stdin []byte, args ...string) []byte {
	t.Helper()
	r := overlay(t, stdin, args...)
	if r.code != 0 {
		t.Fatalf("debug-overlay %s failed (exit %d):\n%s", strings.Join(args, " "), r.code, r.stderr)
	}
	return r.stdout
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
