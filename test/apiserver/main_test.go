package apiserver

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/debug-overlay/debug-overlay/test/cluster"
	"github.com/debug-overlay/debug-overlay/test/testenv"
)

// What TestMain sets up; read-only for the tests.
var (
	// repoRoot is the root of the module under test.
	repoRoot string
	// bin is the debug-overlay binary under test; companion is
	// kubectl-debug_overlay, beside it (make build builds both) or built.
	bin, companion string
	// helm3 is the real Helm 3, bin/helm3 in the repository.
	helm3 string
	// chartsDir is a copy of the repository's charts/, dependencies built.
	chartsDir string
	// examples are the example charts in chartsDir.
	examples []string
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
	if repoRoot, err = testenv.RepoRoot(); err != nil {
		logf("apiserver: %v", err)
		return 1
	}
	// The cluster starts while the binary builds and Helm packages the charts.
	if kube, err = cluster.StartAlongside(cluster.Options{Logf: logf}, func() error { return setup(tmp) }); err != nil {
		logf("apiserver: %v", err)
		return 1
	}
	defer func() {
		if err := kube.Stop(); err != nil {
			logf("apiserver: stopping the cluster: %v", err)
		}
	}()
	logf("apiserver: setup took %v", time.Since(start).Round(time.Millisecond))
	code := m.Run()
	if code != 0 {
		logf("apiserver: kube-apiserver log (%s), last lines:\n%s", kube.Dir, kube.LogTail(30))
	}
	return code
}

func setup(tmp string) error {
	var err error
	if bin, _, err = testenv.Binary(tmp); err != nil {
		return err
	}
	if companion, err = companionBinary(tmp); err != nil {
		return err
	}
	// Helm keeps its state in tmp, apart from any Helm on the machine, and
	// reads no kubeconfig of the machine either.
	testenv.UseHelmHome(filepath.Join(tmp, "helm3"))
	os.Unsetenv("KUBECONFIG")
	if helm3, _, err = testenv.Helm(3, nil); err != nil {
		return err
	}
	chartsDir = filepath.Join(tmp, "charts")
	if examples, err = testenv.CopyCharts(chartsDir); err != nil {
		return err
	}
	return testenv.DependencyBuild(helm3, nil, examples...)
}

// runOverlay runs the binary on stdin and fails the test when it fails.
func runOverlay(t *testing.T, stdin []byte, args ...string) []byte {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Stdin = bytes.NewReader(stdin)
	out, err := testenv.Output(cmd)
	if err != nil {
		t.Fatalf("debug-overlay: %v", err)
	}
	return out
}

// namespace creates a namespace for one test (with its default
// ServiceAccount), named after the test, and returns its name.
func namespace(t *testing.T, labels map[string]string) string {
	t.Helper()
	name := cluster.DNSLabel(t.Name())
	if err := kube.CreateNamespace(name, labels); err != nil {
		t.Fatal(err)
	}
	return name
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
