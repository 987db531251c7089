//go:build linux

package nodee2e

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/debug-overlay/debug-overlay/test/node"
)

// What TestMain sets up; read-only for the tests.
var (
	// n is the running node.
	n *node.Node
	// repoRoot is the root of the module under test.
	repoRoot string
	// overlayBin is the debug-overlay binary under test.
	overlayBin string
	// helm3Bin, helm4Bin, kustomizeBin and gethBin are the real programs
	// from the repository's bin/.
	helm3Bin, helm4Bin, kustomizeBin, gethBin string
	// tmpRoot holds everything the tests write; srcDir is a copy of the
	// repository's charts/ and overlays/ (dependencies built) inside it.
	tmpRoot, srcDir string
	// gethChart is srcDir's charts/examples/geth.
	gethChart string
)

// target is what to run to get every prerequisite.
const target = "make e2e-cluster"

// cleanups run before the node stops, last first: what tests started once
// for all (the release image's registry).
var cleanups []func()

func TestMain(m *testing.M) {
	flag.Parse()
	os.Exit(run(m))
}

// run starts the node, runs the tests and stops the node, also when the
// run is interrupted (SIGINT, SIGTERM) or about to hit go test's -timeout,
// which would otherwise end the process without deferred calls. A missing
// prerequisite fails the run; nothing is skipped.
func run(m *testing.M) (code int) {
	suite := time.Now()
	tmp, err := os.MkdirTemp("", "debug-overlay-nodee2e-")
	if err != nil {
		fmt.Fprintf(os.Stderr, "nodee2e: %v\n", err)
		return 1
	}
	defer os.RemoveAll(tmp)
	tmpRoot = tmp
	if err := setup(); err != nil {
		fmt.Fprintf(os.Stderr, "nodee2e: setup: %v\n(run `%s`, which installs and builds everything, as root)\n", err, target)
		return 1
	}

	start := time.Now()
	n, err = node.Start(node.Options{Logf: func(f string, a ...any) { fmt.Fprintf(os.Stderr, f+"\n", a...) }})
	if err != nil {
		fmt.Fprintf(os.Stderr, "nodee2e: starting the node: %v\n", err)
		if missing := (*node.MissingError)(nil); errors.As(err, &missing) {
			fmt.Fprintf(os.Stderr, "(run `%s` as root: it installs and builds everything)\n", target)
		}
		return 1
	}
	var stopOnce sync.Once
	stop := func(why string) {
		stopOnce.Do(func() {
			t := time.Now()
			for _, c := range slices.Backward(cleanups) {
				c()
			}
			if err := n.Stop(); err != nil {
				fmt.Fprintf(os.Stderr, "nodee2e: stopping the node (%s): %v\n", why, err)
				code = 1
			}
			fmt.Fprintf(os.Stderr, "nodee2e: node stopped and host changes undone in %v (%s)\n", time.Since(t).Round(time.Millisecond), why)
		})
	}
	defer stop("tests done")

	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP)
	go func() {
		s := <-sigs
		fmt.Fprintf(os.Stderr, "nodee2e: %v: stopping the node\n", s)
		stop(s.String())
		os.RemoveAll(tmp)
		os.Exit(1)
	}()
	// go test -timeout panics in a test goroutine: no deferred call runs.
	// Stop the node shortly before that.
	if f := flag.Lookup("test.timeout"); f != nil {
		if d, err := time.ParseDuration(f.Value.String()); err == nil && d > 0 {
			margin := min(d/10, 30*time.Second)
			time.AfterFunc(d-margin-time.Since(suite), func() {
				fmt.Fprintf(os.Stderr, "nodee2e: -timeout %v is near: stopping the node\n", d)
				stop("timeout")
				os.RemoveAll(tmp)
				os.Exit(1)
			})
		}
	}

	fmt.Fprintf(os.Stderr, "nodee2e: node %s (%s) ready in %v:\n", n.Name, n.Version, time.Since(start).Round(time.Millisecond))
	for _, p := range n.Phases {
		fmt.Fprintf(os.Stderr, "nodee2e:   %-28s %v\n", p.Name, p.Duration.Round(time.Millisecond))
	}
	code = m.Run()
	stop("tests done")
	fmt.Fprintf(os.Stderr, "nodee2e: whole suite %v (setup %v, node start %v)\n",
		time.Since(suite).Round(time.Millisecond), start.Sub(suite).Round(time.Millisecond), n.StartTime.Round(time.Millisecond))
	return code
}

