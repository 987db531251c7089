package geth

import (
	"debug/elf"
	"errors"
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
	os.Exit(testenv.Main(m, "geth", setup))
}

// setup finds the binaries and copies the chart into tmp.
func setup(tmp string) error {
	start := time.Now()
	if os.Geteuid() != 0 {
		return errors.New("this test must run as root: it bind-mounts volumes in private mount namespaces and chroots into them")
	}
	var err error
	if gethBin = os.Getenv("GETH_BIN"); gethBin == "" {
		if gethBin, err = testenv.Tool("geth", "geth"); err != nil {
			return err
		}
	}
	gethVersion, err := testenv.OutputText(exec.Command(gethBin, "version"))
	if err != nil {
		return fmt.Errorf("geth is missing or broken at %s: run `make geth` (hack/build-geth.sh): %w", gethBin, err)
	}

	testenv.UseHelmHome(filepath.Join(tmp, "helm3"))
	var helmVersion string
	if helm3, helmVersion, err = testenv.Helm(3, nil); err != nil {
		return err
	}

	if busybox, err = exec.LookPath("busybox"); err != nil {
		return fmt.Errorf("busybox is missing: run `make deps` (hack/install-deps.sh installs busybox-static): %w", err)
	}
	// It runs inside chroots that hold nothing else.
	if interp, err := elfInterpreter(busybox); err != nil || interp != "" {
		return fmt.Errorf("%s is not a static busybox (interpreter %q, %v): run `make deps` (hack/install-deps.sh installs busybox-static)", busybox, interp, err)
	}

	if overlayBin, _, err = testenv.Binary(tmp); err != nil {
		return err
	}

	charts := filepath.Join(tmp, "charts")
	if _, err := testenv.CopyCharts(charts); err != nil {
		return err
	}
	gethChart = filepath.Join(charts, "examples", "geth")
	if err := testenv.DependencyBuild(helm3, nil, gethChart); err != nil {
		return err
	}

	fmt.Fprintf(os.Stderr, "geth: %s (%s), helm3 %s, busybox %s, debug-overlay %s, setup %v\n",
		firstLine(gethVersion, "Version:"), gethBin, helmVersion, busybox, overlayBin, time.Since(start).Round(time.Millisecond))
	return nil
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

// firstLine returns the first line of s starting with prefix, or s.
func firstLine(s, prefix string) string {
	for line := range strings.Lines(s) {
		if strings.HasPrefix(line, prefix) {
			return strings.TrimSpace(line)
		}
	}
	return s
}
