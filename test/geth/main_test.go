package geth

import (
	"bytes"
	"debug/elf"
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
	// overlayBin is the debug-overlay binary under test.
	overlayBin string
	// helm3 is the real Helm 3, bin/helm3 in the repository.
	helm3 string
	// gethBin is the real geth, bin/geth in the repository.
	gethBin string
	// busybox is a statically linked busybox, the shell and tools of every
	// container image here.
	busybox string
	// gethChart is a copy of charts/examples/geth, dependencies built.
	gethChart string
)

func TestMain(m *testing.M) {
	// The test binary is also the program that enters a container's view;
	// see container_test.go.
	if spec := os.Getenv(helperEnv); spec != "" {
		os.Exit(containerMain(spec))
	}
	os.Exit(run(m))
}

// run sets up the binaries and the chart, and runs the tests. Any setup
// failure fails the whole run: a missing tool is never a reason to skip.
func run(m *testing.M) int {
	tmp, err := os.MkdirTemp("", "debug-overlay-geth-")
	if err != nil {
		fmt.Fprintf(os.Stderr, "geth: %v\n", err)
		return 1
	}
	defer os.RemoveAll(tmp)
	if err := setup(tmp); err != nil {
		fmt.Fprintf(os.Stderr, "geth: setup: %v\n", err)
		return 1
	}
	return m.Run()
}

func setup(tmp string) error {
	start := time.Now()
	if os.Geteuid() != 0 {
		return errors.New("this test must run as root: it bind-mounts volumes in private mount namespaces and chroots into them")
	}
	var err error
	if repoRoot, err = findRepoRoot(); err != nil {
		return err
	}

	gethBin = filepath.Join(repoRoot, "bin", "geth")
	if v := os.Getenv("GETH_BIN"); v != "" {
		gethBin = v
	}
	gethVersion, err := output(exec.Command(gethBin, "version"))
	if err != nil {
		return fmt.Errorf("geth is missing or broken at %s: run `make geth` (hack/build-geth.sh): %w", gethBin, err)
	}

	helm3 = filepath.Join(repoRoot, "bin", "helm3")
	if _, err := os.Stat(helm3); err != nil {
		return fmt.Errorf("the real Helm 3 is missing at %s: run `make tools` (hack/install-tools.sh helm3): %w", helm3, err)
	}
	// Helm keeps its state apart from any Helm on the machine, as the
	// Makefile and hack/helm-env.sh do; these variables would override
	// paths derived from the homes.
	for _, k := range []string{"HELM_PLUGINS", "HELM_REGISTRY_CONFIG", "HELM_REPOSITORY_CONFIG",
		"HELM_REPOSITORY_CACHE", "HELM_CONTENT_CACHE", "HELM_DEBUG", "HELM_NAMESPACE", "HELM_KUBECONTEXT"} {
		os.Unsetenv(k)
	}
	for k, dir := range map[string]string{"HELM_CACHE_HOME": "cache", "HELM_CONFIG_HOME": "config", "HELM_DATA_HOME": "data"} {
		os.Setenv(k, filepath.Join(tmp, "helm3", dir))
	}
	helmVersion, err := output(exec.Command(helm3, "version", "--short"))
	if err != nil {
		return fmt.Errorf("%s version: %w", helm3, err)
	}
	if !strings.HasPrefix(helmVersion, "v3.") {
		return fmt.Errorf("%s is Helm %s, want Helm 3: run `make tools`", helm3, helmVersion)
	}

	if busybox, err = exec.LookPath("busybox"); err != nil {
		return fmt.Errorf("busybox is missing: run `make deps` (hack/install-deps.sh installs busybox-static): %w", err)
	}
	// It runs inside chroots that hold nothing else.
	if interp, err := elfInterpreter(busybox); err != nil || interp != "" {
		return fmt.Errorf("%s is not a static busybox (interpreter %q, %v): run `make deps` (hack/install-deps.sh installs busybox-static)", busybox, interp, err)
	}

	if overlayBin = os.Getenv("DEBUG_OVERLAY_BIN"); overlayBin != "" {
		if overlayBin, err = filepath.Abs(overlayBin); err != nil {
			return err
		}
	} else {
		overlayBin = filepath.Join(tmp, "debug-overlay")
		build := exec.Command("go", "build", "-trimpath", "-o", overlayBin, "./cmd/debug-overlay")
		build.Dir = repoRoot
		if _, err := output(build); err != nil {
			return fmt.Errorf("building debug-overlay (or run `make build` and set DEBUG_OVERLAY_BIN): %w", err)
		}
	}
	if _, err := output(exec.Command(overlayBin, "version")); err != nil {
		return fmt.Errorf("debug-overlay at %s (DEBUG_OVERLAY_BIN is relative to test/geth/): %w", overlayBin, err)
	}

	// A copy, so that nothing in the repository is written (others build
	// there in parallel) and the toggle chart is packaged from its current
	// sources rather than from a stale charts/*.tgz.
	charts := filepath.Join(tmp, "charts")
	if err := copyCharts(filepath.Join(repoRoot, "charts"), charts); err != nil {
		return fmt.Errorf("copying charts: %w", err)
	}
	gethChart = filepath.Join(charts, "examples", "geth")
	if _, err := output(exec.Command(helm3, "dependency", "build", gethChart)); err != nil {
		return fmt.Errorf("helm3 dependency build %s (`make charts` does the same in the repository): %w", gethChart, err)
	}

	fmt.Fprintf(os.Stderr, "geth: %s (%s), helm3 %s, busybox %s, debug-overlay %s, setup %v\n",
		firstLine(gethVersion, "Version:"), gethBin, helmVersion, busybox, overlayBin, time.Since(start).Round(time.Millisecond))
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

// elfInterpreter returns the dynamic loader an executable asks for, "" for a
// static one.
func elfInterpreter(path string) (string, error) {
	f, err := elf.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			b := make([]byte, p.Filesz)
			if _, err := p.ReadAt(b, 0); err != nil {
				return "", err
			}
			return strings.TrimRight(string(b), "\x00"), nil
		}
	}
	return "", nil
}

// output runs a setup command and returns its trimmed stdout, or an error
// with its stderr.
func output(cmd *exec.Cmd) (string, error) {
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		if msg := strings.TrimSpace(stderr.String()); msg != "" {
			err = fmt.Errorf("%w: %s", err, msg)
		}
		return "", err
	}
	return strings.TrimSpace(string(out)), nil
}

// firstLine returns the first line of s starting with prefix, or s.
func firstLine(s, prefix string) string {
	for line := range strings.Lines(s) {
		if strings.HasPrefix(line, prefix) {
			return strings.TrimSpace(line)
		}
	}
	return s
}