// setup finds the programs and copies the charts and overlays.
func setup() error {
	var err error
	if repoRoot, err = findRepoRoot(); err != nil {
		return err
	}
	bin := filepath.Join(repoRoot, "bin")
	overlayBin = os.Getenv("DEBUG_OVERLAY_BIN")
	if overlayBin == "" {
		overlayBin = filepath.Join(bin, "debug-overlay")
	}
	helm3Bin, helm4Bin = filepath.Join(bin, "helm3"), filepath.Join(bin, "helm4")
	kustomizeBin, gethBin = filepath.Join(bin, "kustomize"), filepath.Join(bin, "geth")
	var errs []error
	for _, c := range []struct {
		path string
		args []string
		want string
	}{
		{overlayBin, []string{"version"}, ""},
		{companionBin(), []string{"version"}, ""},
		{helm3Bin, []string{"version", "--short"}, "v3."},
		{helm4Bin, []string{"version", "--short"}, "v4."},
		{kustomizeBin, []string{"version"}, "v5."},
		{gethBin, []string{"version"}, "Version:"},
	} {
		out, err := exec.Command(c.path, c.args...).Output()
		if err != nil {
			errs = append(errs, fmt.Errorf("%s is missing or broken: %w", c.path, err))
		} else if !strings.Contains(string(out), c.want) {
			errs = append(errs, fmt.Errorf("%s %s printed %q, want %q in it", c.path, strings.Join(c.args, " "), out, c.want))
		}
	}
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	// Helm keeps its state in the run's directories; these variables
	// would override paths derived from the homes. Helm 4 hides a
	// post-renderer's stderr: debug-overlay writes its warnings to the
	// terminal instead, which is no place for them here.
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(name, "HELM_") || name == "KUBECONFIG" {
			os.Unsetenv(name)
		}
	}
	os.Setenv("DEBUG_OVERLAY_TTY", os.DevNull)
	srcDir = filepath.Join(tmpRoot, "src")
	for _, d := range []string{"charts", "overlays"} {
		if err := copyTree(filepath.Join(repoRoot, d), filepath.Join(srcDir, d)); err != nil {
			return fmt.Errorf("copying %s: %w", d, err)
		}
	}
	// The kustomize Component's exec function finds the binary here.
	os.Setenv("DEBUG_OVERLAY_BIN", overlayBin)
	gethChart = filepath.Join(srcDir, "charts", "examples", "geth")
	os.RemoveAll(filepath.Join(gethChart, "charts"))
	if _, err := run3("dependency", "build", gethChart); err != nil {
		return err
	}
	return nil
}

// helmEnv is the environment of one Helm: its homes under tmpRoot, and
// HOME there too, since client-go would keep its discovery cache in
// ~/.kube/cache otherwise.
func helmEnv(major int) []string {
	home := filepath.Join(tmpRoot, fmt.Sprintf("helm%d", major))
	return append(os.Environ(),
		"HOME="+home,
		"KUBECACHEDIR="+filepath.Join(home, "kube-cache"),
		"HELM_CACHE_HOME="+filepath.Join(home, "cache"),
		"HELM_CONFIG_HOME="+filepath.Join(home, "config"),
		"HELM_DATA_HOME="+filepath.Join(home, "data"))
}

// helm runs Helm major (3 or 4) against the node and returns its stdout;
// the error carries its stderr.
func helm(major int, args ...string) (string, error) {
	bin := helm3Bin
	if major == 4 {
		bin = helm4Bin
	}
	if n != nil && len(args) > 0 && args[0] != "dependency" && args[0] != "plugin" && args[0] != "template" {
		args = append(args, "--kubeconfig", n.Kubeconfig)
	}
	cmd := exec.Command(bin, args...)
	cmd.Env = helmEnv(major)
	return output(cmd)
}

func run3(args ...string) (string, error) { return helm(3, args...) }

// output runs cmd and returns its stdout; the error holds its stderr.
func output(cmd *exec.Cmd) (string, error) {
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		return out.String(), fmt.Errorf("%s: %w\n%s", strings.Join(cmd.Args, " "), err, strings.TrimSpace(errb.String()))
	}
	return out.String(), nil
}

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

// copyTree copies src to dst: directories, regular files with their modes,
// symlinks as symlinks.
func copyTree(src, dst string) error {
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		target := filepath.Join(dst, rel)
		info, err := d.Info()
		if err != nil {
			return err
		}
		switch {
		case d.IsDir():
			return os.MkdirAll(target, 0o755)
		case info.Mode()&fs.ModeSymlink != 0:
			link, err := os.Readlink(p)
			if err != nil {
				return err
			}
			return os.Symlink(link, target)
		default:
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			return os.WriteFile(target, data, info.Mode().Perm())
		}
	})
}
