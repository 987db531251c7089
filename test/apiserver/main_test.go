package apiserver

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

	"github.com/debug-overlay/debug-overlay/test/cluster"
)

// What TestMain sets up; read-only for the tests.
var (
	// repoRoot is the root of the module under test.
	repoRoot string
	// bin is the debug-overlay binary under test.
	bin string
	// helm3 is the real Helm 3, bin/helm3 in the repository.
	helm3 string
	// chartsDir is a copy of the repository's charts/, dependencies built.
	chartsDir string
	// kube is the API server every test shares.
	kube *cluster.Cluster
)

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

// run sets everything up, runs the tests and stops the cluster, whatever
// happened. A missing tool fails the run: it is never a reason to skip.
func run(m *testing.M) int {
	tmp, err := os.MkdirTemp("", "debug-overlay-apiserver-")
	if err != nil {
		fmt.Fprintf(os.Stderr, "apiserver: %v\n", err)
		return 1
	}
	defer os.RemoveAll(tmp)
	logf := func(format string, args ...any) { fmt.Fprintf(os.Stderr, format+"\n", args...) }
	start := time.Now()
	if repoRoot, err = cluster.RepoRoot(); err != nil {
		logf("apiserver: %v", err)
		return 1
	}
	// The cluster starts while the binary builds and Helm packages the charts.
	type started struct {
		c   *cluster.Cluster
		err error
	}
	ch := make(chan started, 1)
	go func() {
		c, err := cluster.Start(cluster.Options{Logf: logf})
		ch <- started{c, err}
	}()
	setupErr := setup(tmp)
	s := <-ch
	if s.err != nil {
		logf("apiserver: starting the cluster: %v", s.err)
		return 1
	}
	kube = s.c
	defer func() {
		if err := kube.Stop(); err != nil {
			logf("apiserver: stopping the cluster: %v", err)
		}
	}()
	if setupErr != nil {
		logf("apiserver: setup: %v", setupErr)
		return 1
	}
	logf("apiserver: setup took %v", time.Since(start).Round(time.Millisecond))
	code := m.Run()
	if code != 0 {
		logf("apiserver: kube-apiserver log (%s), last lines:\n%s", kube.Dir, kube.LogTail(30))
	}
	return code
}

func setup(tmp string) error {
	if bin = os.Getenv("DEBUG_OVERLAY_BIN"); bin != "" {
		var err error
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

	helm3 = filepath.Join(repoRoot, "bin", "helm3")
	if _, err := os.Stat(helm3); err != nil {
		return fmt.Errorf("the real Helm 3 is missing at %s: run `make tools` first: %w", helm3, err)
	}
	// Helm keeps its state in tmp, apart from any Helm on the machine; these
	// variables would override paths derived from the homes.
	for _, k := range []string{"HELM_PLUGINS", "HELM_REGISTRY_CONFIG", "HELM_REPOSITORY_CONFIG",
		"HELM_REPOSITORY_CACHE", "HELM_CONTENT_CACHE", "HELM_DEBUG", "HELM_NAMESPACE", "HELM_KUBECONTEXT", "KUBECONFIG"} {
		os.Unsetenv(k)
	}
	for k, dir := range map[string]string{"HELM_CACHE_HOME": "cache", "HELM_CONFIG_HOME": "config", "HELM_DATA_HOME": "data"} {
		os.Setenv(k, filepath.Join(tmp, "helm3", dir))
	}
	// A copy, so nothing in the repository is written (others build there in
	// parallel) and the toggle chart is packaged from its current sources.
	chartsDir = filepath.Join(tmp, "charts")
	if err := copyCharts(filepath.Join(repoRoot, "charts"), chartsDir); err != nil {
		return fmt.Errorf("copying charts: %w", err)
	}
	examples, err := exampleCharts()
	if err != nil {
		return err
	}
	for _, c := range examples {
		if _, err := output(exec.Command(helm3, "dependency", "build", c)); err != nil {
			return fmt.Errorf("helm3 dependency build %s: %w", c, err)
		}
	}
	return nil
}

// exampleCharts lists the copied example charts.
func exampleCharts() ([]string, error) {
	files, err := filepath.Glob(filepath.Join(chartsDir, "examples", "*", "Chart.yaml"))
	if err != nil || len(files) == 0 {
		return nil, fmt.Errorf("no example charts in %s", filepath.Join(repoRoot, "charts", "examples"))
	}
	for i, f := range files {
		files[i] = filepath.Dir(f)
	}
	return files, nil
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

// output runs a command and returns its stdout, or an error with its stderr.
func output(cmd *exec.Cmd) ([]byte, error) {
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("%s: %w: %s", strings.Join(cmd.Args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return out, nil
}

// overlay runs the binary on stdin and fails the test when it fails.
func overlay(t *testing.T, stdin []byte, args ...string) []byte {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Stdin = bytes.NewReader(stdin)
	out, err := output(cmd)
	if err != nil {
		t.Fatalf("debug-overlay: %v", err)
	}
	return out
}

// namespace creates a namespace for one test (with its default
// ServiceAccount), named after the test, and returns its name.
func namespace(t *testing.T, labels map[string]string) string {
	t.Helper()
	name := dnsLabel(t.Name())
	if err := kube.CreateNamespace(name, labels); err != nil {
		t.Fatal(err)
	}
	return name
}

// dnsLabel turns a test name into a unique valid namespace name.
func dnsLabel(s string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(s) {
		ok := r >= 'a' && r <= 'z' || r >= '0' && r <= '9'
		switch {
		case ok:
			b.WriteRune(r)
			dash = false
		case !dash && b.Len() > 0:
			b.WriteByte('-')
			dash = true
		}
	}
	out := strings.Trim(b.String(), "-")
	if len(out) > 63 {
		out = strings.Trim(out[len(out)-63:], "-")
	}
	return out
}

// kubectlError returns err's kubectl stderr, or fails the test when err is
// not a kubectl exit.
func kubectlError(t *testing.T, err error) string {
	t.Helper()
	var ke *cluster.KubectlError
	if !errors.As(err, &ke) {
		t.Fatalf("kubectl did not run: %v", err)
	}
	return strings.TrimSpace(ke.Stderr)
}
