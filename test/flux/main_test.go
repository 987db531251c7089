package flux

import (
	"encoding/json"
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
	// bin is the debug-overlay binary under test.
	bin string
	// helm3 is the real Helm 3, bin/helm3.
	helm3 string
	// chartRepo is the directory hack/package-charts.sh wrote: the packaged
	// charts and index.yaml.
	chartRepo string
	// kube is the API server every test shares.
	kube *cluster.Cluster
	// controllers are Flux's source-controller and helm-controller.
	controllers *Controllers
	// repo serves chartRepo; the HelmRepository repoName points at it.
	repo *Repository
	// runner runs and logs the tests' subprocesses.
	runner testenv.Runner
)

const (
	// fluxNamespace holds the controllers' HelmRepository and the
	// HelmCharts that helm-controller makes from the HelmReleases.
	fluxNamespace = "flux-system"
	// repoName is the HelmRepository of chartRepo.
	repoName = "debug-overlay-charts"
	// referenceNamespace is where references are created with
	// --dry-run=server; nothing is stored there.
	referenceNamespace = "reference"
)

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func logf(format string, args ...any) { fmt.Fprintf(os.Stderr, format+"\n", args...) }

// run sets everything up, runs the tests and stops what it started,
// whatever happened. A missing tool fails the run, never skips it.
func run(m *testing.M) int {
	start := time.Now()
	tmp, err := os.MkdirTemp("", "debug-overlay-flux-test-")
	if err != nil {
		logf("flux: %v", err)
		return 1
	}
	defer os.RemoveAll(tmp)

	// The API server starts while the binary builds and the charts are
	// packaged.
	if kube, err = cluster.StartAlongside(cluster.Options{Logf: logf}, func() error { return setup(tmp) }); err != nil {
		logf("flux: %v", err)
		return 1
	}
	defer func() {
		if err := kube.Stop(); err != nil {
			logf("flux: stopping the cluster: %v", err)
		}
	}()

	versions, err := InstallCRDs(kube, "")
	if err != nil {
		logf("flux: %v", err)
		return 1
	}
	if repo, err = ServeRepository(chartRepo); err != nil {
		logf("flux: %v", err)
		return 1
	}
	defer repo.Close()
	controllers, err = Start(Options{Kubeconfig: kube.Kubeconfig, Namespace: fluxNamespace, Logf: logf})
	if err != nil {
		logf("flux: %v", err)
		return 1
	}
	defer func() {
		if err := controllers.Stop(); err != nil {
			logf("flux: stopping the controllers: %v", err)
		}
	}()
	if err := createRepository(); err != nil {
		logf("flux: %v\nsource-controller log ends:\n%s", err, controllers.LogTail(SourceController, 30))
		return 1
	}
	logf("flux: source-controller %s, helm-controller %s, kube-apiserver %s; setup took %v",
		versions[SourceController], versions[HelmController], kube.Version, time.Since(start).Round(time.Millisecond))

	code := m.Run()
	if code != 0 {
		for _, name := range []string{SourceController, HelmController} {
			logf("flux: %s log, last lines:\n%s", name, controllers.LogTail(name, 40))
		}
		logf("flux: kube-apiserver log, last lines:\n%s", kube.LogTail(20))
	}
	return code
}

// setup finds Helm and the binary and packages the charts into tmp.
func setup(tmp string) error {
	var err error
	if repoRoot, err = testenv.RepoRoot(); err != nil {
		return err
	}
	if bin, _, err = testenv.Binary(tmp); err != nil {
		return err
	}
	// Helm keeps its state in tmp and reads no kubeconfig of the machine.
	testenv.UseHelmHome(filepath.Join(tmp, "helm3"))
	os.Unsetenv("KUBECONFIG")
	if helm3, _, err = testenv.Helm(3, nil); err != nil {
		return err
	}
	// The charts are packaged as `make package` packages them, with this
	// package's hook chart added.
	chartRepo = filepath.Join(tmp, "repo")
	pkg := exec.Command(filepath.Join(repoRoot, "hack", "package-charts.sh"), "--out", chartRepo,
		filepath.Join(repoRoot, "test", "flux", "testdata", "charts", "flux-hooks"))
	pkg.Env = append(os.Environ(), "HELM="+helm3)
	if _, err := testenv.Output(pkg); err != nil {
		return fmt.Errorf("packaging the charts: %w", err)
	}
	runner.Short = strings.NewReplacer(bin, "BIN", helm3, "helm3", tmp, "TMP")
	return nil
}

// createRepository creates the namespaces the tests share and the
// HelmRepository of the served charts, and waits until source-controller
// has fetched its index.
func createRepository() error {
	for _, ns := range []string{fluxNamespace, referenceNamespace} {
		if err := kube.CreateNamespace(ns, nil); err != nil {
			return err
		}
	}
	hr := object{
		"apiVersion": "source.toolkit.fluxcd.io/v1",
		"kind":       "HelmRepository",
		"metadata":   object{"name": repoName, "namespace": fluxNamespace},
		"spec":       object{"url": repo.URL, "interval": "10m"},
	}
	data, err := json.Marshal(hr)
	if err != nil {
		return err
	}
	if _, _, err := kube.RunKubectl(data, "apply", "--server-side", "-f", "-"); err != nil {
		return fmt.Errorf("creating the HelmRepository: %w", err)
	}
	if _, _, err := kube.RunKubectl(nil, "wait", "-n", fluxNamespace, "--for=condition=Ready", "--timeout=60s", "helmrepository.source.toolkit.fluxcd.io/"+repoName); err != nil {
		return fmt.Errorf("waiting for the HelmRepository: %w", err)
	}
	if !repo.Served("/index.yaml") {
		return fmt.Errorf("the HelmRepository is ready but %sindex.yaml was never requested", repo.URL)
	}
	return nil
}
