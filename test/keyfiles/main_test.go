package keyfiles

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/debug-overlay/debug-overlay/test/testenv"
)

// What TestMain sets up; read-only for the tests.
var (
	// overlayBin is the debug-overlay binary under test.
	overlayBin string
	// tmpRoot holds what the tests write; other users may enter it.
	tmpRoot string
	// busyboxBin holds busybox's applets, the whole PATH of the copy
	// container.
	busyboxBin string
	// setpriv is util-linux's, which runs a program as another user.
	setpriv string
	// pgBin holds PostgreSQL's programs: postgres, initdb, psql.
	pgBin string
	// pgUser is the user PostgreSQL runs as: it refuses to run as root.
	pgUser *user.User
	// sshKeygen is OpenSSH's ssh-keygen.
	sshKeygen string
	// runner runs and logs the tests' subprocesses.
	runner testenv.Runner
)

func TestMain(m *testing.M) {
	os.Exit(testenv.Main(m, "keyfiles", setup))
}

// setup finds the programs and makes the busybox applet directory.
func setup(tmp string) error {
	start := time.Now()
	if os.Geteuid() != 0 {
		return errors.New("this test must run as root: it lays out root's files as kubelet does and runs programs as other users")
	}
	// Users other than root walk into it: the copy container's, postgres.
	if err := os.Chmod(tmp, 0o755); err != nil {
		return err
	}
	tmpRoot = tmp
	const deps = "run `make deps` (hack/install-deps.sh)"
	busybox, err := exec.LookPath("busybox")
	if err != nil {
		return fmt.Errorf("busybox is missing: %s: %w", deps, err)
	}
	busyboxBin = filepath.Join(tmp, "busybox")
	if err := os.Mkdir(busyboxBin, 0o755); err != nil {
		return err
	}
	if _, err := testenv.Output(exec.Command(busybox, "--install", "-s", busyboxBin)); err != nil {
		return err
	}
	if setpriv, err = exec.LookPath("setpriv"); err != nil {
		return fmt.Errorf("setpriv (util-linux) is missing: %w", err)
	}
	if out, err := testenv.OutputText(exec.Command(setpriv, "--version")); err != nil || !strings.Contains(out, "util-linux") {
		return fmt.Errorf("%s is not util-linux's setpriv (%q, %v)", setpriv, out, err)
	}
	// Debian's postgresql package keeps the programs in a directory per
	// major version.
	servers, _ := filepath.Glob("/usr/lib/postgresql/*/bin/postgres")
	if len(servers) == 0 {
		return fmt.Errorf("PostgreSQL is missing (no /usr/lib/postgresql/*/bin/postgres): %s, which installs postgresql", deps)
	}
	slices.SortFunc(servers, func(a, b string) int { return majorOf(a) - majorOf(b) })
	pgBin = filepath.Dir(servers[len(servers)-1])
	pgVersion, err := testenv.OutputText(exec.Command(filepath.Join(pgBin, "postgres"), "--version"))
	if err != nil {
		return err
	}
	if pgUser, err = user.Lookup("postgres"); err != nil {
		return fmt.Errorf("the postgres user is missing (the postgresql package makes it): %w", err)
	}
	if sshKeygen, err = exec.LookPath("ssh-keygen"); err != nil {
		return fmt.Errorf("ssh-keygen is missing: %s, which installs openssh-client: %w", deps, err)
	}
	var version string
	if overlayBin, version, err = testenv.Binary(tmp); err != nil {
		return err
	}
	runner.Short = strings.NewReplacer(overlayBin, "BIN", tmp+"/", "", pgBin+"/", "")
	fmt.Fprintf(os.Stderr, "keyfiles: %s (%s, user postgres %s), %s, busybox %s, debug-overlay %s (%s), setup %v\n",
		pgVersion, pgBin, pgUser.Uid, sshKeygen, busybox, version, overlayBin, time.Since(start).Round(time.Millisecond))
	return nil
}

// majorOf reads the major version from /usr/lib/postgresql/<major>/bin/postgres.
func majorOf(server string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(filepath.Dir(server))))
	return n
}
